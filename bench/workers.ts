/**
 * `npm run bench -- --suite workers [--referrals N] [--rounds N]`: one worker process against
 * two on one task queue (docs/scaling.md), through the whole system as it is deployed: the
 * compiled API and worker(s) as processes of their own (bench/scale/stack.ts), an in-memory
 * Temporal dev server, Postgres (DATABASE_URL's server, else the embedded one).
 *
 * Each round is a fresh database with its API and 1 or 2 workers, and N referrers:
 *   - submission: N referrals POSTed, IN_FLIGHT at a time; timed from the first POST until all N
 *     rows are `awaiting_booking` (the worker ran the rule check and the transition);
 *   - lifecycle: a signed `booking.confirmed` webhook for each (IN_FLIGHT at a time), with
 *     AUTO_APPROVE_REFERRALS=true, REWARD_HOLD_DAYS=0 and a past departure date; timed from the
 *     first webhook until all N are `paid` (three transitions, the reward, three emails).
 * Rounds alternate (1 2 2 1 ...), so neither setting always runs first, and the median of each
 * setting's rounds is compared; every round is printed with the machine's load average. There is
 * no target: the figures go to docs/scaling.md.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { generateReferralCode } from '../domain/referral-code.js';
import { cleanupsOnExitOrSignal } from '../scripts/infra/cleanups.js';
import { startInfra } from './infra.js';
import { buildStack, startFreshStack, type StackSettings } from './scale/stack.js';
import type { FreshStack } from './scale/context.js';
import { table } from './stats.js';

const IN_FLIGHT = 20;
const WEBHOOK_SECRET = `whsec_${Buffer.from(randomUUID()).toString('base64')}`;
const log = (line: string) => console.log(`[bench:workers] ${line}`);

function options() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { referrals: { type: 'string', default: '300' }, rounds: { type: 'string', default: '4' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log('usage: npm run bench -- --suite workers [--referrals N (300)] [--rounds N (4, even)]');
    process.exit(0);
  }
  const referrals = Number(values.referrals);
  const rounds = Number(values.rounds);
  if (!Number.isSafeInteger(referrals) || referrals < 1)
    throw new Error(`--referrals must be a whole number >= 1, got ${values.referrals}`);
  if (!Number.isSafeInteger(rounds) || rounds < 2 || rounds % 2)
    throw new Error(`--rounds must be an even number >= 2, got ${values.rounds}`);
  return { referrals, rounds };
}

/** Runs `count` calls of `call`, IN_FLIGHT at a time. */
async function inFlight(count: number, call: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) await call(next++);
    }),
  );
}

