import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { check, endChecks, info, loadChecks, report, settle, settleCheck, type Check } from './lib/invariants.js';
import {
  countBy,
  LoadRecorder,
  planJourneys,
  readLoad,
  roundRobin,
  runJourney,
  submitStep,
  webhookStep,
  type Answer,
  type Journey,
  type JourneyOptions,
} from './lib/load.js';
import { startFaultSystem, type FaultSystem } from './lib/system.js';

/**
 * Fault 6: two API processes and two worker processes on one Temporal task queue, started at
 * the same moment. The load goes to both APIs in turn, and some referrals are submitted to
 * both at once and their confirmation delivered to both at once (a client retrying against
 * another instance behind a load balancer). Both workers must take a share of the work, and
 * nothing may be done twice: one referral per submission, one application per webhook, one
 * reward, one email per event.
 */
const DUAL = 8;

describe('fault: two worker and two API processes on one Temporal', () => {
  let system: FaultSystem;
  let checks: Check[];

  before(async () => {
    system = await startFaultSystem();
    await Promise.all([system.startApi('api-1'), system.startApi('api-2'), system.startWorker('worker-1'), system.startWorker('worker-2')]);

    const started = Date.now();
    const load = new LoadRecorder();
    const served = new Map<string, number>();
    const next = roundRobin(() => system.apis.map((a) => a.url));
    const api = () => {
      const url = next();
      served.set(url, (served.get(url) ?? 0) + 1);
      return url;
    };
    const options: JourneyOptions = { load, api, webhookSecret: system.webhookSecret };
    const journeys = planJourneys(await system.referrers(40), { paid: 16, revoked: 8, early: 4, rejected: 4, awaiting: 8 });
    const dual = journeys.filter((j) => j.kind === 'paid').slice(0, DUAL);
    const pairs: Array<{ submit: Answer[]; confirm: Answer[] }> = [];

    /** The same step sent to each API at once. */
    const toBoth = <T>(step: (o: JourneyOptions) => Promise<T>) =>
      Promise.all(system.apis.map((a) => step({ ...options, api: () => a.url })));
    const run = async (journey: Journey) => {
      if (!dual.includes(journey)) return runJourney(options, journey);
      const submit = await toBoth((o) => submitStep(o, journey));
      const id = `msg_${randomUUID()}`;
      journey.referralId = String(submit[0].body?.id);
      journey.acknowledged.submit = submit.map((s) => s.outcome).join('+');
      const confirm = await toBoth((o) => webhookStep(o, journey, 'booking.confirmed', { id }));
      if (confirm.some((c) => c.body?.outcome === 'applied')) journey.acknowledged.confirm = 'applied';
      pairs.push({ submit, confirm });
    };

    let loadDone = false;
    const gap = 25_000 / journeys.length;
    await Promise.all([
      Promise.all(journeys.map((j, i) => new Promise((r) => setTimeout(r, i * gap)).then(() => run(j)))).finally(() => (loadDone = true)),
      readLoad(
        load,
        api,
        journeys.map((j) => j.referrer.code),
        { until: () => loadDone },
      ),
    ]);
    const settled = await settle(system, journeys, { timeoutMs: 120_000 });
    const end = await endChecks(system, journeys, { histories: true });

    const sameReferral = pairs.filter((p) => p.submit.every((s) => s.body?.id === p.submit[0].body?.id));
    const createdOnce = pairs.filter((p) => [...p.submit.map((s) => s.outcome)].sort().join('+') === '200+201');
    const appliedOnce = pairs.filter((p) => [...p.confirm.map((c) => String(c.body?.outcome))].sort().join('+') === 'applied+duplicate');
    const workerName = new Map(system.workers.map((w) => [w.pid, w.name]));
    const share = (byIdentity: Record<string, number>) => {
      const total = Object.values(byIdentity).reduce((a, b) => a + b, 0);
      const named = Object.entries(byIdentity).map(
        ([identity, n]) => [workerName.get(Number(identity.split('@')[0])) ?? identity, n] as const,
      );
      return { total, named, fair: named.length === 2 && named.every(([, n]) => n >= total * 0.15) };
    };
    const activities = share(end.facts.activitiesByWorker);
    const tasks = share(end.facts.workflowTasksByWorker);
    const fmt = (s: ReturnType<typeof share>) =>
      s.named.map(([name, n]) => `${name} ${n} (${Math.round((n / s.total) * 100)}%)`).join(', ');
    checks = [
      info(
        `processes: ${[...system.apis, ...system.workers].map((p) => `${p.name} pid ${p.pid}`).join(', ')}, all started at once on one task queue`,
      ),
      check(
        system.apis.every((a) => (served.get(a.url) ?? 0) > 0),
        `both APIs served the load: ${system.apis.map((a) => `${a.name} ${served.get(a.url) ?? 0} requests`).join(', ')}`,
      ),
      check(activities.fair, `activities shared (each worker at least 15%): ${fmt(activities)}`),
      check(tasks.fair, `workflow tasks shared: ${fmt(tasks)}`),
      check(
        sameReferral.length === DUAL && createdOnce.length === DUAL,
        `the same submission to both APIs at once, ${pairs.length}×: one referral each time ${sameReferral.length}, answered 201 + 200 ${createdOnce.length}`,
      ),
      check(
        appliedOnce.length === DUAL,
        `the same confirmation to both APIs at once, ${pairs.length}×: applied once + duplicate ${appliedOnce.length} (${JSON.stringify(
          countBy(pairs.map((p) => p.confirm.map((c) => String(c.body?.outcome)).join('+'))),
        )})`,
      ),
      ...loadChecks(journeys, load),
      settleCheck(settled, 120_000),
      ...end.checks,
      info(`duration: ${Math.round((Date.now() - started) / 1000)} s`),
    ];
  });
  after(() => system?.close());

  it('shares the work between the workers and does nothing twice', () => {
    report('two-of-each', checks, system.outputs());
  });
});
