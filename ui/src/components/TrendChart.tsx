import { useId, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { AnalyticsDay } from '../api/types';
import { useFormat } from '../lib/format';
import { byDayOrWeek, CHART, INNER, niceMax, ticks as yTicks } from './chart-scale';
import { ChartTable, YAxisGrid } from './ChartParts';

type Point = Pick<AnalyticsDay, 'date' | 'submitted' | 'confirmed' | 'paid'>;
const SERIES = [
  { key: 'submitted', className: 'line-submitted' },
  { key: 'confirmed', className: 'line-confirmed' },
  { key: 'paid', className: 'line-paid' },
] as const;

const addDay = (sum: Point, day: Point): Point => ({
  date: sum.date,
  submitted: sum.submitted + day.submitted,
  confirmed: sum.confirmed + day.confirmed,
  paid: sum.paid + day.paid,
});

/** A hand-written SVG line chart (no chart library): submitted, confirmed and paid over time. */
export function TrendChart({ series }: { series: Point[] }) {
  const { t } = useTranslation();
  const f = useFormat();
  const titleId = useId();
  const { points, weekly } = useMemo(() => byDayOrWeek(series, addDay), [series]);
  const max = niceMax(Math.max(0, ...points.flatMap((p) => [p.submitted, p.confirmed, p.paid])));
  const { W, H, PAD } = CHART;
  const innerW = INNER.W;
  const innerH = INNER.H;
  const x = (i: number) => PAD.left + (points.length <= 1 ? innerW / 2 : (i / (points.length - 1)) * innerW);
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const ticks = yTicks(max);
  const labelEvery = Math.max(1, Math.ceil(points.length / 7));
  const slot = points.length ? innerW / Math.max(1, points.length - 1) : innerW;
  const describe = (p: Point) =>
    `${weekly ? t('dashboard.weekOf', { date: f.calendarShort(p.date) }) : f.calendarDate(p.date)}: ` +
    SERIES.map((s) => `${t(`dashboard.series.${s.key}`)} ${f.number(p[s.key])}`).join(', ');

  return (
    <figure className="chart">
      <div className="chart-legend" aria-hidden="true">
        {SERIES.map((s) => (
          <span key={s.key} className={`legend-item ${s.className}`}>
            <svg width="22" height="8" viewBox="0 0 22 8">
              <line x1="1" y1="4" x2="21" y2="4" className="legend-line" />
            </svg>
            {t(`dashboard.series.${s.key}`)}
          </span>
        ))}
        <span className="muted">{weekly ? t('dashboard.perWeek') : t('dashboard.perDay')}</span>
      </div>
      <svg viewBox={`0 0 ${W} ${H}`} className="chart-svg" role="img" aria-labelledby={titleId} data-testid="trend-chart">
        <title id={titleId}>{t('dashboard.chartTitle')}</title>
        <YAxisGrid ticks={ticks} y={y} />
        {points.map((p, i) =>
          i % labelEvery === 0 ? (
            <text key={p.date} x={x(i)} y={H - 8} textAnchor="middle" className="axis-label">
              {f.calendarShort(p.date)}
            </text>
          ) : null,
        )}
        {SERIES.map((s) => (
          <polyline
            key={s.key}
            className={`line ${s.className}`}
            fill="none"
            points={points.map((p, i) => `${x(i)},${y(p[s.key])}`).join(' ')}
          />
        ))}
        {points.length <= 45 &&
          SERIES.map((s) =>
            points.map((p, i) => <circle key={`${s.key}-${p.date}`} cx={x(i)} cy={y(p[s.key])} r={2.5} className={`dot ${s.className}`} />),
          )}
        {points.map((p, i) => (
          <rect key={p.date} x={x(i) - slot / 2} y={PAD.top} width={slot} height={innerH} className="hover-slot">
            <title>{describe(p)}</title>
          </rect>
        ))}
      </svg>
      <ChartTable
        weekly={weekly}
        points={points}
        columns={SERIES.map((s) => ({ key: s.key, label: t(`dashboard.series.${s.key}`), value: (p: Point) => p[s.key] }))}
      />
    </figure>
  );
}
