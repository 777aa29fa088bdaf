/**
 * The list and search endpoints under a fixed request rate (autocannon's overallRate, no
 * pipelining, its coordinated-omission correction on): a mix of first pages, cursor pages from
 * across the whole table (spreadCursors), status filters and searches over customers and
 * referrals, 3,000 distinct URLs. Baseline: the same mix at a gentle
 * 10 requests/s, so the ratio shows what the load adds. Target: p99 ≤ 200 ms at 200 req/s.
 * Then where the tail comes from: the API pool's waiting acquires during the loaded run, and
 * each kind of URL (search by term kind, cursor pages, first pages and filters) on its own.
 */
import autocannon from 'autocannon';
import type { Db } from '../../db/knex.js';
import { encodeCursor, type SortOrder } from '../../db/repositories/keyset.js';
import { prometheusSample } from '../../scripts/infra/prometheus-sample.js';
import { ms, summarise, table } from '../stats.js';
import type { ScaleBench, ScaleBenchContext } from './context.js';
import { customerSearchTerms, referralSearchTerms } from './search-terms.js';

const RATE = 200;
const BASELINE_RATE = 10;
const SECONDS = 30;
const BASELINE_SECONDS = 10;
const CONNECTIONS = 40;
const TARGET_P99_MS = 200;
/** Requests of each kind in the one-at-a-time pass. */
const SEQUENTIAL_PER_KIND = 40;
const POOL_SAMPLE_MS = 100;

/** URLs in the mix: 1,000 of each kind (searches, then pages and filters), cycled in order. */
const URLS_PER_KIND = 1_000;
/** Half of the third kind are cursor pages, of four lists. */
const CURSORS_PER_KIND = URLS_PER_KIND / 8;

/**
 * Cursors spread over the whole keyspace: the keys of rows sampled evenly across `table` by id,
 * encoded as the API encodes its own (db/repositories/keyset.ts), each leading on from that row,
 * forwards or (every fourth) backwards. A page deep in the table reads other index and heap pages
 * than the first few, so the cache sees what admins paging and filtering across years would ask.
 */
async function spreadCursors(
  db: Db,
  sample: { table: string; time: string; where?: string },
  count: number,
  order: SortOrder,
): Promise<string[]> {
  const { rows } = await db.raw<{ rows: { time: string; id: string; position: string }[] }>(
    `WITH span AS (SELECT min(id) AS lo, max(id) AS hi FROM ${sample.table} ${sample.where ? `WHERE ${sample.where}` : ''})
     SELECT t.${sample.time}::text AS time, t.id::text AS id, (${order === 'asc' ? 't.id - span.lo' : 'span.hi - t.id'})::text AS position
     FROM span, generate_series(0, ? - 1) AS g(k),
       LATERAL (SELECT ${sample.time}, id FROM ${sample.table}
                WHERE id >= span.lo + (span.hi - span.lo) * g.k / ? ${sample.where ? `AND ${sample.where}` : ''}
                ORDER BY id LIMIT 1) t`,
    [count, count],
  );
  if (rows.length < count) throw new Error(`${sample.table}: ${rows.length} rows to draw ${count} cursors from`);
  return rows.map((row, i) =>
    encodeCursor({
      d: i % 4 === 3 ? 'before' : 'after',
      k: [row.time, row.id],
      // the page it leads to, roughly (rows before it in the sort, 20 a page), as the UI shows it
      p: Math.max(2, Math.round(Number(row.position) / 20)),
      s: order,
    }),
  );
}

/** One URL of the mix and its kind, for the per-kind figures that show where the tail comes from. */
interface MixUrl {
  path: string;
  kind: string;
}

