/**
 * The list and search endpoints under a fixed request rate (autocannon's overallRate, no
 * pipelining, its coordinated-omission correction on): a mix of first pages, cursor pages,
 * status filters and searches over customers and referrals. Baseline: the same mix at a gentle
 * 10 requests/s, so the ratio shows what the load adds. Target: p99 ≤ 200 ms at 200 req/s.
 */
import autocannon from 'autocannon';
import { ms } from '../stats.js';
import type { ScaleBench, ScaleBenchContext } from './context.js';
import { customerSearchTerms, referralSearchTerms } from './search-terms.js';

const RATE = 200;
const BASELINE_RATE = 10;
const SECONDS = 30;
const BASELINE_SECONDS = 10;
const CONNECTIONS = 40;
const TARGET_P99_MS = 200;

async function requestMix({ api, db, token }: ScaleBenchContext): Promise<string[]> {
  const firstPage = async (path: string) => {
    const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return ((await res.json()) as { pagination: { next_cursor: string } }).pagination.next_cursor;
  };
  const [customerTerms, referralTerms, customersNext, referralsNext, approvedNext] = await Promise.all([
    customerSearchTerms(db, 100),
    referralSearchTerms(db, 100),
    firstPage('/api/customers?limit=20'),
    firstPage('/api/referrals?limit=20'),
    firstPage('/api/referrals?limit=20&status=approved'),
  ]);
  const paths: string[] = [];
  for (let i = 0; i < 100; i++) {
    paths.push(
      `/api/customers?limit=20&search=${encodeURIComponent(customerTerms[i % customerTerms.length])}`,
      `/api/referrals?limit=20&search=${encodeURIComponent(referralTerms[i % referralTerms.length])}`,
      [
        '/api/customers?limit=20',
        `/api/customers?limit=20&cursor=${customersNext}`,
        '/api/referrals?limit=20',
        `/api/referrals?limit=20&cursor=${referralsNext}`,
        '/api/referrals?limit=20&status=pending_approval',
        `/api/referrals?limit=20&status=approved&cursor=${approvedNext}`,
        '/api/referrals?limit=20&flagged=true&period=30',
        '/api/referrals?limit=20&sort=oldest&period=90',
      ][i % 8],
    );
  }
  return paths;
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
  const failed = result.non2xx + result.errors + result.timeouts;
  if (failed > 0)
    throw new Error(`fixed-rate run at ${rate} req/s: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  return result;
}

export const benchFixedRate: ScaleBench = async (context) => {
  const paths = await requestMix(context);
  context.log(
    `fixed rate: baseline ${BASELINE_SECONDS}s at ${BASELINE_RATE} req/s, then ${SECONDS}s at ${RATE} req/s over ${paths.length} list/search URLs`,
  );
  const baseline = await run(context, paths, BASELINE_RATE, BASELINE_SECONDS);
  const loaded = await run(context, paths, RATE, SECONDS);
  const achieved = loaded.requests.total / SECONDS;
  return {
    name: `list and search endpoints at a fixed ${RATE} req/s`,
    lines: [
      `mix        customer search, referral search, first/cursor pages, status/flagged/period filters (1/3 each kind)`,
      `baseline   ${BASELINE_RATE} req/s: p50 ${ms(baseline.latency.p50)}  p99 ${ms(baseline.latency.p99)}`,
      `loaded     ${achieved.toFixed(1)} req/s achieved: p50 ${ms(loaded.latency.p50)}  p97.5 ${ms(loaded.latency.p97_5)}  p99 ${ms(loaded.latency.p99)}  max ${ms(loaded.latency.max)}`,
      `ratio      loaded p99 / baseline p99 = ${(loaded.latency.p99 / baseline.latency.p99).toFixed(2)}`,
    ],
    targets: [
      {
        description: `list/search p99 <= ${TARGET_P99_MS} ms at ${RATE} req/s: ${ms(loaded.latency.p99)} (achieved ${achieved.toFixed(0)} req/s)`,
        met: loaded.latency.p99 <= TARGET_P99_MS && achieved >= RATE * 0.98,
      },
    ],
  };
};
