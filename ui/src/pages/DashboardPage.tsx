import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { useDashboard } from '../api/queries';
import { REFERRAL_STATUSES, type Period } from '../api/types';
import { parsePeriod, PeriodSelect } from '../components/PeriodSelect';
import { ErrorState, Loading } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { TrendChart } from '../components/TrendChart';
import { useFormat } from '../lib/format';
import { usePageTitle } from '../lib/hooks';

export default function DashboardPage() {
  const { t } = useTranslation();
  usePageTitle(t('dashboard.title'));
  const f = useFormat();
  const [params, setParams] = useSearchParams();
  const period = parsePeriod(params.get('period'), 30)!;
  const stats = useDashboard(period);
  const setPeriod = (next: Period) => setParams(next === 30 ? {} : { period: String(next) }, { replace: true });

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>{t('dashboard.title')}</h1>
          {stats.data && (
            <p className="muted">{t('dashboard.range', { from: f.date(stats.data.from), to: f.date(stats.data.to) })}</p>
          )}
        </div>
        <PeriodSelect value={period} onChange={setPeriod} />
      </div>

      {stats.isPending ? (
        <Loading />
      ) : stats.isError ? (
        <ErrorState error={stats.error} onRetry={() => void stats.refetch()} />
      ) : (
        <div className={stats.isPlaceholderData ? 'stale' : undefined} aria-busy={stats.isFetching}>
          <section className="cards" aria-label={t('dashboard.keyFigures')}>
            <Stat testId="stat-total" label={t('dashboard.total')} value={f.number(stats.data.referrals.total)} hint={t('dashboard.totalHint')} />
            <Stat testId="stat-conversion" label={t('dashboard.conversion')} value={f.percent(stats.data.conversion_rate)} hint={t('dashboard.conversionHint')} />
            <Stat
              testId="stat-pending-rewards"
              label={t('dashboard.rewardsPending')}
              value={f.money(stats.data.rewards.pending_amount)}
              hint={t('dashboard.rewardsCount', { count: stats.data.rewards.pending_count })}
            />
            <Stat
              testId="stat-paid-rewards"
              label={t('dashboard.rewardsPaid')}
              value={f.money(stats.data.rewards.paid_amount)}
              hint={t('dashboard.rewardsCount', { count: stats.data.rewards.paid_count })}
            />
            <Stat
              testId="stat-revenue"
              label={t('dashboard.bookingValue')}
              value={f.money(stats.data.revenue_impact.booking_value)}
              hint={t('dashboard.bookingValueHint')}
            />
            <Stat
              testId="stat-roi"
              label={t('dashboard.roi')}
              value={stats.data.revenue_impact.roi === null ? '—' : f.percent(stats.data.revenue_impact.roi)}
              hint={
                stats.data.revenue_impact.roi === null
                  ? t('dashboard.roiNone')
                  : t('dashboard.roiHint', { cost: f.money(stats.data.revenue_impact.rewards_cost) })
              }
            />
          </section>

          <div className="dashboard-grid">
            <section className="panel" aria-labelledby="trend-heading">
              <h2 id="trend-heading">{t('dashboard.trend')}</h2>
              {stats.data.series.length === 0 ? <p className="muted">{t('dashboard.noData')}</p> : <TrendChart series={stats.data.series} />}
            </section>

            <section className="panel" aria-labelledby="status-heading">
              <h2 id="status-heading">{t('dashboard.byStatus')}</h2>
              {stats.data.referrals.total === 0 ? (
                <p className="muted">{t('dashboard.noReferrals')}</p>
              ) : (
                <ul className="status-bars" data-testid="status-breakdown">
                  {REFERRAL_STATUSES.map((status) => {
                    const count = stats.data.referrals.by_status[status] ?? 0;
                    const share = stats.data.referrals.total ? count / stats.data.referrals.total : 0;
                    return (
                      <li key={status}>
                        <Link to={`/referrals?status=${status}&period=${period}`} className="status-bar-link">
                          <StatusBadge status={status} />
                          <span className="status-bar-track" aria-hidden="true">
                            <span className={`status-bar-fill fill-${status}`} style={{ width: `${Math.max(share * 100, count ? 1.5 : 0)}%` }} />
                          </span>
                          <span className="num status-bar-count">{f.number(count)}</span>
                          <span className="num muted status-bar-share">{f.percent(share)}</span>
                        </Link>
                      </li>
                    );
                  })}
                </ul>
              )}
            </section>
          </div>
        </div>
      )}
    </div>
  );
}

function Stat({ label, value, hint, testId }: { label: string; value: string; hint?: string; testId: string }) {
  return (
    <div className="card stat" data-testid={testId}>
      <p className="stat-label">{label}</p>
      <p className="stat-value">{value}</p>
      {hint && <p className="stat-hint">{hint}</p>}
    </div>
  );
}
