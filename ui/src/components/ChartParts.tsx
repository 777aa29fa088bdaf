import { useTranslation } from 'react-i18next';
import { useFormat } from '../lib/format';
import { CHART } from './chart-scale';

export interface ChartColumn<P> {
  key: string;
  label: string;
  value: (point: P) => number;
}

/** The numbers behind a chart, folded under "Toon als tabel": a row per day (or week), a column per series. */
export function ChartTable<P extends { date: string }>({
  weekly,
  points,
  columns,
}: {
  weekly: boolean;
  points: P[];
  columns: ChartColumn<P>[];
}) {
  const { t } = useTranslation();
  const f = useFormat();
  return (
    <details className="chart-table">
      <summary>{t('dashboard.showTable')}</summary>
      <div className="table-wrap">
        <table className="table table-compact">
          <thead>
            <tr>
              <th scope="col">{weekly ? t('dashboard.week') : t('dashboard.day')}</th>
              {columns.map((c) => (
                <th scope="col" key={c.key} className="num">
                  {c.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.date}>
                <td>{f.calendarDate(p.date)}</td>
                {columns.map((c) => (
                  <td key={c.key} className="num">
                    {f.number(c.value(p))}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

/** The horizontal grid lines of a chart with their values on the left axis. */
export function YAxisGrid({ ticks, y }: { ticks: number[]; y: (value: number) => number }) {
  const f = useFormat();
  const { W, PAD } = CHART;
  return (
    <>
      {ticks.map((tick) => (
        <g key={tick}>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(tick)} y2={y(tick)} className="grid" />
          <text x={PAD.left - 8} y={y(tick) + 4} textAnchor="end" className="axis-label">
            {f.number(tick)}
          </text>
        </g>
      ))}
    </>
  );
}
