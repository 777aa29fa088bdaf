import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { check, endChecks, info, loadChecks, report, settle, settleCheck } from './lib/invariants.js';
import { LoadRecorder, planJourneys, readLoad, roundRobin, runJourneys, type Journey } from './lib/load.js';
import { startFaultSystem, type FaultSystem } from './lib/system.js';

/**
 * Fault 1: the worker process SIGKILLed inside activities, again and again, while referrals
 * are submitted, confirmed and cancelled. Each kill lands at a chosen point, in turn: inside
 * sendEmail (the provider answers after 400 ms, the kill comes while a request is open),
 * inside payReward and inside recordTransition (a lock on their table holds the statement
 * until the kill). A new worker process takes over each time. Every referral must end right,
 * with exactly one reward per paid referral and one email per event at the provider.
 */
const KILLS = 6;
const POINTS = ['sendEmail', 'payReward', 'recordTransition'] as const;
type Point = (typeof POINTS)[number];

describe('fault: the worker SIGKILLed inside activities, repeatedly, under load', () => {
  let system: FaultSystem;
  before(async () => {
    system = await startFaultSystem({ provider: () => ({ kind: 'forward', delayMs: 400 }) });
    await Promise.all([system.startApi(), system.startWorker()]);
  });
  after(() => system?.close());

  /** The statements of other sessions waiting on a lock in the scenario's database. */
  const waitingOnLocks = async (): Promise<string[]> =>
    (
      await system.db.raw<{ rows: { query: string }[] }>(
        "SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database() AND pid <> pg_backend_pid()",
      )
    ).rows.map((r) => r.query);

  async function until(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await condition()) return true;
      await new Promise((r) => setTimeout(r, 25));
    }
    return false;
  }

  /** Kills the running worker at the point (true: it was inside that activity), then starts the next one. */
  async function killAt(point: Point): Promise<boolean> {
    const worker = system.workers.at(-1)!;
    let held: Knex.Transaction | null = null;
    let inside: boolean;
    try {
      if (point === 'sendEmail') {
        inside = await until(() => system.proxy.inFlight() > 0, 10_000);
      } else {
        const [table, statement] =
          point === 'payReward' ? ['rewards', /insert into "?rewards"?/i] : ['audit_log', /insert into "?audit_log"?/i];
        held = await system.db.transaction();
        await held.raw(`LOCK TABLE ${table} IN SHARE MODE`);
        inside = await until(async () => (await waitingOnLocks()).some((q) => statement.test(q)), 10_000);
      }
      await worker.kill('SIGKILL');
    } finally {
      // The killed worker's statement, still waiting in Postgres, may now go through: the retry must not do it twice.
      await held?.rollback();
    }
    await system.startWorker(`worker-${system.workers.length + 1}`);
    return inside;
  }

  it('ends every referral right, with one reward per paid referral and one email per event', async () => {
    const started = Date.now();
    const journeys: Journey[] = planJourneys(await system.referrers(48), { paid: 18, revoked: 10, rejected: 8, awaiting: 12 });
    const load = new LoadRecorder();
    const api = roundRobin(() => system.apis.map((a) => a.url));
    const options = { load, api, webhookSecret: system.webhookSecret };
    let loadDone = false;

    const kills: Array<{ point: Point; inside: boolean }> = [];
    const killer = (async () => {
      for (let i = 0; i < KILLS; i++) {
        await new Promise((r) => setTimeout(r, 2_000));
        const point = POINTS[i % POINTS.length];
        kills.push({ point, inside: await killAt(point) });
      }
    })();
    await Promise.all([
      runJourneys(options, journeys, 40_000).finally(() => (loadDone = true)),
      readLoad(
        load,
        api,
        journeys.map((j) => j.referrer.code),
        { until: () => loadDone },
      ),
      killer,
    ]);
    const settled = await settle(system, journeys, { timeoutMs: 150_000 });
    const { checks, facts } = await endChecks(system, journeys, { histories: true });

    const inside = kills.filter((k) => k.inside);
    const retries = Object.values(facts.retries).reduce((a, b) => a + b, 0);
    report(
      'worker-kills',
      [
        info(
          `faults: ${kills.length} worker SIGKILLs, ${inside.length} inside the chosen activity (${kills
            .map((k) => `${k.point}${k.inside ? '' : ' (missed)'}`)
            .join(', ')}); ${system.workers.length} worker processes in all`,
        ),
        check(inside.length >= KILLS - 1, `kills that landed inside an activity: ${inside.length} of ${KILLS}`),
        check(
          retries >= inside.length,
          `activity attempts retried after the kills (histories): ${retries} ${JSON.stringify(facts.retries)}`,
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