async function requestMix({ db }: ScaleBenchContext): Promise<MixUrl[]> {
  const customers = { table: 'customers', time: 'created_at' };
  const referrals = { table: 'referrals', time: 'submitted_at' };
  const [customerTerms, referralTerms, customerCursors, referralCursors, approvedCursors, oldestCursors] = await Promise.all([
    customerSearchTerms(db, URLS_PER_KIND / 2),
    referralSearchTerms(db, URLS_PER_KIND / 2),
    spreadCursors(db, customers, CURSORS_PER_KIND, 'desc'),
    spreadCursors(db, referrals, CURSORS_PER_KIND, 'desc'),
    spreadCursors(db, { ...referrals, where: "status = 'approved'" }, CURSORS_PER_KIND, 'desc'),
    spreadCursors(db, referrals, CURSORS_PER_KIND, 'asc'),
  ]);
  // the third URL of each step: a cursor page (every other step, the four kinds in turn) or a first page / filter
  const cursorPage = (k: number, n: number): MixUrl =>
    [
      { path: `/api/customers?limit=20&cursor=${customerCursors[n]}`, kind: 'customers, cursor page' },
      { path: `/api/referrals?limit=20&cursor=${referralCursors[n]}`, kind: 'referrals, cursor page' },
      { path: `/api/referrals?limit=20&status=approved&cursor=${approvedCursors[n]}`, kind: 'referrals approved, cursor page' },
      { path: `/api/referrals?limit=20&sort=oldest&cursor=${oldestCursors[n]}`, kind: 'referrals oldest first, cursor page' },
    ][k];
  const firstPage = (k: number): MixUrl =>
    [
      { path: '/api/customers?limit=20', kind: 'customers, first page' },
      { path: '/api/referrals?limit=20', kind: 'referrals, first page' },
      { path: '/api/referrals?limit=20&status=pending_approval', kind: 'referrals pending approval, first page' },
      { path: '/api/referrals?limit=20&flagged=true&period=30', kind: 'referrals flagged in 30 d, first page' },
    ][k];
  const urls: MixUrl[] = [];
  for (let i = 0; i < URLS_PER_KIND; i++) {
    const customerTerm = customerTerms[i % customerTerms.length];
    const referralTerm = referralTerms[i % referralTerms.length];
    urls.push(
      { path: `/api/customers?limit=20&search=${encodeURIComponent(customerTerm.text)}`, kind: `customer search: ${customerTerm.kind}` },
      { path: `/api/referrals?limit=20&search=${encodeURIComponent(referralTerm.text)}`, kind: `referral search: ${referralTerm.kind}` },
      i % 2 === 0 ? cursorPage((i / 2) % 4, Math.floor(i / 8)) : firstPage(((i - 1) / 2) % 4),
    );
  }
  return urls;
}

/**
 * Where the tail comes from, without load: up to SEQUENTIAL_PER_KIND URLs of each kind, one
 * request at a time (after the loaded run, so the cache is as warm as the mix keeps it), each
 * timed from send to the last byte; a row per kind, slowest p95 first.
 */
