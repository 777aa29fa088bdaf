import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { useReferrals } from '../api/queries';
import type { Referral } from '../api/types';
import { useSession } from '../auth/auth-store';
import { RejectForm } from '../components/RejectForm';
import { EmptyState, ErrorState, Loading, Notice } from '../components/States';
import { FlagBadge } from '../components/StatusBadge';
import { UndoToast } from '../components/UndoToast';
import { useErrorText } from '../lib/errors';
import { useFormat } from '../lib/format';
import { usePageTitle } from '../lib/hooks';
import { useReviewReferral } from '../lib/review';
import { useUndoWindow } from '../lib/undo';

const LIMIT = 50;

interface Outcome {
  id: string;
  kind: 'success' | 'error';
  text: string;
}

const typing = (target: EventTarget | null) =>
  target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));

/**
 * The approval queue, oldest first, for working through with the keyboard:
 * j/↓ next, k/↑ previous, a approve, r reject (reason first), o/Enter open, z undo.
 * An approval leaves the list at once but is sent only after a 5-second undo window; a flagged
 * referral is approved only after an explicit "approve anyway".
 */
export default function ReviewQueuePage() {
  const { t } = useTranslation();
  usePageTitle(t('review.title'));
  const f = useFormat();
  const errorText = useErrorText();
  const navigate = useNavigate();
  const session = useSession();
  const admin = session?.user.role === 'admin';
  const queue = useReferrals({ status: 'pending_approval', sort: 'oldest', limit: LIMIT, page: 1 });
  const [done, setDone] = useState<Set<string>>(new Set());
  const [index, setIndex] = useState(0);
  const [rejecting, setRejecting] = useState(false);
  const [confirmingFlagged, setConfirmingFlagged] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const itemRefs = useRef(new Map<string, HTMLButtonElement>());

  const setDoneFor = (id: string, isDone: boolean) =>
    setDone((d) => {
      const next = new Set(d);
      if (isDone) next.add(id);
      else next.delete(id);
      return next;
    });

  const decide = useReviewReferral({
    onSuccess: (reply, { id }) => {
      setDoneFor(id, true);
      setRejecting(false);
      setOutcome({ id, kind: 'success', text: t(reply.status === 'rejected' ? 'review.rejected' : 'review.approved', { id }) });
    },
    onError: (error, { id }) => {
      setDoneFor(id, false);
      setOutcome({ id, kind: 'error', text: `#${id}: ${errorText(error)}` });
    },
  });
  // Sent when the undo window closes: out of the list until the answer says otherwise.
  const approval = useUndoWindow((referral: Referral) => {
    setDoneFor(referral.id, true);
    decide.mutate({ id: referral.id, status: 'approved' });
  });

  const waiting = (queue.data?.data ?? []).filter((r) => !done.has(r.id) && r.status === 'pending_approval');
  const items: Referral[] = waiting.filter((r) => r.id !== approval.held?.id);
  const current = items[Math.min(index, items.length - 1)] as Referral | undefined;
  const doneInPage = (queue.data?.data ?? []).filter((r) => done.has(r.id) || r.id === approval.held?.id).length;
  const remaining = Math.max(0, (queue.data?.pagination.total ?? 0) - doneInPage);

  // Keep the index inside the list as items leave it.
  useEffect(() => {
    if (index > 0 && index >= items.length) setIndex(Math.max(0, items.length - 1));
  }, [items.length, index]);

  const select = (i: number) => {
    setIndex(i);
    setRejecting(false);
    setConfirmingFlagged(false);
  };
  const move = (delta: number) => {
    if (!items.length) return;
    const next = Math.min(items.length - 1, Math.max(0, index + delta));
    select(next);
    itemRefs.current.get(items[next].id)?.focus();
  };
  /** A flagged referral asks "approve anyway?" first; `confirmed` is that answer. */
  const approve = (referral: Referral, confirmed = false) => {
    if (referral.flagged && !confirmed) {
      setConfirmingFlagged(true);
      return;
    }
    setConfirmingFlagged(false);
    setOutcome(null);
    approval.hold(referral);
  };
  const cancelApproveFlagged = () => {
    setConfirmingFlagged(false);
    if (current) itemRefs.current.get(current.id)?.focus();
  };
  const undo = () => {
    const referral = approval.undo();
    if (!referral) return;
    // back in its place, selected again
    setIndex(
      Math.max(
        0,
        waiting.findIndex((r) => r.id === referral.id),
      ),
    );
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      // also when the approval held was the last one in the list
      if (event.key === 'z' && approval.held) {
        event.preventDefault();
        undo();
        return;
      }
      if (!current || (rejecting && event.key !== 'Escape')) return;
      // a flagged referral's "approve anyway" is a button to press, never a second `a`
      if (confirmingFlagged && event.key === 'a') return;
      switch (event.key) {
        case 'j':
        case 'ArrowDown':
          event.preventDefault();
          move(1);
          break;
        case 'k':
        case 'ArrowUp':
          event.preventDefault();
          move(-1);
          break;
        case 'a':
          if (admin) {
            event.preventDefault();
            approve(current);
          }
          break;
        case 'r':
          if (admin && !decide.isPending) {
            event.preventDefault();
            setRejecting(true);
          }
          break;
        case 'o':
          event.preventDefault();
          void navigate(`/referrals/${current.id}`);
          break;
        case 'Escape':
          setRejecting(false);
          if (confirmingFlagged) cancelApproveFlagged();
          break;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>{t('review.title')}</h1>
          <p className="muted">{t('review.intro')}</p>
        </div>
        {queue.data && (
          <p className="queue-count" data-testid="queue-count">
            {t('review.remaining', { count: remaining, n: f.number(remaining) })}
          </p>
        )}
      </div>

      <div className="shortcuts" aria-label={t('review.shortcuts')} role="note">
        <span>
          <kbd>j</kbd>/<kbd>↓</kbd> {t('review.keyNext')}
        </span>
        <span>
          <kbd>k</kbd>/<kbd>↑</kbd> {t('review.keyPrevious')}
        </span>
        {admin && (
          <>
            <span>
              <kbd>a</kbd> {t('review.keyApprove')}
            </span>
            <span>
              <kbd>r</kbd> {t('review.keyReject')}
            </span>
            <span>
              <kbd>z</kbd> {t('review.keyUndo')}
            </span>
          </>
        )}
        <span>
          <kbd>o</kbd> {t('review.keyOpen')}
        </span>
        <span>
          <kbd>Esc</kbd> {t('review.keyCancel')}
        </span>
      </div>

      {outcome && (
        <Notice kind={outcome.kind} testId="review-outcome">
          {outcome.text}
        </Notice>
      )}
      {approval.held && (
        <UndoToast key={approval.held.id} onUndo={undo}>
          {t('review.approvedUndo', { id: approval.held.id })}
        </UndoToast>
      )}

      {queue.isPending ? (
        <Loading />
      ) : queue.isError ? (
        <ErrorState error={queue.error} onRetry={() => void queue.refetch()} />
      ) : items.length === 0 ? (
        queue.isFetching ? (
          <Loading />
        ) : (
          <EmptyState title={t('review.empty')}>
            <p>{t('review.emptyHint')}</p>
          </EmptyState>
        )
      ) : (
        <div className="review-layout">
          <ul className="review-list" aria-label={t('review.listLabel')} data-testid="review-list">
            {items.map((r, i) => (
              <li key={r.id}>
                <button
                  type="button"
                  ref={(el) => {
                    if (el) itemRefs.current.set(r.id, el);
                    else itemRefs.current.delete(r.id);
                  }}
                  className={r.id === current?.id ? 'review-item selected' : 'review-item'}
                  aria-current={r.id === current?.id ? 'true' : undefined}
                  data-testid={`review-item-${r.id}`}
                  onClick={() => select(i)}
                  onDoubleClick={() => navigate(`/referrals/${r.id}`)}
                >
                  <span className="review-item-top">
                    <strong>#{r.id}</strong>
                    {r.flagged && <FlagBadge />}
                    <span className="muted review-age">{f.ago(r.booking_confirmed_at ?? r.submitted_at)}</span>
                  </span>
                  <span className="truncate">{r.new_customer_email}</span>
                  <span className="muted truncate">
                    {t('review.referredBy', { name: r.referrer_name })}
                    {r.booking_value !== null && ` · ${f.money(r.booking_value, r.currency ?? 'EUR')}`}
                  </span>
                </button>
              </li>
            ))}
          </ul>

          {current && (
            <section className="panel review-detail" aria-labelledby="review-current" data-testid="review-current">
              <div className="panel-header">
                <h2 id="review-current">{t('referral.title', { id: current.id })}</h2>
                <Link to={`/referrals/${current.id}`}>{t('review.openDetail')}</Link>
              </div>
              {current.flagged && (
                <Notice kind="warning">
                  <strong>{t('review.flaggedWarning')}</strong>
                  <ul className="flag-list">
                    {current.flag_reasons.map((reason) => (
                      <li key={reason}>{t(`flag.${reason}`, { defaultValue: reason })}</li>
                    ))}
                  </ul>
                </Notice>
              )}
              <dl className="facts">
                <dt>{t('referral.friend')}</dt>
                <dd>{current.new_customer_email}</dd>
                <dt>{t('referral.referrer')}</dt>
                <dd>
                  <Link to={`/customers/${current.referrer_id}`}>{current.referrer_name}</Link>{' '}
                  <span className="mono muted">{current.referrer_code}</span>
                </dd>
                <dt>{t('referral.bookingReference')}</dt>
                <dd className="mono">{current.booking_reference ?? '—'}</dd>
                <dt>{t('referral.bookingValue')}</dt>
                <dd>{f.money(current.booking_value, current.currency ?? 'EUR')}</dd>
                <dt>{t('referral.departure')}</dt>
                <dd>{f.calendarDate(current.departure_date)}</dd>
                <dt>{t('referral.bookingConfirmed')}</dt>
                <dd>{f.dateTime(current.booking_confirmed_at)}</dd>
                <dt>{t('referral.submitted')}</dt>
                <dd>{f.dateTime(current.submitted_at)}</dd>
                <dt>{t('reward.title')}</dt>
                <dd>{f.money(current.reward_amount)}</dd>
              </dl>
              {admin &&
                (confirmingFlagged ? (
                  <div className="confirm-flagged" data-testid="confirm-flagged">
                    <p>
                      <strong>{t('review.approveFlaggedQuestion')}</strong>
                    </p>
                    <div className="button-row">
                      <button type="button" className="btn btn-success" autoFocus onClick={() => approve(current, true)}>
                        {t('review.approveFlagged')}
                      </button>
                      <button type="button" className="btn btn-ghost" onClick={cancelApproveFlagged}>
                        {t('common.cancel')}
                      </button>
                    </div>
                  </div>
                ) : rejecting ? (
                  <RejectForm
                    busy={decide.isPending}
                    onCancel={() => {
                      setRejecting(false);
                      itemRefs.current.get(current.id)?.focus();
                    }}
                    onConfirm={(reason) => decide.mutate({ id: current.id, status: 'rejected', reason })}
                  />
                ) : (
                  <div className="button-row">
                    <button type="button" className="btn btn-success" aria-keyshortcuts="a" onClick={() => approve(current)}>
                      {t('review.approve')} <kbd aria-hidden="true">a</kbd>
                    </button>
                    <button
                      type="button"
                      className="btn btn-danger"
                      disabled={decide.isPending}
                      aria-keyshortcuts="r"
                      onClick={() => setRejecting(true)}
                    >
                      {t('review.reject')} <kbd aria-hidden="true">r</kbd>
                    </button>
                  </div>
                ))}
            </section>
          )}
        </div>
      )}
    </div>
  );
}
