import { after, before, describe, it } from 'node:test';
import type { ProxiedRequest, ProxyFault } from '../support/faulty-proxy.js';
import { check, endChecks, info, loadChecks, report, settle, settleCheck } from './lib/invariants.js';
import { LoadRecorder, planJourneys, roundRobin, runJourneys } from './lib/load.js';
import { startFaultSystem, type FaultSystem } from './lib/system.js';

/**
 * Fault 5: the email provider (the fake Resend behind a faulty proxy) answers 500, 429, or
 * times out, while referrals run. Each message (idempotency key) gets one plan, in turn:
 * delivered at once; 500 then delivered; 429 then delivered; 500, 429, then delivered; no
 * answer at all (the first attempt hangs past the activity's 30 s start-to-close timeout, then
 * is dropped, never delivered); delivered but the answer lost (the provider took it, the
 * worker times out and tries again: the Idempotency-Key must keep it to one message). Every
 * message must reach the provider exactly once, the outbox must say so, and the referrals
 * must run their course meanwhile (emails never hold a referral up).
 */
const HOLD_MS = 35_000;
const PLANS: Record<string, ProxyFault[]> = {
  ok: [],
  'server error': [
    { kind: 'answer', status: 500, body: { statusCode: 500, name: 'internal_server_error', message: 'An unexpected error occurred.' } },
  ],
  'rate limited': [
    {
      kind: 'answer',
      status: 429,
      headers: { 'retry-after': '1' },
      body: { statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many requests. You can only make 2 requests per second.' },
    },
  ],
  'server error, rate limited': [
    { kind: 'answer', status: 500, body: { statusCode: 500, name: 'internal_server_error', message: 'An unexpected error occurred.' } },
    { kind: 'answer', status: 429, body: { statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many requests.' } },
  ],
  'no answer': [{ kind: 'hang', ms: HOLD_MS }],
  'answer lost': [{ kind: 'lose-answer', ms: HOLD_MS }],
};
const PLAN_NAMES = Object.keys(PLANS);

describe('fault: the email provider answers 500, 429 or times out', () => {
  let system: FaultSystem;
  const planOf = new Map<string, string>();
  const attemptsOf = new Map<string, number>();

  /** The key's plan (given in turn as keys first arrive) and which attempt this is. */
  function provider(request: ProxiedRequest): ProxyFault {
    const key = String(request.headers['idempotency-key'] ?? '');
    if (!planOf.has(key)) planOf.set(key, PLAN_NAMES[planOf.size % PLAN_NAMES.length]);
    const attempt = (attemptsOf.get(key) ?? 0) + 1;
    attemptsOf.set(key, attempt);
    return PLANS[planOf.get(key)!][attempt - 1] ?? { kind: 'forward' };
  }

  before(async () => {
    system = await startFaultSystem({ provider });
    await Promise.all([system.startApi(), system.startWorker()]);
  });
  after(() => system?.close());

  it('delivers every email exactly once and never holds a referral up', async () => {
    const started = Date.now();
    const journeys = planJourneys(await system.referrers(30), { paid: 14, revoked: 6, rejected: 4, awaiting: 6 });
    const load = new LoadRecorder();
    const api = roundRobin(() => system.apis.map((a) => a.url));
    await runJourneys({ load, api, webhookSecret: system.webhookSecret }, journeys, 15_000);
    const settled = await settle(system, journeys, { timeoutMs: 150_000 });
    const { checks } = await endChecks(system, journeys);

    // Per plan: how many keys, and how many requests each needed (the plan's faults, then one that went through).
    const byPlan = PLAN_NAMES.map((plan) => {
      const keys = [...planOf].filter(([, p]) => p === plan).map(([k]) => k);
      const requests = keys.map((k) => attemptsOf.get(k) ?? 0);
      const expected = PLANS[plan].length + 1;
      return { plan, keys: keys.length, requests, ok: requests.every((n) => n === expected), expected };
    });
    const outbox: { attempts: number }[] = await system.db('email_outbox').select('attempts');
    const recorded = outbox.reduce((a, r) => a + r.attempts, 0);
    const atProxy = [...attemptsOf.values()].reduce((a, b) => a + b, 0);
    report(
      'email-provider',
      [
        info(
          `faults: ${byPlan.map((p) => `${p.plan} ×${p.keys}`).join(', ')} (a hang and a lost answer are held ${HOLD_MS / 1000} s, past the 30 s start-to-close)`,
        ),
        check(
          byPlan.every((p) => p.ok && p.keys > 0),
          `attempts per message: each plan's faults, then one that went through: ${byPlan
            .map((p) => `${p.plan} ${p.ok ? `${p.expected} each` : JSON.stringify(p.requests)}`)
            .join('; ')}`,
        ),
        check(recorded === atProxy, `send attempts: ${atProxy} at the provider's door, ${recorded} recorded in the outbox`),
        check(
          settled.endedMs !== null && settled.settledMs !== null && settled.endedMs < settled.settledMs,
          `referrals ended before the slowest emails were out (emails run beside the lifecycle)`,
        ),
        ...loadChecks(journeys, load),
        settleCheck(settled, 150_000),
        ...checks,
        info(`duration: ${Math.round((Date.now() - started) / 1000)} s`),
      ],
      system.outputs(),
    );
  });
});
