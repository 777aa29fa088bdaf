import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { useReferral } from '../api/queries';
import type { AuditEntry, ReferralDetail, ReferralStatus } from '../api/types';
import { useSession } from '../auth/auth-store';
import { RejectForm } from '../components/RejectForm';
import { ErrorState, Loading, Notice } from '../components/States';
import { FlagBadge, StatusBadge } from '../components/StatusBadge';
import { Timeline, type TimelineEntry } from '../components/Timeline';
import { actorText, reasonText } from '../lib/actors';
import { useErrorText } from '../lib/errors';
import { useFormat, type Format } from '../lib/format';
import { usePageTitle } from '../lib/hooks';
import { canApprove, canReject, useReviewReferral } from '../lib/review';
import type { TFunction } from 'i18next';

/** Ended without a payout: there is no reward, so no amount to show either. */
const NO_REWARD: readonly ReferralStatus[] = ['rejected', 'expired', 'revoked'];

function timelineFrom(referral: ReferralDetail): { entries: TimelineEntry[]; live: boolean } {
  const live = referral.workflow.live;
  if (live) {
    return {
      live: true,
      entries: [...live.history]
        .sort((a, b) => a.seq - b.seq)
        .map((h) => ({ key: `seq-${h.seq}`, to: h.to, at: h.at, actor: h.actor, reason: h.reason })),
    };
  }
  const entries: TimelineEntry[] = [];
  entries.push({ key: 'submitted', to: 'submitted', at: referral.submitted_at, actor: 'customer' });
  referral.audit_log.forEach((entry, i) => {
    const after = entry.after ?? {};
    const status = typeof after.status === 'string' ? (after.status as ReferralStatus) : null;
    if (status === 'submitted') return;
    entries.push({
      key: `audit-${i}`,
      to: status,
      label: entry.action,
      at: entry.changed_at,
      actor: entry.actor,
      reason: typeof after.reason === 'string' ? after.reason : undefined,
    });
  });
  return { live: false, entries };
}

function nextStep(t: TFunction, f: Format, referral: ReferralDetail, status: ReferralStatus): string | null {
  const holdUntil = referral.workflow.live?.holdUntil;
  switch (status) {
    case 'submitted':
      return t('timeline.next.submitted');
    case 'awaiting_booking':
      return t('timeline.next.awaiting_booking');
    case 'pending_approval':
      return t('timeline.next.pending_approval');
    case 'approved':
      return holdUntil ? t('timeline.next.approvedUntil', { date: f.dateTime(holdUntil) }) : t('timeline.next.approved');
    default:
      return null;
  }
}

function auditChange(t: TFunction, entry: AuditEntry): string {
  const before = entry.before?.status ?? entry.before?.reward_status;
  const after = entry.after?.status ?? entry.after?.reward_status;
  const name = (value: unknown) =>
    typeof value === 'string' ? t(`status.${value}`, { defaultValue: t(`rewardStatus.${value}`, { defaultValue: value }) }) : '—';
  return `${name(before)} → ${name(after)}`;
}

function auditDetails(t: TFunction, f: Format, entry: AuditEntry): string {
  const after = entry.after ?? {};
  const parts: string[] = [];
  if (typeof after.reason === 'string') parts.push(t('timeline.reason', { reason: reasonText(t, after.reason) }));
  if (Array.isArray(after.flag_reasons) && after.flag_reasons.length) {
    parts.push(`${t('referral.flags')}: ${after.flag_reasons.map((r) => t(`flag.${String(r)}`, { defaultValue: String(r) })).join(', ')}`);
  }
  const booking = after.booking as { reference?: string; valueCents?: number | null; currency?: string } | undefined;
  if (booking?.reference) {
    parts.push(
      `${t('referral.bookingReference')}: ${booking.reference}${booking.valueCents != null ? ` (${f.money(booking.valueCents / 100, booking.currency ?? 'EUR')})` : ''}`,
    );
  }
  if (typeof after.voucher_code === 'string') parts.push(`${t('reward.voucher')}: ${after.voucher_code}`);
  return parts.join(' · ');
}

/** When a decision (approval, rejection) was taken and by whom, as a <dt>/<dd> pair; nothing until it is. */
function decisionFacts(t: TFunction, f: Format, label: string, at: string | null, by: string | null) {
  return (
    at && (
      <>
        <dt>{label}</dt>
        <dd>
          {f.dateTime(at)}
          {by && <span className="muted"> · {actorText(t, by)}</span>}
        </dd>
      </>
    )
  );
}

