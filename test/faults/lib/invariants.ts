import assert from 'node:assert/strict';
import { countBy, HANG_MS, type Journey, type JourneyKind, type LoadRecorder } from './load.js';
import type { FaultSystem } from './system.js';

/**
 * How each journey's referral must end (test/faults/lib/load.ts says what each does), checked
 * against Postgres, the email provider and Temporal once the load has settled, and printed.
 */
interface End {
  status: string;
  rewards: number;
  /** The audit trail's actions, in order (`referral.<status>`), each exactly once. */
  actions: string[];
  /** Emails: notification and who gets it. */
  emails: Array<[string, 'friend' | 'referrer']>;
  /** The workflow: paid and awaiting referrals wait (for a clawback, for a booking); the others have finished. */
  workflow: 'RUNNING' | 'COMPLETED';
}

const PAID: End = {
  status: 'paid',
  rewards: 1,
  actions: ['awaiting_booking', 'pending_approval', 'approved', 'paid'],
  emails: [
    ['friend_welcome', 'friend'],
    ['friend_booked', 'referrer'],
    ['reward_approved', 'referrer'],
    ['reward_paid', 'referrer'],
  ],
  workflow: 'RUNNING',
};

export const ENDS: Record<JourneyKind, End> = {
  paid: PAID,
  early: PAID,
  revoked: {
    status: 'revoked',
    rewards: 0,
    actions: ['awaiting_booking', 'pending_approval', 'approved', 'revoked'],
    emails: [
      ['friend_welcome', 'friend'],
      ['friend_booked', 'referrer'],
      ['reward_approved', 'referrer'],
    ],
    workflow: 'COMPLETED',
  },
  rejected: { status: 'rejected', rewards: 0, actions: ['rejected'], emails: [], workflow: 'COMPLETED' },
  awaiting: {
    status: 'awaiting_booking',
    rewards: 0,
    actions: ['awaiting_booking'],
    emails: [['friend_welcome', 'friend']],
    workflow: 'RUNNING',
  },
};

/**
 * The idempotency keys of the emails a journey's referral must send: its row's workflow id,
 * the notification and the recipient (activities/notifications.ts), given the workflow id of
 * each referral row by its id.
 */
export function expectedEmailKeys(journey: Journey, workflowIds: Map<string, string>): string[] {
  if (!journey.referralId) return [];
  const workflowId = workflowIds.get(journey.referralId) ?? `(no referral row ${journey.referralId})`;
  return ENDS[journey.kind].emails.map(
    ([notification, to]) => `${workflowId}:${notification}:${to === 'friend' ? journey.friend : journey.referrer.email}`,
  );
}

/** The workflow id of each referral row, by the referral's id. */
const workflowIdsById = (rows: { id: string | number; workflow_id: string }[]) => new Map(rows.map((r) => [String(r.id), r.workflow_id]));

const submitted = (journeys: Journey[]) => journeys.filter((j) => j.referralId !== null);

export interface Settled {
  /** Milliseconds until every referral had its expected status (null: not within the time). */
  endedMs: number | null;
  /** … and until every expected email was delivered and recorded as sent. */
  settledMs: number | null;
}

/**
 * Waits until every submitted referral has its expected status, the provider has every
 * expected email and the outbox says each was sent (an attempt killed after the provider took
 * the message is retried only when its start-to-close timeout has passed), or `timeoutMs`.
 */
