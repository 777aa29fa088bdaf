import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiError } from '../api/client';
import type { BulkPlan, BulkRun } from '../lib/bulk';
import { errorText } from '../lib/errors';
import { useFormat } from '../lib/format';
import { StatusBadge } from './StatusBadge';

/**
 * Before a bulk decision is confirmed: how many of the selection it applies to, which are
 * skipped and why (e.g. already approved), and, for an approval, how many a rule check flagged.
 */
export function BulkPlanText({ plan }: { plan: BulkPlan }) {
  const { t } = useTranslation();
  const f = useFormat();
  const approve = plan.decision === 'approved';
  const eligible = plan.eligible.length;
  const skipped = plan.selected - eligible;
  const reasons =
    plan.skipped.length === 1
      ? t(`bulk.skipReason.${plan.skipped[0][0]}`)
      : plan.skipped.map(([status, n]) => t('bulk.skipCount', { n: f.number(n), reason: t(`bulk.skipReason.${status}`) })).join(', ');
  return (
    <div className="bulk-plan" data-testid="bulk-plan">
      {skipped > 0 ? (
        <p>
          {t(approve ? 'bulk.planApprove' : 'bulk.planReject', { count: eligible, n: f.number(eligible), total: f.number(plan.selected) })}{' '}
          {t('bulk.planSkipped', { count: skipped, n: f.number(skipped), reasons })}
        </p>
      ) : (
        approve && <p>{t('bulk.approveQuestion', { count: eligible })}</p>
      )}
      {approve && plan.flagged > 0 && (
        <p className="notice notice-warning" data-testid="bulk-flagged">
          {t('bulk.flaggedWarning', { count: plan.flagged, n: f.number(plan.flagged) })}
        </p>
      )}
    </div>
  );
}

/** Progress of a bulk decision and the outcome per referral (failures first). */
export function BulkProgress({ run, onStop, onClose }: { run: BulkRun; onStop: () => void; onClose: () => void }) {
  const { t } = useTranslation();
  const f = useFormat();
  const succeeded = run.results.filter((r) => r.ok).length;
  const failed = run.results.length - succeeded;
  const ordered = [...run.results.filter((r) => !r.ok), ...run.results.filter((r) => r.ok)];
  const label = t(run.decision === 'approved' ? 'bulk.approving' : 'bulk.rejecting');
  return (
    <section className="panel bulk-progress" aria-labelledby="bulk-heading" data-testid="bulk-progress">
      <div className="panel-header">
        <h2 id="bulk-heading">{run.running ? label : t('bulk.finished')}</h2>
        {run.running ? (
          <button type="button" className="btn btn-secondary btn-small" onClick={onStop}>
            {t('bulk.stop')}
          </button>
        ) : (
          <button type="button" className="btn btn-secondary btn-small" onClick={onClose}>
            {t('common.close')}
          </button>
        )}
      </div>
      <div className="progress-row">
        <progress max={run.total} value={run.done} aria-label={t('bulk.progress')} data-testid="bulk-progressbar" />
        <span className="num">{t('bulk.count', { done: f.number(run.done), total: f.number(run.total) })}</span>
      </div>
      <p role="status" data-testid="bulk-summary">
        {t('bulk.summary', { succeeded: f.number(succeeded), failed: f.number(failed) })}
        {run.skipped > 0 && ` ${t('bulk.summarySkipped', { n: f.number(run.skipped) })}`}
        {run.stopped && ` ${t('bulk.stopped')}`}
      </p>
      {ordered.length > 0 && (
        <ul className="bulk-results" data-testid="bulk-results">
          {ordered.map((r) => (
            <li key={r.id} data-testid={`bulk-result-${r.id}`} data-ok={r.ok} className={r.ok ? 'ok' : 'failed'}>
              <span className="bulk-icon" aria-hidden="true">
                {r.ok ? '✓' : '✕'}
              </span>
              <Link to={`/referrals/${r.id}`}>#{r.id}</Link>
              {r.ok ? (
                <>
                  <span className="visually-hidden">{t('bulk.ok')}</span>
                  {r.status && <StatusBadge status={r.status} />}
                </>
              ) : (
                <span className="bulk-error">{errorText(t, new ApiError(409, r.error ?? 'unknown', r.message ?? ''))}</span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
