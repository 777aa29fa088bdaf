import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { bookingBody, type BookingEventType } from '../support/http.js';
import { signedWebhook } from '../support/system.js';
import { check, endChecks, info, loadChecks, report, settle, settleCheck, type Check } from './lib/invariants.js';
import { countBy, LoadRecorder, planJourneys, readLoad, roundRobin, submitStep, type Answer, type Journey } from './lib/load.js';
import { startFaultSystem, type FaultSystem } from './lib/system.js';

/**
 * Fault 4: booking webhooks as a flaky or hostile network delivers them, under load:
 * - every delivery sent 5× at once (same webhook-id, each signed afresh, as a sender's retries
 *   racing each other): applied once, the others answered `duplicate`, signalled once;
 * - confirmations that arrive before their referral (5× at once as well): kept, then claimed
 *   by the referral's workflow when it is submitted;
 * - forged deliveries: replayed after the 5-minute tolerance, dated in the future, a body
 *   tampered with after signing (a cancellation moved onto a paid referral's booking), signed
 *   with another secret, another webhook-id under a valid signature: all 401, nothing stored;
 * - legitimate replays (same id, within the tolerance) after everything settled: `duplicate`,
 *   no new signal;
 * - out of order: a cancellation delivered before its confirmation (kept by the workflow: revoked, never paid).
 */
const COPIES = 5;
const NEXT_YEAR = `${new Date().getUTCFullYear() + 1}-06-15`;

