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

/** A real worker process, killed with SIGKILL mid-lifecycle: Temporal's history carries the referral on. */
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

  it('completes the referral with exactly one reward, and one email per event at the provider, after restarts', async () => {
    workerProcess = await startWorkerProcess();
    const referrer = await createCustomer(system.app, token);
    const friend = `${unique('f')}@example.nl`;
    const reference = unique('BK');
    const submitted = await system.app.inject({
      method: 'POST',
      url: '/api/referrals',
      payload: { referrer_code: referrer.referral_code, new_customer_email: friend, booking_reference: reference },
    });
    const { id } = submitted.json();
    await kill(workerProcess); // while the rule checks are in flight, or just after

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
    const approved = await system.app.inject({
      method: 'PUT',
      url: `/api/referrals/${id}/status`,
      headers: { authorization: `Bearer ${token}` },
      payload: { status: 'approved' },
    });
    assert.equal(approved.statusCode, 200, approved.body);
    await kill(workerProcess); // during the hold and payout

    workerProcess = await startWorkerProcess();
    await eventually(async () => (await system.db('referrals').where({ id }).first()).status === 'paid', { timeoutMs: 30_000 });
    const rewards = await system.db('rewards').where({ referral_id: id });
    assert.equal(rewards.length, 1);
    const transitions = await system.db('audit_log').where({ entity_type: 'referral', entity_id: id }).orderBy('id').pluck('action');
    assert.deepEqual(transitions, ['referral.awaiting_booking', 'referral.pending_approval', 'referral.approved', 'referral.paid']);
    const emails = await eventually(
      async () => {
        const rows = await system.db('email_outbox').where('idempotency_key', 'like', `referral-${id}:%`).pluck('kind');
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
        const mine = resend.delivered.filter((d) => d.idempotencyKey?.startsWith(`referral-${id}:`));
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
