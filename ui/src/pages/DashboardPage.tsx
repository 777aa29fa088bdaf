import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useDashboard, useTopReferrers } from '../api/queries';
import { REFERRAL_STATUSES, type Period, type RevenueImpact } from '../api/types';
import { parsePeriod, PeriodSelect } from '../components/PeriodSelect';
import { ErrorState, Loading } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { StatusSeriesChart } from '../components/StatusSeriesChart';
import { TopReferrers } from '../components/TopReferrers';
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
  const leaders = useTopReferrers(period);
  const setPeriod = (next: Period) => setParams(next === 30 ? {} : { period: String(next) }, { replace: true });

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>{t('dashboard.title')}</h1>
          {stats.data && <p className="muted">{t('dashboard.range', { from: f.date(stats.data.from), to: f.date(stats.data.to) })}</p>}
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
            <Stat
              testId="stat-total"
              label={t('dashboard.total')}
              value={f.number(stats.data.referrals.total)}
              hint={t('dashboard.totalHint')}
            />
            <Stat
              testId="stat-conversion"
              label={t('dashboard.conversion')}
              value={f.percent(stats.data.conversion_rate)}
              hint={t('dashboard.conversionHint')}
            />
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
              {stats.data.series.length === 0 ? (
                <p className="muted">{t('dashboard.noData')}</p>
              ) : (
                <TrendChart series={stats.data.series} />
              )}
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
                            <span
                              className={`status-bar-fill fill-${status}`}
                              style={{ width: `${Math.max(share * 100, count ? 1.5 : 0)}%` }}
                            />
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

          <div className="dashboard-grid">
            <section className="panel" aria-labelledby="status-trend-heading">
              <h2 id="status-trend-heading">{t('dashboard.statusTrend')}</h2>
              <p className="muted">{t('dashboard.statusTrendHint')}</p>
              <StatusSeriesChart days={stats.data.series} />
            </section>
            <section className="panel" aria-labelledby="revenue-heading">
              <h2 id="revenue-heading">{t('dashboard.revenue')}</h2>
              <p className="muted">{t('dashboard.revenueHint')}</p>
              <RevenueFacts revenue={stats.data.revenue_impact} />
            </section>
          </div>

          <section className="panel" aria-labelledby="top-referrers-heading">
            <h2 id="top-referrers-heading">{t('dashboard.topReferrers')}</h2>
            <p className="muted">{t('dashboard.topReferrersHint')}</p>
            <Loaded query={leaders}>{(data) => <TopReferrers rows={data.data} />}</Loaded>
          </section>
        </div>
      )}
    </div>
  );
}

/** A panel's own query: its data, or a spinner, or its error with a retry. */
function Loaded<T>({ query, children }: { query: UseQueryResult<T>; children: (data: T) => ReactNode }) {
  if (query.data !== undefined) return <div className={query.isPlaceholderData ? 'stale' : undefined}>{children(query.data)}</div>;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  return <Loading />;
}

function RevenueFacts({ revenue }: { revenue: RevenueImpact }) {
  const { t } = useTranslation();
  const f = useFormat();
  return (
    <dl className="facts" data-testid="revenue-impact">
      <dt>{t('dashboard.bookingValue')}</dt>
      <dd>
        {f.money(revenue.booking_value)}
        <span className="muted">
          {' '}
          · {t('dashboard.bookings', { count: revenue.bookings_confirmed })}
          {revenue.bookings_without_value > 0 &&
            `, ${t('dashboard.withoutValue', { count: revenue.bookings_without_value, average: f.money(revenue.average_booking_value) })}`}
        </span>
      </dd>
      <dt>{t('dashboard.rewardsCost')}</dt>
      <dd>
        {f.money(revenue.rewards_cost)} <span className="muted">· {t('dashboard.rewardsCount', { count: revenue.rewards_paid })}</span>
      </dd>
      <dt>{t('dashboard.net')}</dt>
      <dd>{f.money(revenue.net)}</dd>
      <dt>{t('dashboard.roi')}</dt>
      <dd data-testid="revenue-roi">{revenue.roi === null ? `— (${t('dashboard.roiNone')})` : f.percent(revenue.roi)}</dd>
      <dt>{t('dashboard.clawbacks')}</dt>
      <dd>
        {f.money(revenue.clawback_amount)} <span className="muted">· {t('dashboard.rewardsCount', { count: revenue.clawbacks })}</span>
      </dd>
    </dl>
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
