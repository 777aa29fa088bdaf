import { after, before, describe, it } from 'node:test';
import { startPostgresCluster, type PostgresCluster } from '../support/pg-cluster.js';
import { check, endChecks, info, loadChecks, report, settle, settleCheck, type Check } from './lib/invariants.js';
import { LoadRecorder, planJourneys, readLoad, roundRobin, runJourneys } from './lib/load.js';
import { startFaultSystem, type FaultSystem } from './lib/system.js';

/**
 * Fault 3: Postgres stopped for 20 s in the middle of the load, then started again on the
 * same data and port. It is a cluster of the scenario's own (pg_ctl: test/support/pg-cluster.ts),
 * never the suite's or the machine's server. Meanwhile the API must answer 503 with
 * Retry-After (never a 500, never a hang), the API and the worker processes must stay up and
 * recover by themselves, and nothing acknowledged (a 2xx) may be lost.
 */
const DOWN_MS = 20_000;

describe('fault: Postgres stopped for 20 s mid-load', () => {
  let cluster: PostgresCluster;
  let system: FaultSystem;
  let checks: Check[];

  before(async () => {
    cluster = await startPostgresCluster();
    system = await startFaultSystem({ postgresUrl: cluster.url });
    await Promise.all([system.startApi(), system.startWorker()]);

    const started = Date.now();
    const journeys = planJourneys(await system.referrers(40), { paid: 14, early: 6, revoked: 8, rejected: 4, awaiting: 8 });
    const load = new LoadRecorder();
    const api = roundRobin(() => system.apis.map((a) => a.url));
    let loadDone = false;
    const outage = { stoppedAt: 0, backAt: 0 };
    const fault = (async () => {
      await new Promise((r) => setTimeout(r, 8_000));
      await cluster.stop('fast');
      outage.stoppedAt = Date.now();
      await new Promise((r) => setTimeout(r, DOWN_MS));
      await cluster.start();
      outage.backAt = Date.now();
    })();
    await Promise.all([
      runJourneys({ load, api, webhookSecret: system.webhookSecret }, journeys, 40_000).finally(() => (loadDone = true)),
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
    const unavailable = load.sent.filter((s) => s.outcome === 503);
    checks = [
      info(
        `fault: pg_ctl stop -m fast 8 s into the load, pg_ctl start ${Math.round((outage.backAt - outage.stoppedAt) / 1000)} s later ` +
          `(postgres from ${cluster.binaries})`,
      ),
      check(
        unavailable.length > 0,
        `the outage was felt: ${unavailable.length} answers 503 (${['submit', 'webhook', 'lookup', 'health']
          .map((label) => `${label} ${load.count(503, label)}`)
          .join(', ')}), slowest ${Math.max(0, ...unavailable.map((s) => s.ms))} ms`,
      ),
      ...loadChecks(journeys, load),
      settleCheck(settled, 150_000),
      ...end.checks,
      info(`duration: ${Math.round((Date.now() - started) / 1000)} s`),
    ];
  });
  after(async () => {
    await system?.close();
    await cluster?.destroy();
  });

  it('answers 503 with Retry-After, never a 500 or a hang, and loses nothing acknowledged', () => {
    report('postgres-outage', checks, system.outputs());
  });
});
