import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import { loadConfig } from '../config/env.js';
import { ensureApprovalDigestSchedule } from '../temporal-config/schedules.js';
import type { ApprovalDigestResult } from '../workflows/approval-digest.js';
import { adminToken, createCustomer, eventually, startTestSystem, unique, withEmptyDatabase, type TestSystem } from './support/system.js';

/**
 * The daily digest of pending approvals: the workflow against the real outbox, and its Schedule
 * on the dev server. Each test that counts has a database of its own, so the count is the test's.
 */
describe('approval digest', () => {
  const admins = [`${unique('digest')}@bebsy.example`, `${unique('digest')}@bebsy.example`];
  const DAY_MS = 86_400_000;

  /** A system (API and worker) on a fresh, empty database of its own. */
  async function withOwnSystem(env: Record<string, string>, fn: (system: TestSystem) => Promise<void>): Promise<void> {
    await withEmptyDatabase(async (databaseUrl) => {
      const system = await startTestSystem(env, { databaseUrl });
      try {
        await fn(system);
      } finally {
        await system.close();
      }
    });
  }

  const runDigest = (system: TestSystem, at?: string) =>
    system.client.workflow.execute('approvalDigest', {
      taskQueue: system.taskQueue,
      workflowId: `approval-digest-test-${randomUUID()}`,
      args: at ? [{ at }] : [],
    }) as Promise<ApprovalDigestResult>;
  const digestRows = (system: TestSystem) => system.db('email_outbox').where('kind', 'admin_digest').orderBy('to_address');

  /** Referrals of one referrer straight in the read model (the digest reads nothing else), submitted `daysAgo`. */
  async function addReferrals(system: TestSystem, rows: { daysAgo: number; status: string }[]): Promise<string[]> {
    const token = await adminToken(system.app);
    const referrer = await createCustomer(system.app, token, { name: 'Sanne de Jong' });
    const ids: string[] = [];
    for (const { daysAgo, status } of rows) {
      const [{ id }] = await system
        .db('referrals')
        .insert({
          referrer_id: referrer.id,
          new_customer_email: `${unique('f')}@example.nl`,
          status,
          reward_amount_cents: 2500,
          workflow_id: unique('wf'),
          submitted_at: new Date(Date.now() - daysAgo * DAY_MS),
        })
        .returning('id');
      ids.push(String(id));
    }
    return ids;
  }

  it('skips the digest when nothing waits for approval', async () => {
    await withOwnSystem({ ADMIN_NOTIFICATION_EMAILS: admins.join(',') }, async (empty) => {
      const result = await runDigest(empty);
      assert.equal(result.skipped, true);
      assert.equal(result.pendingCount, 0);
      assert.equal((await digestRows(empty)).length, 0, 'no digest is sent for an empty review queue');
    });
  });

  it('emails every admin once a day with the count and the ten oldest pending referrals', async () => {
    await withOwnSystem({ ADMIN_NOTIFICATION_EMAILS: admins.join(',') }, async (system) => {
      // Twelve waiting for approval (oldest first), and two that do not count.
      const pending = await addReferrals(
        system,
        Array.from({ length: 12 }, (_, i) => ({ daysAgo: 20 - i, status: 'pending_approval' })),
      );
      await addReferrals(system, [
        { daysAgo: 30, status: 'awaiting_booking' },
        { daysAgo: 30, status: 'approved' },
      ]);
      const at = '2026-03-10T23:30:00Z'; // already 11 March in Amsterdam
      const result = await runDigest(system, at);
      assert.deepEqual(result, { skipped: false, day: '2026-03-11', pendingCount: 12, sent: admins.length });

      const rows = await digestRows(system);
      assert.deepEqual(
        rows.map((r) => r.to_address),
        [...admins].sort(),
      );
      for (const row of rows) {
        assert.equal(row.idempotency_key, `approval-digest:2026-03-11:${row.to_address}`);
        assert.equal(row.status, 'sent');
        assert.equal(row.locale, 'nl');
        assert.ok(row.text.includes('Er wachten 12 verwijzingen'), row.text);
        const listed = pending.filter((id) => row.text.includes(`#${id} · Sanne de Jong`));
        assert.deepEqual(listed, pending.slice(0, 10), 'the ten oldest are listed, the two newest not');
      }

      // A retried or duplicated run the same (Amsterdam) day sends nothing new.
      const again = await runDigest(system, '2026-03-11T20:00:00Z');
      assert.deepEqual(again, { skipped: false, day: '2026-03-11', pendingCount: 12, sent: admins.length });
      assert.equal((await digestRows(system)).length, admins.length);

      // The next day is a new digest.
      await runDigest(system, '2026-03-11T23:30:00Z');
      assert.equal((await digestRows(system)).length, admins.length * 2);
    });
  });

  it('sends nothing without admin recipients', async () => {
    await withOwnSystem({}, async (bare) => {
      await addReferrals(bare, [{ daysAgo: 1, status: 'pending_approval' }]);
      const result = await runDigest(bare, '2030-01-01T12:00:00Z');
      assert.deepEqual(result, { skipped: false, day: '2030-01-01', pendingCount: 1, sent: 0 });
      assert.equal((await digestRows(bare)).length, 0);
    });
  });

  it('reads APPROVAL_DIGEST_CRON: 08:00 Amsterdam by default, "off" switches it off, nonsense is refused', () => {
    assert.deepEqual(loadConfig({}).approvalDigest, { cron: '0 8 * * *', timeZone: 'Europe/Amsterdam' });
    assert.equal(loadConfig({ APPROVAL_DIGEST_CRON: 'off' }).approvalDigest.cron, null);
    assert.equal(loadConfig({ APPROVAL_DIGEST_CRON: '30 7 * * 1-5' }).approvalDigest.cron, '30 7 * * 1-5');
    assert.throws(() => loadConfig({ APPROVAL_DIGEST_CRON: 'daily' }), /APPROVAL_DIGEST_CRON/);
  });

  it('keeps a Schedule in Amsterdam time that starts the digest', async () => {
    await withOwnSystem({ ADMIN_NOTIFICATION_EMAILS: admins.join(',') }, async (system) => {
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

        await addReferrals(system, [
          { daysAgo: 2, status: 'pending_approval' },
          { daysAgo: 1, status: 'pending_approval' },
        ]);
        await handle.trigger();
        const started = await eventually(async () => (await handle.describe()).info.recentActions[0]?.action);
        const run = system.client.workflow.getHandle(started.workflow.workflowId, started.workflow.firstExecutionRunId);
        assert.ok(started.workflow.workflowId.startsWith(scheduleId));
        const result = (await run.result()) as ApprovalDigestResult;
        assert.deepEqual(
          { skipped: result.skipped, pendingCount: result.pendingCount, sent: result.sent },
          { skipped: false, pendingCount: 2, sent: admins.length },
        );
      } finally {
        const off = { ...config, approvalDigest: { ...config.approvalDigest, cron: null } };
        assert.equal(await ensureApprovalDigestSchedule(system.client, off, scheduleId), 'deleted');
        assert.equal(await ensureApprovalDigestSchedule(system.client, off, scheduleId), 'absent');
        await assert.rejects(system.client.schedule.getHandle(scheduleId).describe(), ScheduleNotFoundError);
      }
    });
  });
});
