/**
 * Customer search at scale: the API (HTTP, JSON, auth, validation) against the same SQL run
 * directly through the repository in this process, term by term, alternating, so both see the
 * same cache state. Target: API p95 ≤ 25 ms and API p95 / SQL p95 ≤ 1.5.
 */
import { listCustomers } from '../../db/repositories/customers.js';
import { ms, summarise } from '../stats.js';
import type { ScaleBench } from './context.js';
import { customerSearchTerms } from './search-terms.js';

const TERMS = 300;
const ROUNDS = 3;
const TARGET_P95_MS = 25;
const TARGET_RATIO = 1.5;

export const benchCustomerSearch: ScaleBench = async ({ api, db, token, log }) => {
  const terms = (await customerSearchTerms(db, TERMS)).map((term) => term.text);
  log(`customer search: ${terms.length} terms x ${ROUNDS} rounds, API vs the same repository call in-process`);
  const apiTimes: number[] = [];
  const sqlTimes: number[] = [];
  const viaApi = async (term: string) => {
    const started = performance.now();
    const res = await fetch(`${api.url}/api/customers?limit=20&search=${encodeURIComponent(term)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as { data: unknown[] };
    if (!res.ok || body.data.length === 0) throw new Error(`search "${term}" answered ${res.status} with ${body.data?.length} rows`);
    return performance.now() - started;
  };
  const direct = async (term: string) => {
    const started = performance.now();
    await listCustomers(db, { page: 1, limit: 20, search: term });
    return performance.now() - started;
  };
  for (const term of terms.slice(0, 30)) await Promise.all([viaApi(term), direct(term)]); // warm-up: connections, plans
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, term] of terms.entries()) {
      if ((i + round) % 2 === 0) {
        apiTimes.push(await viaApi(term));
        sqlTimes.push(await direct(term));
      } else {
        sqlTimes.push(await direct(term));
        apiTimes.push(await viaApi(term));
      }
    }
  }
  const a = summarise(apiTimes);
  const s = summarise(sqlTimes);
  const ratio = a.p95 / s.p95;
  return {
    name: 'customer search (1 client, sequential)',
    lines: [
      `terms      ${terms.length} (email, local part, surname, full name, customer number, referral code) x ${ROUNDS} rounds`,
      `SQL        p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}  (listCustomers in-process: page + capped count)`,
      `API        p50 ${ms(a.p50)}  p95 ${ms(a.p95)}  p99 ${ms(a.p99)}  (GET /api/customers?search=...)`,
      `ratio      API p95 / SQL p95 = ${ratio.toFixed(2)}`,
    ],
    targets: [
      { description: `customer search API p95 <= ${TARGET_P95_MS} ms: ${ms(a.p95)}`, met: a.p95 <= TARGET_P95_MS },
      { description: `customer search API/SQL p95 ratio <= ${TARGET_RATIO}: ${ratio.toFixed(2)}`, met: ratio <= TARGET_RATIO },
    ],
  };
};
