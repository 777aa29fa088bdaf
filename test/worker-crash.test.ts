import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { startFakeResend, type FakeResend } from './support/fake-resend.js';
import {
  adminToken,
  createCustomer,
  eventually,
  signedWebhook,
  startTestSystem,
  testEnv,
  unique,
  type TestSystem,
} from './support/system.js';
import { activityAttempts, activityStarted, referralWorkflow } from './support/workflows.js';
import { referralStateQuery } from '../workflows/definitions.js';

/**
 * A real worker process, killed with SIGKILL mid-lifecycle at two chosen points, each held
 * there by a lock in Postgres until the kill: during the rule checks and during the payout.
 * Temporal's history carries the referral on, and the retried activities change nothing twice.
 */
describe('a worker killed mid-lifecycle', () => {
  let system: TestSystem;
  let token: string;
  let workerProcess: ChildProcess | null = null;

  let resend: FakeResend;

  before(async () => {
    resend = await startFakeResend();
    system = await startTestSystem({ REWARD_HOLD_DAYS: '0' }, { worker: false });
    token = await adminToken(system.app);
  });
  after(async () => {
    workerProcess?.kill('SIGKILL');
    await system.close();
    await resend.close();
  });

  async function startWorkerProcess(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: testEnv.databaseUrl,
        TEMPORAL_ADDRESS: testEnv.temporalAddress,
        TEMPORAL_TASK_QUEUE: system.taskQueue,
        RESEND_API_KEY: resend.apiKey,
        RESEND_BASE_URL: resend.url,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    await eventually(async () => output.includes('worker polling'), { timeoutMs: 30_000 });
    return child;
  }

  async function kill(child: ChildProcess) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }

  /** The backends of other sessions that wait on a lock, with what they run (the held activity's SQL). */
  const waitingOnLocks = async (): Promise<string[]> =>
    (
      await system.db.raw<{ rows: { query: string }[] }>(
        "SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database() AND pid <> pg_backend_pid()",
      )
    ).rows.map((r) => r.query);

  it('completes the referral with exactly one reward, and one email per event at the provider, after kills during the rule checks and the payout', async () => {
    const referrer = await createCustomer(system.app, token);
    const friend = `${unique('f')}@example.nl`;
    const reference = unique('BK');
    const submitted = await system.app.inject({
      method: 'POST',
      url: '/api/referrals',
      payload: { referrer_code: referrer.referral_code, new_customer_email: friend, booking_reference: reference },
    });
    assert.equal(submitted.statusCode, 201, submitted.body);
    const { id } = submitted.json();
    const handle = await referralWorkflow(system, id);

    // Kill 1, during the rule checks: a lock on customers holds the check's query until the worker is gone.
    const rulesHeld = await system.db.transaction();
    try {
      await rulesHeld.raw('LOCK TABLE customers IN ACCESS EXCLUSIVE MODE');
      workerProcess = await startWorkerProcess();
      assert.equal((await activityStarted(handle, 'checkReferralRules')).attempt, 1);
      await eventually(async () => (await waitingOnLocks()).some((q) => q.includes('referee_is_customer')));
      await kill(workerProcess);
      assert.equal((await system.db('referrals').where({ id }).first()).status, 'submitted', 'killed before the rules decided');
    } finally {
      await rulesHeld.rollback();
    }

    const hook = signedWebhook(system.config.webhooks.bookingSecret, {
      type: 'booking.confirmed',
      data: { booking_reference: reference, customer_email: friend },
    });
    const confirmed = await system.app.inject({
      method: 'POST',
      url: '/api/webhooks/bookings',
      headers: hook.headers,
      payload: hook.payload,
    });
    assert.equal(confirmed.json().outcome, 'applied', 'the signal is stored in the workflow history even with no worker running');

    workerProcess = await startWorkerProcess();
    await eventually(async () => (await system.db('referrals').where({ id }).first()).status === 'pending_approval', { timeoutMs: 30_000 });
    assert.deepEqual(await activityAttempts(handle, 'checkReferralRules'), [2], 'the rule check ran again after the kill');

    // Kill 2, during the payout (the hold is 0 days): a SHARE lock on rewards holds the reward's insert.
    const payoutHeld = await system.db.transaction();
    try {
      await payoutHeld.raw('LOCK TABLE rewards IN SHARE MODE');
      const approved = await system.app.inject({
        method: 'PUT',
        url: `/api/referrals/${id}/status`,
        headers: { authorization: `Bearer ${token}` },
        payload: { status: 'approved' },
      });
      assert.equal(approved.statusCode, 200, approved.body);
      assert.equal(approved.json().status, 'approved');
      assert.equal((await activityStarted(handle, 'payReward')).attempt, 1);
      await eventually(async () => (await waitingOnLocks()).some((q) => q.includes('INSERT INTO rewards')));
      await kill(workerProcess);
      assert.equal((await system.db('referrals').where({ id }).first()).status, 'approved', 'killed before the payout was recorded');
      assert.equal((await system.db('rewards').where({ referral_id: id })).length, 0, 'killed before the reward was stored');
    } finally {
      // The killed worker's insert, still waiting in Postgres, may now go through: the retry must not pay twice.
      await payoutHeld.rollback();
    }

    workerProcess = await startWorkerProcess();
    await eventually(async () => (await system.db('referrals').where({ id }).first()).status === 'paid', { timeoutMs: 30_000 });
    assert.deepEqual(await activityAttempts(handle, 'payReward'), [2], 'the payout ran again after the kill');
    const rewards = await system.db('rewards').where({ referral_id: id });
    assert.equal(rewards.length, 1);
    assert.equal(
      (await handle.query(referralStateQuery)).voucherCode,
      rewards[0].voucher_code,
      'the workflow tells the voucher that was stored',
    );
    const transitions = await system.db('audit_log').where({ entity_type: 'referral', entity_id: id }).orderBy('id').pluck('action');
    assert.deepEqual(transitions, ['referral.awaiting_booking', 'referral.pending_approval', 'referral.approved', 'referral.paid']);
    const emails = await eventually(
      async () => {
        const rows = await system.db('email_outbox').where('idempotency_key', 'like', `${handle.workflowId}:%`).pluck('kind');
        return rows.length >= 4 && rows;
      },
      { timeoutMs: 30_000 },
    );
    assert.deepEqual(
      [...emails].sort(),
      ['friend_booked', 'friend_welcome', 'reward_approved', 'reward_paid'],
      'each email once, despite the kills',
    );
    // At the provider (a local server speaking Resend's API): one message per event, however often the worker was killed.
    const atProvider = await eventually(
      async () => {
        const mine = resend.delivered.filter((d) => d.idempotencyKey?.startsWith(`${handle.workflowId}:`));
        return mine.length >= 4 && mine;
      },
      { timeoutMs: 30_000 },
    );
    assert.deepEqual(atProvider.map((d) => d.idempotencyKey!.split(':')[1]).sort(), [
      'friend_booked',
      'friend_welcome',
      'reward_approved',
      'reward_paid',
    ]);
  });
});
