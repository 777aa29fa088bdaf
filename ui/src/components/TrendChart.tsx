import { useId, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { DashboardStats } from '../api/types';
import { useFormat } from '../lib/format';

type Point = DashboardStats['series'][number];
const SERIES = [
  { key: 'submitted', className: 'line-submitted' },
  { key: 'confirmed', className: 'line-confirmed' },
  { key: 'paid', className: 'line-paid' },
] as const;

const W = 760;
const H = 240;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };

/** Days, or weeks (from the first day) when a year of days would be too dense to read. */
function bucket(series: Point[]): { points: Point[]; weekly: boolean } {
  if (series.length <= 120) return { points: series, weekly: false };
  const points: Point[] = [];
  for (let i = 0; i < series.length; i += 7) {
    const week = series.slice(i, i + 7);
    points.push({
      date: week[0].date,
      submitted: week.reduce((n, p) => n + p.submitted, 0),
      confirmed: week.reduce((n, p) => n + p.confirmed, 0),
      paid: week.reduce((n, p) => n + p.paid, 0),
    });
  }
  return { points, weekly: true };
}

function niceMax(value: number): number {
  if (value <= 4) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

/** A hand-written SVG line chart (no chart library): submitted, confirmed and paid over time. */
export function TrendChart({ series }: { series: Point[] }) {
  const { t } = useTranslation();
  const f = useFormat();
  const titleId = useId();
  const { points, weekly } = useMemo(() => bucket(series), [series]);
  const max = niceMax(Math.max(0, ...points.flatMap((p) => [p.submitted, p.confirmed, p.paid])));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (points.length <= 1 ? innerW / 2 : (i / (points.length - 1)) * innerW);
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((r) => Math.round(max * r));
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
        {ticks.map((tick) => (
          <g key={tick}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(tick)} y2={y(tick)} className="grid" />
            <text x={PAD.left - 8} y={y(tick) + 4} textAnchor="end" className="axis-label">
              {f.number(tick)}
            </text>
          </g>
        ))}
        {points.map((p, i) =>
          i % labelEvery === 0 ? (
            <text key={p.date} x={x(i)} y={H - 8} textAnchor="middle" className="axis-label">
              {f.calendarShort(p.date)}
            </text>
          ) : null,
        )}
        {SERIES.map((s) => (
          <polyline key={s.key} className={`line ${s.className}`} fill="none" points={points.map((p, i) => `${x(i)},${y(p[s.key])}`).join(' ')} />
        ))}
        {points.length <= 45 &&
          SERIES.map((s) => points.map((p, i) => <circle key={`${s.key}-${p.date}`} cx={x(i)} cy={y(p[s.key])} r={2.5} className={`dot ${s.className}`} />))}
        {points.map((p, i) => (
          <rect key={p.date} x={x(i) - slot / 2} y={PAD.top} width={slot} height={innerH} className="hover-slot">
            <title>{describe(p)}</title>
          </rect>
        ))}
      </svg>
      <details className="chart-table">
        <summary>{t('dashboard.showTable')}</summary>
        <div className="table-wrap">
          <table className="table table-compact">
            <thead>
              <tr>
                <th scope="col">{weekly ? t('dashboard.week') : t('dashboard.day')}</th>
                {SERIES.map((s) => (
                  <th scope="col" key={s.key} className="num">
                    {t(`dashboard.series.${s.key}`)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {points.map((p) => (
                <tr key={p.date}>
                  <td>{f.calendarDate(p.date)}</td>
                  {SERIES.map((s) => (
                    <td key={s.key} className="num">
                      {f.number(p[s.key])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
