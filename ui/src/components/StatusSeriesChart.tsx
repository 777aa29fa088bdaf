import { useId, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { REFERRAL_STATUSES, type AnalyticsDay, type ReferralStatus } from '../api/types';
import { useFormat } from '../lib/format';
import { byDayOrWeek, CHART, INNER, niceMax, ticks } from './chart-scale';
import { ChartTable, YAxisGrid } from './ChartParts';

type Point = Pick<AnalyticsDay, 'date' | 'submitted' | 'by_status'>;

const addDay = (sum: Point, day: Point): Point => ({
  date: sum.date,
  submitted: sum.submitted + day.submitted,
  by_status: Object.fromEntries(REFERRAL_STATUSES.map((s) => [s, sum.by_status[s] + day.by_status[s]])) as Record<ReferralStatus, number>,
});

/**
 * Stacked bars (hand-made SVG): the referrals submitted per day (or week), split by the status
 * they are in now. Every bar has a text description, and the figures are in a table too.
 */
export function StatusSeriesChart({ days }: { days: Point[] }) {
  const { t } = useTranslation();
  const f = useFormat();
  const titleId = useId();
  const { points, weekly } = useMemo(() => byDayOrWeek(days, addDay), [days]);
  const max = niceMax(Math.max(0, ...points.map((p) => p.submitted)));
  const { H, W, PAD } = CHART;
  const slot = INNER.W / Math.max(points.length, 1);
  const barWidth = Math.max(slot * 0.75, 1);
  const y = (v: number) => PAD.top + INNER.H - (v / max) * INNER.H;
  const labelEvery = Math.max(1, Math.ceil(points.length / 7));
  const when = (p: Point) => (weekly ? t('dashboard.weekOf', { date: f.calendarShort(p.date) }) : f.calendarDate(p.date));
  const describe = (p: Point) =>
    `${when(p)}: ${t('dashboard.series.submitted')} ${f.number(p.submitted)}` +
    REFERRAL_STATUSES.filter((s) => p.by_status[s])
      .map((s) => `, ${t(`status.${s}`)} ${f.number(p.by_status[s])}`)
      .join('');

  return (
    <figure className="chart">
      <div className="chart-legend" aria-hidden="true">
        {REFERRAL_STATUSES.map((s) => (
          <span key={s} className="legend-item">
            <span className={`legend-swatch fill-${s}`} />
            {t(`status.${s}`)}
          </span>
        ))}
        <span className="muted">{weekly ? t('dashboard.perWeek') : t('dashboard.perDay')}</span>
      </div>
      <svg viewBox={`0 0 ${W} ${H}`} className="chart-svg" role="img" aria-labelledby={titleId} data-testid="status-series-chart">
        <title id={titleId}>{t('dashboard.statusChartTitle')}</title>
        <YAxisGrid ticks={ticks(max)} y={y} />
        {points.map((p, i) => {
          const x = PAD.left + i * slot + (slot - barWidth) / 2;
          let top = p.submitted;
          return (
            <g key={p.date}>
              <title>{describe(p)}</title>
              {REFERRAL_STATUSES.map((s) => {
                const n = p.by_status[s];
                if (!n) return null;
                top -= n;
                return (
                  <rect key={s} x={x} width={barWidth} y={y(top + n)} height={y(top) - y(top + n)} className={`status-segment fill-${s}`} />
                );
              })}
              {i % labelEvery === 0 && (
                <text x={x + barWidth / 2} y={H - 8} textAnchor="middle" className="axis-label">
                  {f.calendarShort(p.date)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <ChartTable
        weekly={weekly}
        points={points}
        columns={[
          { key: 'submitted', label: t('dashboard.series.submitted'), value: (p) => p.submitted },
          ...REFERRAL_STATUSES.map((s) => ({ key: s, label: t(`status.${s}`), value: (p: Point) => p.by_status[s] })),
        ]}
      />
    </figure>
  );
}
