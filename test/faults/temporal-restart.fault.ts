import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { referralSearchAttributes } from '../../domain/search-attributes.js';
import { startDevTemporal, type DevTemporal } from '../../scripts/infra/dev-temporal.js';
import { freePort } from '../../scripts/infra/free-port.js';
import { check, endChecks, info, loadChecks, report, settle, settleCheck, type Check } from './lib/invariants.js';
import { LoadRecorder, planJourneys, readLoad, roundRobin, runJourneys } from './lib/load.js';
import { startFaultSystem, type FaultSystem } from './lib/system.js';

/**
 * Fault 2: the Temporal server SIGKILLed mid-load and started again on its data (a dev server
 * on a SQLite file of the scenario's own, same port) 20 s later. The API answers 503 with
 * Retry-After meanwhile, or holds the request until Temporal is back (the load tries again
 * either way), the worker reconnects by itself, and every referral completes as if nothing
 * happened.
 */
const DOWN_MS = 20_000;

/** The pid of the dev server running on this SQLite file (found through /proc, as dev-temporal.ts does for orphans). */
function devServerPid(dbFile: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes('start-dev') && argv[argv.indexOf('--db-filename') + 1] === dbFile) return Number(entry);
    } catch {
      /* gone meanwhile */
    }
  }
  throw new Error(`no Temporal dev server runs on ${dbFile}`);
}

describe('fault: the Temporal server killed and restarted on its data mid-load', () => {
  let dir: string;
  let dbFile: string;
  let port: number;
  let temporal: DevTemporal;
  let system: FaultSystem;
  let checks: Check[];

  const startTemporal = () => startDevTemporal({ dbFile, port, uiPort: false, searchAttributes: referralSearchAttributes });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bebsy-faults-temporal-'));
    dbFile = path.join(dir, 'temporal.db');
    port = await freePort();
    temporal = await startTemporal();
    system = await startFaultSystem({ temporalAddress: temporal.address });
    await Promise.all([system.startApi(), system.startWorker()]);

    const started = Date.now();
    const journeys = planJourneys(await system.referrers(40), { paid: 14, early: 6, revoked: 8, rejected: 4, awaiting: 8 });
    const load = new LoadRecorder();
    const api = roundRobin(() => system.apis.map((a) => a.url));
    let loadDone = false;
    const outage = { killedAt: 0, backAt: 0 };
    const fault = (async () => {
      await new Promise((r) => setTimeout(r, 8_000));
      process.kill(devServerPid(dbFile), 'SIGKILL');
      outage.killedAt = Date.now();
      await temporal.stop(); // reaps the killed process
      await new Promise((r) => setTimeout(r, DOWN_MS));
      temporal = await startTemporal();
      outage.backAt = Date.now();
    })();
    await Promise.all([
      runJourneys({ load, api, webhookSecret: system.webhookSecret }, journeys, 30_000).finally(() => (loadDone = true)),
      readLoad(
        load,
        api,
        journeys.map((j) => j.referrer.code),
        { until: () => loadDone },
      ),
      fault,
    ]);
    const settled = await settle(system, journeys, { timeoutMs: 150_000 });
    const end = await endChecks(system, journeys);
    const writes = load.sent.filter((s) => s.label === 'submit' || s.label === 'webhook');
    checks = [
      info(
        `fault: the Temporal dev server SIGKILLed 8 s into the load, started again on its SQLite file and port ${Math.round(
          (outage.backAt - outage.killedAt) / 1000,
        )} s later`,
      ),
      check(
        load.count(503) + load.hangs().length > 0,
        `the outage was felt: ${load.count(503)} answers 503 (submit ${load.count(503, 'submit')}, webhook ${load.count(503, 'webhook')}, ` +
          `health ${load.count(503, 'health')}); submissions and webhooks answered after more than 5 s: ${writes.filter((s) => s.ms > 5_000).length}`,
      ),
      ...loadChecks(journeys, load),
      settleCheck(settled, 150_000),
      ...end.checks,
      info(`duration: ${Math.round((Date.now() - started) / 1000)} s`),
    ];
  });
  after(async () => {
    await system?.close();
    await temporal?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('completes every referral once it is back: nothing lost, nothing twice, no 500', () => {
    report(
      'temporal-restart',
      checks.filter((c) => c.id !== 'hangs'),
      system.outputs(),
    );
  });

  it('answers every request within 15 s while Temporal is down (a 503 with Retry-After)', () => {
    report(
      'temporal-restart',
      checks.filter((c) => c.id === 'hangs'),
    );
  });
});