export async function settle(system: FaultSystem, journeys: Journey[], { timeoutMs = 120_000 } = {}): Promise<Settled> {
  const started = Date.now();
  const mine = submitted(journeys);
  const workflowIds = workflowIdsById(await system.db('referrals').select('id', 'workflow_id'));
  const keys = mine.flatMap((j) => expectedEmailKeys(j, workflowIds));
  let endedMs: number | null = null;
  for (;;) {
    const rows: { id: string; status: string }[] = await system.db('referrals').select('id', 'status');
    const status = new Map(rows.map((r) => [String(r.id), r.status]));
    if (endedMs === null && mine.every((j) => status.get(j.referralId!) === ENDS[j.kind].status)) endedMs = Date.now() - started;
    const delivered = new Set(system.resend.delivered.map((d) => d.idempotencyKey));
    const sent = new Set<string>(await system.db('email_outbox').where({ status: 'sent' }).pluck('idempotency_key'));
    if (endedMs !== null && keys.every((k) => delivered.has(k) && sent.has(k))) return { endedMs, settledMs: Date.now() - started };
    if (Date.now() - started > timeoutMs) return { endedMs, settledMs: null };
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The settle line: how long after the load the referrals ended and the emails were all out. */
export function settleCheck(settled: Settled, timeoutMs: number): Check {
  const s = (ms: number | null) => (ms === null ? `NOT within ${timeoutMs / 1000} s` : `${Math.round(ms / 1000)} s`);
  return check(
    settled.settledMs !== null,
    `settled after the load: referrals at their end ${s(settled.endedMs)}, every email delivered and recorded ${s(settled.settledMs)}`,
  );
}

export interface Check {
  ok: boolean;
  line: string;
  /** Names the checks a scenario may set apart (e.g. as a known bug in a todo test). */
  id?: string;
}

export const check = (ok: boolean, line: string, id?: string): Check => ({ ok, line, id });
export const info = (line: string): Check => ({ ok: true, line });

const sample = (items: unknown[], n = 5) =>
  items.length === 0
    ? ''
    : `: ${items
        .slice(0, n)
        .map((i) => (typeof i === 'string' ? i : JSON.stringify(i)))
        .join('; ')}${items.length > n ? ' …' : ''}`;

/** The load as the clients saw it: acknowledgements, answers by status, 5xx, 503s without Retry-After, hangs. */
export function loadChecks(journeys: Journey[], load: LoadRecorder, { allowServerErrors = false } = {}): Check[] {
  const steps = ['submit', 'confirm', 'cancel'];
  const acknowledged = steps.map((step) => `${step} ${journeys.filter((j) => j.acknowledged[step]).length}`).join(', ');
  const gaveUp = journeys.filter((j) => j.failed).map((j) => `#${j.n} ${j.kind} ${j.failed}`);
  const serverErrors = load.serverErrors();
  return [
    check(
      gaveUp.length === 0,
      `referrals: ${journeys.length} journeys (${Object.entries(countBy(journeys.map((j) => j.kind)))
        .map(([k, n]) => `${n} ${k}`)
        .join(', ')}); acknowledged: ${acknowledged}; never acknowledged: ${gaveUp.length}${sample(gaveUp)}`,
    ),
    info(`answers: ${load.byLabel().join(' | ')}`),
    check(
      allowServerErrors || serverErrors.length === 0,
      `5xx other than 503: ${serverErrors.length === 0 ? 'none' : JSON.stringify(countBy(serverErrors.map((s) => `${s.label} ${s.outcome} ${s.error}`)))}`,
    ),
    check(load.unavailableWithoutRetryAfter().length === 0, `503s without Retry-After: ${load.unavailableWithoutRetryAfter().length}`),
    check(
      load.hangs().length === 0,
      `hangs (no answer within ${HANG_MS / 1000} s): ${load.hangs().length}${sample(load.hangs().map((h) => `${h.label} ${h.outcome} after ${h.ms} ms`))}`,
      'hangs',
    ),
  ];
}

export interface EndOptions {
  /** Look into each workflow's history: activity retries, which worker ran what, signals per webhook. */
  histories?: boolean;
}

export interface HistoryFacts {
  /** Activity attempts above 1 by activity type (a retry: a kill, a timeout, a failure). */
  retries: Record<string, number>;
  /** Activity tasks started, by the identity of the worker that took them. */
  activitiesByWorker: Record<string, number>;
  /** Workflow tasks started, by worker identity. */
  workflowTasksByWorker: Record<string, number>;
  /** bookingEvent signals received, by webhook id. */
  signalsByWebhook: Record<string, number>;
}

/** What happened in the end, in Postgres, at the provider and in Temporal, against what each journey must leave. */
export async function endChecks(system: FaultSystem, journeys: Journey[], { histories = false }: EndOptions = {}) {
  const checks: Check[] = [];
  const mine = submitted(journeys);
  const byId = new Map(mine.map((j) => [j.referralId!, j]));
  const { db, resend } = system;

  const processes = [...system.apis, ...system.workers];
  const crashed = processes.filter((p) => p.crashed());
  checks.push(
    check(
      crashed.length === 0,
      `processes: ${system.apis.length} API, ${system.workers.length} worker; exited by themselves: ${crashed.length}${sample(crashed.map((p) => p.name))}`,
    ),
  );

  const referrals: { id: string; status: string; workflow_id: string }[] = await db('referrals').select('id', 'status', 'workflow_id');
  checks.push(
    check(
      referrals.length === journeys.length,
      `referral rows: ${referrals.length} for ${journeys.length} journeys (a retried submission makes no second one)`,
    ),
  );
  const wrongEnd = mine.filter((j) => referrals.find((r) => String(r.id) === j.referralId)?.status !== ENDS[j.kind].status);
  const ended = Object.entries(countBy(referrals.map((r) => r.status)))
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  checks.push(
    check(
      wrongEnd.length === 0,
      `ended: ${ended}; not as expected: ${wrongEnd.length}${sample(
        wrongEnd.map(
          (j) => `#${j.n} ${j.kind} referral ${j.referralId} is ${referrals.find((r) => String(r.id) === j.referralId)?.status}`,
        ),
      )}`,
    ),
  );

  const rewards: { referral_id: string; n: string }[] = await db('rewards').select('referral_id').count({ n: '*' }).groupBy('referral_id');
  const rewardCount = new Map(rewards.map((r) => [String(r.referral_id), Number(r.n)]));
  const wrongRewards = mine.filter((j) => (rewardCount.get(j.referralId!) ?? 0) !== ENDS[j.kind].rewards);
  const total = [...rewardCount.values()].reduce((a, b) => a + b, 0);
  const expectedRewards = mine.reduce((a, j) => a + ENDS[j.kind].rewards, 0);
  checks.push(
    check(
      wrongRewards.length === 0 && total === expectedRewards,
      `rewards: ${total} (expected ${expectedRewards}: exactly one per paid referral, none for the others); wrong: ${wrongRewards.length}${sample(
        wrongRewards.map((j) => `#${j.n} ${j.kind} has ${rewardCount.get(j.referralId!) ?? 0}`),
      )}`,
    ),
  );

  const audit: { entity_id: string; action: string }[] = await db('audit_log')
    .select('entity_id', 'action')
    .where({ entity_type: 'referral' })
    .orderBy('id');
  const actions = new Map<string, string[]>();
  for (const row of audit) actions.set(String(row.entity_id), [...(actions.get(String(row.entity_id)) ?? []), row.action]);
  const wrongTrail = mine.filter(
    (j) => JSON.stringify(actions.get(j.referralId!) ?? []) !== JSON.stringify(ENDS[j.kind].actions.map((a) => `referral.${a}`)),
  );
  checks.push(
    check(
      wrongTrail.length === 0,
      `audit trail: ${audit.length} transitions, each referral's exactly its path once; wrong: ${wrongTrail.length}${sample(
        wrongTrail.map((j) => `#${j.n} ${j.kind}: ${(actions.get(j.referralId!) ?? []).join(',')}`),
      )}`,
    ),
  );

  // Emails: at the provider (what people receive) and in the outbox (what the platform thinks it sent).
  const workflowIds = workflowIdsById(referrals);
  const expected = new Set(mine.flatMap((j) => expectedEmailKeys(j, workflowIds)));
  const deliveredPerKey = countBy(resend.delivered.map((d) => d.idempotencyKey ?? '(no key)'));
  const twice = Object.entries(deliveredPerKey).filter(([, n]) => n > 1);
  const missing = [...expected].filter((k) => !deliveredPerKey[k]);
  const extra = Object.keys(deliveredPerKey).filter((k) => !expected.has(k));
  const requestsPerKey = countBy(resend.requests.map((r) => r.headers.idempotencyKey ?? '(no key)'));
  const retriedKeys = Object.values(requestsPerKey).filter((n) => n > 1).length;
  checks.push(
    check(
      twice.length === 0 && missing.length === 0 && extra.length === 0,
      `emails at the provider: ${expected.size} expected, ${resend.delivered.length} delivered (${Object.keys(deliveredPerKey).length} keys), ` +
        `twice: ${twice.length}, missing: ${missing.length}, unexpected: ${extra.length}${sample([...missing, ...extra])}; ` +
        `${resend.requests.length} requests reached it (${retriedKeys} keys more than once), ${JSON.stringify(system.proxy.counts())} at the proxy`,
    ),
  );
  const outbox: { idempotency_key: string; status: string; provider_message_id: string | null; attempts: number }[] = await db(
    'email_outbox',
  ).select('idempotency_key', 'status', 'provider_message_id', 'attempts');
  const deliveredId = new Map(resend.delivered.map((d) => [d.idempotencyKey, d.id]));
  const unsent = outbox.filter((r) => r.status !== 'sent' || r.provider_message_id !== deliveredId.get(r.idempotency_key));
  checks.push(
    check(
      unsent.length === 0 && outbox.length === expected.size,
      `outbox: ${outbox.length} rows, ${outbox.filter((r) => r.status === 'sent').length} sent with the provider's id, ` +
        `${outbox.reduce((a, r) => a + r.attempts, 0)} attempts; not matching the provider: ${unsent.length}${sample(unsent)}`,
    ),
  );

  const inbox: { applied: number; pending: number }[] = await db('booking_webhook_inbox').select(
    db.raw('count(*) FILTER (WHERE applied_at IS NOT NULL)::int AS applied'),
    db.raw('count(*) FILTER (WHERE applied_at IS NULL)::int AS pending'),
  );
  const webhooksAcknowledged = journeys.reduce((a, j) => a + (j.acknowledged.confirm ? 1 : 0) + (j.acknowledged.cancel ? 1 : 0), 0);
  checks.push(
    check(
      inbox[0].applied === webhooksAcknowledged && inbox[0].pending === 0,
      `webhook inbox: ${inbox[0].applied} applied, ${inbox[0].pending} left pending (${webhooksAcknowledged} webhooks acknowledged)`,
    ),
  );

  // Temporal: no workflow failed, each is running or completed as its path says.
  const client = await system.client();
  const workflowStatus = new Map<string, string>();
  const facts: HistoryFacts = { retries: {}, activitiesByWorker: {}, workflowTasksByWorker: {}, signalsByWebhook: {} };
  for (const j of mine) {
    const handle = client.workflow.getHandle(referrals.find((r) => String(r.id) === j.referralId)!.workflow_id);
    workflowStatus.set(j.referralId!, (await handle.describe()).status.name);
    if (!histories) continue;
    const { events } = await handle.fetchHistory();
    for (const e of events ?? []) {
      const started = e.activityTaskStartedEventAttributes;
      if (started) {
        facts.activitiesByWorker[started.identity ?? '?'] = (facts.activitiesByWorker[started.identity ?? '?'] ?? 0) + 1;
        if ((started.attempt ?? 1) > 1) {
          const type = events!.find((s) => String(s.eventId) === String(started.scheduledEventId))?.activityTaskScheduledEventAttributes
            ?.activityType?.name;
          facts.retries[type ?? '?'] = (facts.retries[type ?? '?'] ?? 0) + 1;
        }
      }
      const wft = e.workflowTaskStartedEventAttributes;
      if (wft) facts.workflowTasksByWorker[wft.identity ?? '?'] = (facts.workflowTasksByWorker[wft.identity ?? '?'] ?? 0) + 1;
      const signal = e.workflowExecutionSignaledEventAttributes;
      if (signal?.signalName === 'bookingEvent') {
        const payload = signal.input?.payloads?.[0]?.data;
        const webhookId = payload ? (JSON.parse(Buffer.from(payload).toString('utf8')) as { webhookId: string }).webhookId : '?';
        facts.signalsByWebhook[webhookId] = (facts.signalsByWebhook[webhookId] ?? 0) + 1;
      }
    }
  }
  const wrongWorkflow = mine.filter((j) => workflowStatus.get(j.referralId!) !== ENDS[j.kind].workflow);
  checks.push(
    check(
      wrongWorkflow.length === 0,
      `workflows: ${Object.entries(countBy([...workflowStatus.values()]))
        .map(([s, n]) => `${s.toLowerCase()} ${n}`)
        .join(', ')}; not as expected (failed, terminated, stuck): ${wrongWorkflow.length}${sample(
        wrongWorkflow.map((j) => `#${j.n} ${j.kind} ${workflowStatus.get(j.referralId!)}`),
      )}`,
    ),
  );
  return { checks, facts, byId };
}

/** Prints the scenario's invariants, one line each (✓ held, ✗ broken), then fails on any broken one. */
export function report(scenario: string, checks: Check[], context = ''): void {
  const lines = checks.map((c) => `  ${c.ok ? '✓' : '✗'} ${c.line}`);
  console.log(`\n[${scenario}] invariants checked:\n${lines.join('\n')}\n`);
  const broken = checks.filter((c) => !c.ok).map((c) => c.line);
  assert.deepEqual(broken, [], `${scenario}: ${broken.length} invariant(s) broken${context ? `\n${context}` : ''}`);
}