/** Waits until `count` referrals are at `status`; answers the ms since `since`. */
async function allAt(stack: FreshStack, status: string, count: number, since: number): Promise<number> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const [{ n }] = await stack.db('referrals').where({ status }).count<{ n: string }[]>({ n: '*' });
    if (Number(n) >= count) return performance.now() - since;
    if (Date.now() > deadline) throw new Error(`only ${n} of ${count} referrals reached ${status} within 300 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<void> {
  const payload = JSON.stringify(body);
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
}

interface Round {
  workers: number;
  submissionMs: number;
  lifecycleMs: number;
  load: [number, number];
}

async function round(settings: StackSettings, serverUrl: string, workers: number, n: number, tag: string): Promise<Round> {
  const stack = await startFreshStack(settings, serverUrl, tag, {
    workers,
    env: { AUTO_APPROVE_REFERRALS: 'true', REWARD_HOLD_DAYS: '0', BOOKING_WEBHOOK_SECRET: WEBHOOK_SECRET, LOG_LEVEL: 'error' },
  });
  try {
    const codes = (
      await stack.db('customers').insert(
        Array.from({ length: n }, (_, i) => ({
          bebsy_customer_id: `W-${tag}-${i}`,
          name: `Referrer ${i}`,
          email: `referrer.${i}.${tag}@example.nl`,
          referral_code: generateReferralCode(randomInt),
        })),
        ['referral_code'],
      )
    ).map((row: { referral_code: string }) => row.referral_code);
    const load0 = os.loadavg()[0];
    const submitted = performance.now();
    await inFlight(n, (i) =>
      post(`${stack.api.url}/api/referrals`, {
        referrer_code: codes[i],
        new_customer_email: `friend.${i}.${tag}@example.nl`,
        booking_reference: `BK-${tag}-${i}`,
      }),
    );
    const submissionMs = await allAt(stack, 'awaiting_booking', n, submitted);
    const webhook = new Webhook(WEBHOOK_SECRET);
    const booked = performance.now();
    await inFlight(n, async (i) => {
      const id = `msg_${tag}_${i}`;
      const at = new Date();
      const body = JSON.stringify({
        type: 'booking.confirmed',
        data: {
          booking_reference: `BK-${tag}-${i}`,
          customer_email: `friend.${i}.${tag}@example.nl`,
          booking_value: 899,
          currency: 'EUR',
          departure_date: '2026-01-15',
        },
      });
      const res = await fetch(`${stack.api.url}/api/webhooks/bookings`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': webhook.sign(id, at, body),
        },
        body,
      });
      if (!res.ok) throw new Error(`webhook ${i}: ${res.status} ${await res.text()}`);
    });
    const lifecycleMs = await allAt(stack, 'paid', n, booked);
    return { workers, submissionMs, lifecycleMs, load: [load0, os.loadavg()[0]] };
  } finally {
    await stack.stop();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main() {
  const { referrals, rounds } = options();
  console.log('Bebsy referrals: one worker process against two (docs/scaling.md)');
  console.log(`command   npm run bench -- --suite workers ${process.argv.slice(2).join(' ')}`.trim());
  console.log(
    `machine   ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, load ${os.loadavg()[0].toFixed(2)}`,
  );
  const cleanups = cleanupsOnExitOrSignal(log);
  const results: Round[] = [];
  try {
    const infra = await startInfra('memory', log);
    cleanups.push(() => infra.stop());
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'bebsy-bench-workers-'));
    cleanups.push(() => rmSync(workDir, { recursive: true, force: true }));
    const settings: StackSettings = {
      build: await buildStack(workDir),
      temporal: { address: infra.temporal.address, namespace: infra.temporal.namespace },
      workDir,
    };
    // 1 2 2 1, 1 2 2 1, ...
    const order = Array.from({ length: rounds }, (_, i) => ([0, 3].includes(i % 4) ? 1 : 2));
    for (const [i, workers] of order.entries()) {
      log(`round ${i + 1}: ${workers} worker(s), ${referrals} referrals`);
      const result = await round(settings, infra.databaseUrl, workers, referrals, `r${i + 1}${Date.now().toString(36)}`);
      log(`round ${i + 1}: submission ${(result.submissionMs / 1000).toFixed(1)} s, lifecycle ${(result.lifecycleMs / 1000).toFixed(1)} s`);
      results.push(result);
    }
  } finally {
    await cleanups.close();
  }
  const perSecond = (ms: number) => `${((referrals * 1000) / ms).toFixed(1)} /s`;
  const rows = results.map((r, i) => [
    String(i + 1),
    String(r.workers),
    `${(r.submissionMs / 1000).toFixed(1)} s (${perSecond(r.submissionMs)})`,
    `${(r.lifecycleMs / 1000).toFixed(1)} s (${perSecond(r.lifecycleMs)})`,
    `${r.load[0].toFixed(1)} → ${r.load[1].toFixed(1)}`,
  ]);
  for (const workers of [1, 2]) {
    const mine = results.filter((r) => r.workers === workers);
    rows.push([
      'median',
      String(workers),
      perSecond(median(mine.map((r) => r.submissionMs))),
      perSecond(median(mine.map((r) => r.lifecycleMs))),
      '',
    ]);
  }
  console.log('');
  console.log(
    table(
      [['round', 'workers', `submission → awaiting_booking (${referrals})`, `webhook → paid (${referrals})`, 'load average'], ...rows],
      ['l', 'r', 'r', 'r', 'l'],
    ),
  );
  const ratio = (pick: (r: Round) => number) =>
    median(results.filter((r) => r.workers === 1).map(pick)) / median(results.filter((r) => r.workers === 2).map(pick));
  console.log(
    `2 workers / 1 worker, throughput of the medians: submission ${ratio((r) => r.submissionMs).toFixed(2)}×, lifecycle ${ratio((r) => r.lifecycleMs).toFixed(2)}×`,
  );
}

await main();