describe('fault: webhooks duplicated, replayed, tampered with and out of order', () => {
  let system: FaultSystem;
  let load: LoadRecorder;
  let api: () => string;
  let checks: Check[];

  /** One delivery of a booking event, signed now (or as given), maybe altered after signing. */
  function deliver(
    label: string,
    journey: Journey,
    type: BookingEventType,
    id: string,
    {
      secret = system.webhookSecret,
      timestamp = new Date(),
      departure = '2020-01-15',
      reference = journey.reference,
      alter = (h: { headers: Record<string, string>; payload: string }) => h,
    } = {},
  ): Promise<Answer> {
    const body = bookingBody(type, { booking_reference: reference, customer_email: journey.friend, departure_date: departure });
    const hook = alter(signedWebhook(secret, body, { id, timestamp }));
    return load.send(label, `${api()}/api/webhooks/bookings`, { method: 'POST', headers: hook.headers, body: hook.payload });
  }

  /** COPIES deliveries of one webhook at once; answers their outcomes. */
  async function copies(journey: Journey, type: BookingEventType, id: string, departure?: string): Promise<string[]> {
    const answers = await Promise.all(Array.from({ length: COPIES }, () => deliver('webhook ×5', journey, type, id, { departure })));
    return answers.map((a) => `${a.outcome} ${String(a.body?.outcome ?? a.body?.error)}`);
  }

  before(async () => {
    system = await startFaultSystem();
    await Promise.all([system.startApi(), system.startWorker()]);
    load = new LoadRecorder();
    api = roundRobin(() => system.apis.map((a) => a.url));
    const options = { load, api, webhookSecret: system.webhookSecret };
    const started = Date.now();
    const journeys = planJourneys(await system.referrers(30), { paid: 10, revoked: 6, early: 6, rejected: 4, awaiting: 4 });

    const groups: Array<{ kind: string; webhook: string; answers: string[] }> = [];
    const ids = new Map<Journey, { confirm: string; cancel: string }>();
    const forged: Answer[] = [];
    const forgedIds: string[] = [];
    const run = async (journey: Journey) => {
      const confirm = `msg_${randomUUID()}`;
      const cancel = `msg_${randomUUID()}`;
      ids.set(journey, { confirm, cancel });
      const departure = journey.kind === 'revoked' ? NEXT_YEAR : undefined;
      if (journey.kind === 'early') {
        const answers = await copies(journey, 'booking.confirmed', confirm);
        groups.push({ kind: 'early confirm', webhook: confirm, answers });
        if (answers.some((a) => a.startsWith('202'))) journey.acknowledged.confirm = 'pending';
      }
      const submitted = await submitStep(options, journey);
      if (typeof submitted.outcome !== 'number' || submitted.outcome >= 300) {
        journey.failed = `submit: ${submitted.outcome}`;
        return;
      }
      journey.referralId = String(submitted.body!.id);
      journey.acknowledged.submit = String(submitted.outcome);
      if (journey.kind !== 'paid' && journey.kind !== 'revoked') return;
      const answers = await copies(journey, 'booking.confirmed', confirm, departure);
      groups.push({ kind: `${journey.kind} confirm`, webhook: confirm, answers });
      if (answers.includes('200 applied')) journey.acknowledged.confirm = 'applied';
      if (journey.kind === 'revoked') {
        const cancelled = await copies(journey, 'booking.cancelled', cancel, departure);
        groups.push({ kind: 'revoked cancel', webhook: cancel, answers: cancelled });
        if (cancelled.includes('200 applied')) journey.acknowledged.cancel = 'applied';
        return;
      }
      // Forged deliveries about this paid referral's booking; each under a webhook-id of its own.
      const forge = async (how: Parameters<typeof deliver>[4], type: BookingEventType = 'booking.cancelled') => {
        const id = `msg_${randomUUID()}`;
        forgedIds.push(id);
        forged.push(await deliver('forged', journey, type, id, how));
      };
      await forge({ timestamp: new Date(Date.now() - 6 * 60_000) }); // a capture replayed after the tolerance
      await forge({ timestamp: new Date(Date.now() + 6 * 60_000) }); // dated in the future
      await forge({ secret: `whsec_${randomBytes(24).toString('base64')}` }); // another secret
      await forge({
        // signed for another booking, then moved onto this one
        reference: `${journey.reference}X`,
        alter: (h) => ({ ...h, payload: h.payload.replace(`"${journey.reference}X"`, `"${journey.reference}"`) }),
      });
      await forge({ alter: (h) => ({ ...h, headers: { ...h.headers, 'webhook-id': `msg_${randomUUID()}` } }) }); // another id, same signature
    };

    let loadDone = false;
    const gap = 12_000 / journeys.length;
    await Promise.all([
      Promise.all(journeys.map(async (j, i) => new Promise((r) => setTimeout(r, i * gap)).then(() => run(j)))).finally(
        () => (loadDone = true),
      ),
      readLoad(
        load,
        api,
        journeys.map((j) => j.referrer.code),
        { until: () => loadDone },
      ),
    ]);
    const settled = await settle(system, journeys, { timeoutMs: 120_000 });

    // Legitimate replays (same id, signed now) of every applied confirmation, after the end.
    const replays = await Promise.all(
      journeys.filter((j) => j.kind === 'paid').map((j) => deliver('replay', j, 'booking.confirmed', ids.get(j)!.confirm)),
    );
    const end = await endChecks(system, journeys, { histories: true });

    const expectedAnswers = (kind: string) =>
      kind === 'early confirm' ? [`202 pending`] : ['200 applied', ...Array(COPIES - 1).fill('200 duplicate')];
    const wrongGroups = groups.filter(
      (g) =>
        JSON.stringify([...g.answers].sort()) !==
        JSON.stringify(expectedAnswers(g.kind).length === 1 ? Array(COPIES).fill(expectedAnswers(g.kind)[0]) : expectedAnswers(g.kind)),
    );
    const applied = groups.filter((g) => g.kind !== 'early confirm').map((g) => g.webhook);
    const early = groups.filter((g) => g.kind === 'early confirm').map((g) => g.webhook);
    const signals = end.facts.signalsByWebhook;
    const signalledWrong = applied.filter((id) => signals[id] !== 1);
    const earlySignalled = early.filter((id) => signals[id]);
    const storedForged: number = (await system.db('booking_webhook_inbox').whereIn('webhook_id', forgedIds)).length;
    const inboxRows: number = (await system.db('booking_webhook_inbox').count<{ n: string }[]>({ n: '*' }))[0].n as unknown as number;

    checks = [
      check(
        wrongGroups.length === 0,
        `${groups.length} webhooks delivered ${COPIES}× at once: ${Object.entries(countBy(groups.map((g) => g.kind)))
          .map(([k, n]) => `${n} ${k}`)
          .join(', ')}; each applied once and ${COPIES - 1}× duplicate (early ones: ${COPIES}× pending); otherwise: ${wrongGroups.length}${
          wrongGroups.length ? `: ${JSON.stringify(wrongGroups.slice(0, 3))}` : ''
        }`,
      ),
      check(
        signalledWrong.length === 0 && earlySignalled.length === 0,
        `signals: each of the ${applied.length} applied webhooks reached its workflow exactly once (histories); the ${early.length} early ones were claimed, never signalled; wrong: ${signalledWrong.length + earlySignalled.length}`,
      ),
      check(
        forged.length === 10 * 5 && forged.every((f) => f.outcome === 401 && f.body?.error === 'invalid_signature') && storedForged === 0,
        `forged deliveries: ${forged.length} (stale timestamp, future timestamp, another secret, tampered body, another id; 5 per paid referral): ` +
          `${JSON.stringify(countBy(forged.map((f) => `${f.outcome} ${String(f.body?.error)}`)))}; stored in the inbox: ${storedForged}`,
      ),
      check(
        replays.every((r) => r.outcome === 200 && r.body?.outcome === 'duplicate'),
        `replays within the tolerance after the end: ${replays.length}, answered ${JSON.stringify(countBy(replays.map((r) => `${r.outcome} ${String(r.body?.outcome)}`)))}; no new signal (above)`,
      ),
      check(
        Number(inboxRows) === applied.length + early.length,
        `inbox rows: ${inboxRows}, one per webhook-id (${applied.length + early.length})`,
      ),
      ...loadChecks(journeys, load),
      settleCheck(settled, 120_000),
      ...end.checks,
      info(`duration: ${Math.round((Date.now() - started) / 1000)} s`),
    ];
  });
  after(() => system?.close());

  it('applies each webhook once, refuses forged ones, and ends every referral right', () => {
    report('webhooks', checks, system.outputs());
  });

  it('revokes a referral whose cancellation arrived before its confirmation (out of order)', async () => {
    const options = { load, api, webhookSecret: system.webhookSecret };
    const journeys = planJourneys(await system.referrers(4), { paid: 4 });
    const answers: string[] = [];
    await Promise.all(
      journeys.map(async (journey) => {
        const submitted = await submitStep(options, journey);
        journey.referralId = String(submitted.body!.id);
        for (const type of ['booking.cancelled', 'booking.confirmed'] as const) {
          const a = await deliver('out of order', journey, type, `msg_${randomUUID()}`);
          answers.push(`${type} ${a.outcome} ${String(a.body?.outcome)}`);
        }
      }),
    );
    const ids = journeys.map((j) => j.referralId!);
    const ended = async () => system.db('referrals').whereIn('id', ids).pluck('status');
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (await ended()).some((s) => !['paid', 'revoked'].includes(s)))
      await new Promise((r) => setTimeout(r, 250));
    const statuses = await ended();
    const rewards = (await system.db('rewards').whereIn('referral_id', ids)).length;
    report('webhooks, out of order', [
      info(`deliveries: ${JSON.stringify(countBy(answers))}`),
      check(
        statuses.every((s) => s === 'revoked') && rewards === 0,
        `cancelled before confirmed: ${JSON.stringify(countBy(statuses))}, rewards ${rewards} (expected: all revoked, none paid)`,
      ),
    ]);
  });
});
