/**
 * Dashboard and analytics at scale: p50/p95 of GET /api/dashboard/stats for every
 * period and of the analytics endpoints, through the API process, against the same reads run
 * directly with SQL on the same database (the rollup queries of db/repositories/analytics.ts:
 * the ratio is what HTTP, auth and JSON add). A third column runs the period's headline figures
 * (referrals submitted, converted) straight from the raw `referrals` table, as the dashboard did
 * before the rollups, a few times only; the API's figures must equal them (a check of the
 * triggers at 2M rows). Target: dashboard stats p95 ≤ 50 ms for every period.
 */
import { pendingRewards, periodFigures, topReferrers } from '../../db/repositories/analytics.js';
import { REPORT_PERIODS } from '../../domain/periods.js';
import { ms, summarise, table, type LatencySummary } from '../stats.js';
import type { ScaleBench, ScaleBenchContext } from './context.js';

const SAMPLES = 40;
const WARMUP = 3;
const RAW_SAMPLES = 3;
const TARGET_P95_MS = 50;

async function timed<T>(samples: number, run: () => Promise<T>): Promise<{ summary: LatencySummary; last: T }> {
  let last!: T;
  for (let i = 0; i < WARMUP; i++) last = await run();
  const durations: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    last = await run();
    durations.push(performance.now() - started);
  }
  return { summary: summarise(durations), last };
}

function apiGet(context: ScaleBenchContext, path: string) {
  return async () => {
    const res = await fetch(`${context.api.url}${path}`, { headers: { authorization: `Bearer ${context.token}` } });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };
}

/** The period's submitted and converted referrals from the raw table (the pre-rollup way). */
async function rawHeadline(context: ScaleBenchContext, periodDays: number): Promise<{ submitted: number; converted: number }> {
  const {
    rows: [row],
  } = await context.db.raw<{ rows: { submitted: number; converted: number }[] }>(
    `SELECT count(*)::int AS submitted, count(booking_confirmed_at)::int AS converted FROM referrals
      WHERE submitted_at >= ((now() AT TIME ZONE 'Europe/Amsterdam')::date - ?::int + 1)::timestamp AT TIME ZONE 'Europe/Amsterdam'`,
    [periodDays],
  );
  return row;
}

export const benchDashboard: ScaleBench = async (context) => {
  const { db } = context;
  const rows: string[][] = [['read', 'API p50', 'API p95', 'SQL p50', 'SQL p95', 'API/SQL p95', 'raw table p50']];
  const targets: { description: string; met: boolean }[] = [];
  const lines: string[] = [];
  const add = (name: string, api: LatencySummary, sql: LatencySummary, raw?: LatencySummary) =>
    rows.push([name, ms(api.p50), ms(api.p95), ms(sql.p50), ms(sql.p95), `${(api.p95 / sql.p95).toFixed(2)}×`, raw ? ms(raw.p50) : '']);

  for (const period of REPORT_PERIODS) {
    context.log(`dashboard: stats, ${period} days`);
    const api = await timed(SAMPLES, apiGet(context, `/api/dashboard/stats?period=${period}`));
    const sql = await timed(SAMPLES, () => Promise.all([periodFigures(db, period), pendingRewards(db)]));
    const raw = await timed(RAW_SAMPLES, () => rawHeadline(context, period));
    add(`dashboard stats, ${period} d`, api.summary, sql.summary, raw.summary);
    const referrals = api.last.referrals as { total: number };
    const converted = Math.round((api.last.conversion_rate as number) * referrals.total);
    const same = referrals.total === raw.last.submitted && converted === raw.last.converted;
    lines.push(
      `${period} d: API ${referrals.total} submitted / ${converted} converted; raw table ${raw.last.submitted} / ${raw.last.converted}: ${same ? 'equal' : 'DIFFERENT'}`,
    );
    targets.push({
      description: `dashboard stats ${period} d: target p95 <= ${TARGET_P95_MS} ms: ${ms(api.summary.p95)}  ${api.summary.p95 <= TARGET_P95_MS ? 'met' : 'MISSED'}`,
      met: api.summary.p95 <= TARGET_P95_MS,
    });
    targets.push({ description: `dashboard stats ${period} d equal the raw-table aggregate: ${same ? 'met' : 'MISSED'}`, met: same });
  }

  const analytics: Array<[string, string, () => Promise<unknown>]> = [
    ['conversion-rate, 90 d', '/api/analytics/conversion-rate?period=90', () => periodFigures(db, 90)],
    ['revenue-impact, 30 d', '/api/analytics/revenue-impact?period=30', () => periodFigures(db, 30)],
    ['timeseries, 365 d', '/api/analytics/timeseries?period=365', () => periodFigures(db, 365)],
    ['top-referrers, all time', '/api/analytics/top-referrers?limit=10', () => topReferrers(db, 10)],
    ...REPORT_PERIODS.map((p): [string, string, () => Promise<unknown>] => [
      `top-referrers, ${p} d`,
      `/api/analytics/top-referrers?period=${p}&limit=10`,
      () => topReferrers(db, 10, p),
    ]),
  ];
  for (const [name, path, sql] of analytics) {
    context.log(`dashboard: ${name}`);
    add(name, (await timed(SAMPLES, apiGet(context, path))).summary, (await timed(SAMPLES, sql)).summary);
  }

  return {
    name: 'dashboard and analytics',
    lines: [
      `${context.rows.referrals.toLocaleString('en')} referrals; ${SAMPLES} sequential requests per read after ${WARMUP} warm-up; raw table: ${RAW_SAMPLES} runs`,
      table(rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r']),
      ...lines,
    ],
    targets,
  };
};