export default function ReferralDetailPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const errorText = useErrorText();
  const { id = '' } = useParams();
  const session = useSession();
  const referral = useReferral(id);
  const [rejecting, setRejecting] = useState(false);
  usePageTitle(t('referral.title', { id }));

  const decide = useReviewReferral({ onSuccess: () => setRejecting(false) });

  if (referral.isPending) return <Loading />;
  if (referral.isError) return <ErrorState error={referral.error} onRetry={() => void referral.refetch()} />;

  const r = referral.data;
  const live = r.workflow.live;
  const status = live?.status ?? r.status;
  const flagReasons = live?.flagReasons ?? r.flag_reasons;
  const flagged = live?.flagged ?? r.flagged;
  const { entries, live: isLive } = timelineFrom(r);
  const admin = session?.user.role === 'admin';
  const booking = {
    reference: r.booking_reference ?? live?.booking?.reference ?? null,
    value: r.booking_value ?? (live?.booking?.valueCents != null ? live.booking.valueCents / 100 : null),
    currency: r.currency ?? live?.booking?.currency ?? 'EUR',
    departure: r.departure_date ?? live?.booking?.departureDate ?? null,
  };
  const rejection = r.rejection_reason ?? live?.rejectionReason ?? null;

  return (
    <div className="page">
      <p className="breadcrumb">
        <Link to="/referrals">← {t('referrals.title')}</Link>
      </p>
      <div className="page-header">
        <div>
          <h1>{t('referral.title', { id: r.id })}</h1>
          <p className="badges header-badges">
            <StatusBadge status={status} testId="referral-status" />
            {flagged && <FlagBadge />}
            <span className="muted">{t('referral.submittedAt', { date: f.dateTime(r.submitted_at) })}</span>
          </p>
        </div>
        <a className="btn btn-secondary" href={r.workflow.url} target="_blank" rel="noopener noreferrer" data-testid="temporal-link">
          {t('referral.temporal')}
          <span className="visually-hidden"> ({t('common.newWindow')})</span>
          <span aria-hidden="true"> ↗</span>
        </a>
      </div>

      {decide.isSuccess && (
        <Notice kind="success" testId="decision-result">
          {t(decide.data.status === 'rejected' ? 'review.rejected' : 'review.approved', { id: r.id })}
        </Notice>
      )}
      {decide.isError && (
        <Notice kind="error" testId="decision-error">
          {errorText(decide.error)}
        </Notice>
      )}

      {admin && (canApprove(status) || canReject(status)) && (
        <section className="panel actions" aria-labelledby="actions-heading">
          <h2 id="actions-heading">{t('review.decision')}</h2>
          {flagged && <p className="notice notice-warning">{t('review.flaggedWarning')}</p>}
          {rejecting ? (
            <RejectForm
              busy={decide.isPending}
              onCancel={() => setRejecting(false)}
              onConfirm={(reason) => decide.mutate({ id, status: 'rejected', reason })}
            />
          ) : (
            <div className="button-row">
              {canApprove(status) && (
                <button
                  type="button"
                  className="btn btn-success"
                  disabled={decide.isPending}
                  onClick={() => decide.mutate({ id, status: 'approved' })}
                >
                  {decide.isPending ? t('common.saving') : t('review.approve')}
                </button>
              )}
              {canReject(status) && (
                <button type="button" className="btn btn-danger" disabled={decide.isPending} onClick={() => setRejecting(true)}>
                  {t('review.reject')}
                </button>
              )}
              {!canApprove(status) && <span className="muted">{t('review.approveLater')}</span>}
            </div>
          )}
        </section>
      )}

      <div className="detail-grid">
        <section className="panel" aria-labelledby="overview-heading">
          <h2 id="overview-heading">{t('referral.overview')}</h2>
          <dl className="facts">
            <dt>{t('referral.friend')}</dt>
            <dd>{r.new_customer_email}</dd>
            <dt>{t('referral.referrer')}</dt>
            <dd>
              <Link to={`/customers/${r.referrer_id}`}>{r.referrer_name}</Link> <span className="mono muted">{r.referrer_code}</span>
            </dd>
            <dt>{t('referral.submitted')}</dt>
            <dd>{f.dateTime(r.submitted_at)}</dd>
            {decisionFacts(t, f, t('referral.approvedAt'), r.approved_at, r.approved_by)}
            {decisionFacts(t, f, t('referral.rejectedAt'), r.rejected_at, r.rejected_by)}
            {rejection && (
              <>
                <dt>{t('referral.rejectionReason')}</dt>
                <dd data-testid="rejection-reason">{reasonText(t, rejection)}</dd>
              </>
            )}
          </dl>
          <h3>{t('referral.flags')}</h3>
          {flagReasons.length === 0 ? (
            <p className="muted">{t('referral.noFlags')}</p>
          ) : (
            <ul className="flag-list" data-testid="flag-reasons">
              {flagReasons.map((reason) => (
                <li key={reason}>
                  <strong>{t(`flag.${reason}`, { defaultValue: reason })}</strong>
                  <span className="muted"> — {t(`flagHelp.${reason}`, { defaultValue: '' })}</span>
                </li>
              ))}
            </ul>
          )}
        </section>

        <section className="panel" aria-labelledby="booking-heading">
          <h2 id="booking-heading">{t('referral.bookingTitle')}</h2>
          {booking.reference || r.booking_confirmed_at ? (
            <dl className="facts">
              <dt>{t('referral.bookingReference')}</dt>
              <dd className="mono">{booking.reference ?? '—'}</dd>
              <dt>{t('referral.bookingValue')}</dt>
              <dd>{f.money(booking.value, booking.currency)}</dd>
              <dt>{t('referral.departure')}</dt>
              <dd>{f.calendarDate(booking.departure)}</dd>
              <dt>{t('referral.bookingConfirmed')}</dt>
              <dd>{r.booking_confirmed_at ? f.dateTime(r.booking_confirmed_at) : t('referral.notYet')}</dd>
            </dl>
          ) : (
            <p className="muted">{t('referral.noBooking')}</p>
          )}

          <h2 id="reward-heading">{t('reward.title')}</h2>
          {r.reward ? (
            <dl className="facts" data-testid="reward">
              <dt>{t('reward.amount')}</dt>
              <dd>{f.money(r.reward.amount, r.reward.currency)}</dd>
              <dt>{t('reward.voucher')}</dt>
              <dd className="mono" data-testid="voucher-code">
                {r.reward.voucher_code}
              </dd>
              <dt>{t('reward.status')}</dt>
              <dd>{t(`rewardStatus.${r.reward.status}`, { defaultValue: r.reward.status })}</dd>
              <dt>{t('reward.paidAt')}</dt>
              <dd>{f.dateTime(r.reward.paid_at)}</dd>
              {r.reward.clawback_at && (
                <>
                  <dt>{t('reward.clawbackAt')}</dt>
                  <dd>{f.dateTime(r.reward.clawback_at)}</dd>
                </>
              )}
            </dl>
          ) : NO_REWARD.includes(status) ? (
            <p className="muted" data-testid="no-reward">
              {t('reward.none')}
            </p>
          ) : (
            <dl className="facts">
              <dt>{t('reward.amount')}</dt>
              <dd>{f.money(r.reward_amount)}</dd>
              <dt>{t('reward.status')}</dt>
              <dd>
                {status === 'approved' && live?.holdUntil
                  ? t('reward.heldUntil', { date: f.dateTime(live.holdUntil) })
                  : t('reward.notYet')}
              </dd>
            </dl>
          )}
        </section>
      </div>

      <section className="panel" aria-labelledby="timeline-heading">
        <div className="panel-header">
          <h2 id="timeline-heading">{t('timeline.title')}</h2>
          <span className={isLive ? 'live-dot' : 'muted'}>{isLive ? t('timeline.live') : t('timeline.fromAudit')}</span>
        </div>
        {!isLive && (
          <Notice kind="warning" testId="timeline-fallback">
            {t('timeline.fallback')}
          </Notice>
        )}
        <Timeline entries={entries} next={nextStep(t, f, r, status)} />
      </section>

      <section className="panel" aria-labelledby="audit-heading">
        <h2 id="audit-heading">{t('audit.title')}</h2>
        {r.audit_log.length === 0 ? (
          <p className="muted">{t('audit.empty')}</p>
        ) : (
          <div className="table-wrap">
            <table className="table table-compact" data-testid="audit-table">
              <caption className="visually-hidden">{t('audit.title')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('audit.when')}</th>
                  <th scope="col">{t('audit.who')}</th>
                  <th scope="col">{t('audit.change')}</th>
                  <th scope="col">{t('audit.details')}</th>
                </tr>
              </thead>
              <tbody>
                {r.audit_log.map((entry, i) => (
                  <tr key={i}>
                    <td>{f.dateTime(entry.changed_at)}</td>
                    <td>{actorText(t, entry.actor)}</td>
                    <td>{auditChange(t, entry)}</td>
                    <td>{auditDetails(t, f, entry)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