async function latencyByKind(context: ScaleBenchContext, urls: MixUrl[]): Promise<string[]> {
  const byKind = new Map<string, number[]>();
  let slowest = { ms: 0, path: '' };
  for (const url of urls) {
    const times = byKind.get(url.kind) ?? [];
    if (times.length >= SEQUENTIAL_PER_KIND) continue;
    byKind.set(url.kind, times);
    const started = performance.now();
    const response = await fetch(`${context.api.url}${url.path}`, { headers: { authorization: `Bearer ${context.token}` } });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${url.path} answered ${response.status}`);
    times.push(performance.now() - started);
    if (times.at(-1)! > slowest.ms) slowest = { ms: times.at(-1)!, path: url.path };
  }
  const rows = [...byKind].map(([kind, times]) => ({ kind, ...summarise(times) })).sort((a, b) => b.p95 - a.p95);
  return table(
    [
      ['kind (one request at a time)', 'n', 'p50', 'p95', 'max'],
      ...rows.map((row) => [row.kind, String(row.count), ms(row.p50), ms(row.p95), ms(row.max)]),
    ],
    ['l', 'r', 'r', 'r', 'r'],
  )
    .split('\n')
    .concat(`slowest    ${ms(slowest.ms)}: ${decodeURIComponent(slowest.path)}`);
}

/**
 * The API's database pool while the loaded run goes on: its own gauge
 * (bebsy_db_pool_connections{state="waiting"}: acquires queued for a connection) read from
 * /metrics every POOL_SAMPLE_MS.
 */
function samplePoolWaits(context: ScaleBenchContext): () => { samples: number; withWaiters: number; maxWaiting: number } {
  const waiting: number[] = [];
  const timer = setInterval(() => {
    fetch(`${context.api.url}/metrics`)
      .then((response) => response.text())
      .then((text) => {
        const value = prometheusSample(text, 'bebsy_db_pool_connections', 'state="waiting"');
        if (value !== undefined) waiting.push(value);
      })
      .catch(() => {});
  }, POOL_SAMPLE_MS);
  return () => {
    clearInterval(timer);
    return { samples: waiting.length, withWaiters: waiting.filter((n) => n > 0).length, maxWaiting: Math.max(0, ...waiting) };
  };
}

async function run(context: ScaleBenchContext, paths: string[], rate: number, seconds: number) {
  let next = 0;
  const result = await autocannon({
    url: context.api.url,
    connections: rate === RATE ? CONNECTIONS : 4,
    pipelining: 1,
    overallRate: rate,
    duration: seconds,
    headers: { authorization: `Bearer ${context.token}` },
    requests: [{ setupRequest: (request) => ({ ...request, method: 'GET', path: paths[next++ % paths.length] }) }],
  });
  return result;
}

/** Requests of a run without a 2xx answer in time (autocannon's timeout: 10 s); any one misses the target. */
const failures = (result: autocannon.Result) => result.non2xx + result.errors + result.timeouts;
const describeFailures = (result: autocannon.Result) =>
  `${failures(result)} failed (${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts of 10 s)`;

export const benchFixedRate: ScaleBench = async (context) => {
  const urls = await requestMix(context);
  const paths = urls.map((url) => url.path);
  context.log(
    `fixed rate: baseline ${BASELINE_SECONDS}s at ${BASELINE_RATE} req/s, then ${SECONDS}s at ${RATE} req/s over ${paths.length} list/search URLs`,
  );
  const baseline = await run(context, paths, BASELINE_RATE, BASELINE_SECONDS);
  const poolWaits = samplePoolWaits(context);
  const loaded = await run(context, paths, RATE, SECONDS);
  const pool = poolWaits();
  const achieved = loaded.requests.total / SECONDS;
  context.log(`fixed rate: each kind on its own, one request at a time`);
  const byKind = await latencyByKind(context, urls);
  return {
    name: `list and search endpoints at a fixed ${RATE} req/s`,
    lines: [
      `mix        ${paths.length} URLs: customer searches, referral searches (1/3 each), cursor pages from across the tables and first pages / filters (1/6 each)`,
      `baseline   ${BASELINE_RATE} req/s: p50 ${ms(baseline.latency.p50)}  p99 ${ms(baseline.latency.p99)}; ${describeFailures(baseline)}`,
      `loaded     ${achieved.toFixed(1)} req/s achieved: p50 ${ms(loaded.latency.p50)}  p97.5 ${ms(loaded.latency.p97_5)}  p99 ${ms(loaded.latency.p99)}  max ${ms(loaded.latency.max)}; ${describeFailures(loaded)}`,
      `ratio      loaded p99 / baseline p99 = ${(loaded.latency.p99 / baseline.latency.p99).toFixed(2)}`,
      `pool       while loaded: acquires waiting for a connection in ${pool.withWaiters} of ${pool.samples} samples (every ${POOL_SAMPLE_MS} ms), at most ${pool.maxWaiting}`,
      ...byKind,
    ],
    targets: [
      {
        description: `list/search p99 <= ${TARGET_P99_MS} ms at ${RATE} req/s, none failed: ${ms(loaded.latency.p99)} (achieved ${achieved.toFixed(0)} req/s, ${failures(loaded)} failed)`,
        met: loaded.latency.p99 <= TARGET_P99_MS && achieved >= RATE * 0.98 && failures(loaded) === 0,
      },
    ],
  };
};
