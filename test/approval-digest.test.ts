import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import { loadConfig } from '../config/env.js';
import { ensureApprovalDigestSchedule } from '../temporal-config/schedules.js';
import type { ApprovalDigestResult } from '../workflows/approval-digest.js';
import {
  adminToken,
  createCustomer,
  eventually,
  signedWebhook,
  startTestSystem,
  unique,
  withEmptyDatabase,
  type TestSystem,
} from './support/system.js';

/** The daily digest of pending approvals: the workflow against the real outbox, and its Schedule on the dev server. */
describe('approval digest', () => {
  let system: TestSystem;
  let token: string;
  const admins = [`${unique('digest')}@bebsy.example`, `${unique('digest')}@bebsy.example`];
  before(async () => {
    system = await startTestSystem({ ADMIN_NOTIFICATION_EMAILS: admins.join(',') });
    token = await adminToken(system.app);
  });
  after(async () => {
    await system.close();
  });

  const pendingInDb = async () =>
    Number((await system.db('referrals').where('status', 'pending_approval').count<{ count: string }[]>({ count: '*' }))[0].count);
  const digestRows = () => system.db('email_outbox').where('kind', 'admin_digest').whereIn('to_address', admins).orderBy('to_address');
  const runDigest = (at?: string) =>
    system.client.workflow.execute('approvalDigest', {
      taskQueue: system.taskQueue,
      workflowId: `approval-digest-test-${randomUUID()}`,
      args: at ? [{ at }] : [],
    }) as Promise<ApprovalDigestResult>;

  async function pendingReferral(): Promise<string> {
    const referrer = await createCustomer(system.app, token, { name: 'Sanne de Jong' });
    const friend = `${unique('f')}@example.nl`;
    const reference = unique('BK');
    const res = await system.app.inject({
      method: 'POST',
      url: '/api/referrals',
      payload: { referrer_code: referrer.referral_code, new_customer_email: friend, booking_reference: reference },
    });
    assert.ok(res.statusCode === 201 || res.statusCode === 200, res.body);
    const id = res.json().id as string;
    await eventually(async () => (await system.db('referrals').where({ id }).first()).status === 'awaiting_booking');
    const hook = signedWebhook(system.config.webhooks.bookingSecret, {
      type: 'booking.confirmed',
      data: { booking_reference: reference, customer_email: friend, booking_value: 500, currency: 'EUR' },
    });
    const confirmed = await system.app.inject({
      method: 'POST',
      url: '/api/webhooks/bookings',
      headers: hook.headers,
      payload: hook.payload,
    });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    await eventually(async () => (await system.db('referrals').where({ id }).first()).status === 'pending_approval');
    return id;
  }

  it('skips the digest when nothing waits for approval', async () => {
    await withEmptyDatabase(async (databaseUrl) => {
      const empty = await startTestSystem({ ADMIN_NOTIFICATION_EMAILS: admins.join(',') }, { databaseUrl });
      try {
        const result = (await empty.client.workflow.execute('approvalDigest', {
          taskQueue: empty.taskQueue,
          workflowId: `approval-digest-test-${randomUUID()}`,
          args: [],
        })) as ApprovalDigestResult;
        assert.equal(result.skipped, true);
        assert.equal(result.pendingCount, 0);
        assert.equal(
          (await empty.db('email_outbox').where('kind', 'admin_digest')).length,
          0,
          'no digest is sent for an empty review queue',
        );
      } finally {
        await empty.close();
      }
    });
  });

  it('emails every admin once a day with the count and the oldest pending referrals', async () => {
    const id = await pendingReferral();
    const expected = await pendingInDb();
    assert.ok(expected >= 1);
    const at = '2026-03-10T23:30:00Z'; // already 11 March in Amsterdam
    const result = await runDigest(at);
    assert.deepEqual(result, { skipped: false, day: '2026-03-11', pendingCount: expected, sent: admins.length });

    const rows = await digestRows();
    assert.deepEqual(
      rows.map((r) => r.to_address),
      [...admins].sort(),
    );
    for (const row of rows) {
      assert.equal(row.idempotency_key, `approval-digest:2026-03-11:${row.to_address}`);
      assert.equal(row.status, 'sent');
      assert.equal(row.locale, 'nl');
      assert.ok(row.text.includes(expected === 1 ? 'Er wacht 1 verwijzing' : `Er wachten ${expected} verwijzingen`), row.text);
      if (expected <= 10) assert.ok(row.text.includes(`#${id}`), 'the new referral is among the oldest listed');
    }

    // A retried or duplicated run the same (Amsterdam) day sends nothing new.
    const again = await runDigest('2026-03-11T20:00:00Z');
    assert.equal(again.skipped, false);
    assert.equal(again.day, '2026-03-11');
    assert.equal((await digestRows()).length, admins.length);

    // The next day is a new digest.
    await runDigest('2026-03-11T23:30:00Z');
    assert.equal((await digestRows()).length, admins.length * 2);
  });

  it('sends nothing without admin recipients', async () => {
    if ((await pendingInDb()) === 0) await pendingReferral();
    const bare = await startTestSystem({});
    try {
      const count = async () =>
        Number((await bare.db('email_outbox').where('kind', 'admin_digest').count<{ count: string }[]>({ count: '*' }))[0].count);
      const before = await count();
      const result = (await bare.client.workflow.execute('approvalDigest', {
        taskQueue: bare.taskQueue,
        workflowId: `approval-digest-test-${randomUUID()}`,
        args: [{ at: '2030-01-01T12:00:00Z' }],
      })) as ApprovalDigestResult;
      assert.equal(result.skipped, false);
      assert.equal(result.sent, 0);
      assert.equal(await count(), before);
    } finally {
      await bare.close();
    }
  });

  it('reads APPROVAL_DIGEST_CRON: 08:00 Amsterdam by default, "off" switches it off, nonsense is refused', () => {
    assert.deepEqual(loadConfig({}).approvalDigest, { cron: '0 8 * * *', timeZone: 'Europe/Amsterdam' });
    assert.equal(loadConfig({ APPROVAL_DIGEST_CRON: 'off' }).approvalDigest.cron, null);
    assert.equal(loadConfig({ APPROVAL_DIGEST_CRON: '30 7 * * 1-5' }).approvalDigest.cron, '30 7 * * 1-5');
    assert.throws(() => loadConfig({ APPROVAL_DIGEST_CRON: 'daily' }), /APPROVAL_DIGEST_CRON/);
  });

  it('keeps a Schedule in Amsterdam time that starts the digest', async () => {
    const scheduleId = `approval-digest-test-${randomUUID()}`;
    const config = loadConfig({ NODE_ENV: 'test', TEMPORAL_TASK_QUEUE: system.taskQueue, APPROVAL_DIGEST_CRON: '30 7 * * 1-5' });
    try {
      assert.equal(await ensureApprovalDigestSchedule(system.client, config, scheduleId), 'created');
      assert.equal(await ensureApprovalDigestSchedule(system.client, config, scheduleId), 'updated', 'ensuring again is harmless');
      const handle = system.client.schedule.getHandle(scheduleId);
      let described = await handle.describe();
      assert.equal(described.spec.timezone, 'Europe/Amsterdam');
      assert.deepEqual(
        described.spec.calendars?.map((c) => ({ hour: c.hour, minute: c.minute })),
        [{ hour: [{ start: 7, end: 7, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] }],
      );
      assert.equal(described.action.type, 'startWorkflow');
      assert.equal(described.action.type === 'startWorkflow' && described.action.workflowType, 'approvalDigest');
      assert.equal(described.action.type === 'startWorkflow' && described.action.taskQueue, system.taskQueue);

      // A changed cron updates the existing Schedule.
      await ensureApprovalDigestSchedule(
        system.client,
        { ...config, approvalDigest: { ...config.approvalDigest, cron: '0 8 * * *' } },
        scheduleId,
      );
      described = await handle.describe();
      assert.deepEqual(
        described.spec.calendars?.map((c) => c.hour),
        [[{ start: 8, end: 8, step: 1 }]],
      );

      const pending = await pendingInDb();
      await handle.trigger();
      const started = await eventually(async () => (await handle.describe()).info.recentActions[0]?.action);
      const run = system.client.workflow.getHandle(started.workflow.workflowId, started.workflow.firstExecutionRunId);
      assert.ok(started.workflow.workflowId.startsWith(scheduleId));
      const result = (await run.result()) as ApprovalDigestResult;
      assert.equal(result.skipped, pending === 0);
      assert.equal(result.pendingCount, pending);
    } finally {
      const off = { ...config, approvalDigest: { ...config.approvalDigest, cron: null } };
      assert.equal(await ensureApprovalDigestSchedule(system.client, off, scheduleId), 'deleted');
      assert.equal(await ensureApprovalDigestSchedule(system.client, off, scheduleId), 'absent');
      await assert.rejects(system.client.schedule.getHandle(scheduleId).describe(), ScheduleNotFoundError);
    }
  });
});
