import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PRUNED_BODY } from '../db/repositories/housekeeping.js';
import type { HousekeepingResult } from '../workflows/housekeeping.js';
import { adminToken, createCustomer, startTestSystem, withEmptyDatabase } from './support/system.js';

/** The housekeeping workflow: what the seed's maintenance section did by hand, recorded per run. */
describe('housekeeping', () => {
  const DAY = 86_400_000;
  const ago = (days: number) => new Date(Date.now() - days * DAY);

  it('prunes old audit rows, processed inbox rows, finished imports’ files and old outbox bodies, and records the run', async () => {
    await withEmptyDatabase(async (databaseUrl) => {
      const system = await startTestSystem({ AUDIT_RETENTION_DAYS: '365' }, { databaseUrl });
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bebsy-housekeeping-'));
      try {
        const { db } = system;
        const audit = (days: number, key: string) => ({
          event_key: key,
          actor: 'system:test',
          action: 'test',
          entity_type: 'referral',
          entity_id: '1',
          changed_at: ago(days),
        });
        await db('audit_log').insert([audit(400, 'old-1'), audit(366, 'old-2'), audit(10, 'recent')]);

        const inbox = (days: number, applied: boolean) => ({
          webhook_id: `msg_${randomUUID()}`,
          event_type: 'booking.confirmed',
          booking_reference: 'BK1',
          payload: {},
          received_at: ago(days),
          applied_at: applied ? ago(days) : null,
        });
        await db('booking_webhook_inbox').insert([inbox(40, true), inbox(40, false), inbox(2, true)]);

        const token = await adminToken(system.app);
        await createCustomer(system.app, token);
        const leftover = path.join(dir, 'finished.csv');
        const stillRunning = path.join(dir, 'running.csv');
        await fs.writeFile(leftover, 'a,b\n');
        await fs.writeFile(stillRunning, 'a,b\n');
        const importRow = (file: string, status: string, finishedDaysAgo: number | null) => ({
          workflow_id: `customer-import-test-${randomUUID()}`,
          file_name: path.basename(file),
          file_path: file,
          file_bytes: 4,
          created_by: 'admin',
          status,
          finished_at: finishedDaysAgo === null ? null : ago(finishedDaysAgo),
        });
        await db('customer_imports').insert([importRow(leftover, 'completed', 3), importRow(stillRunning, 'running', null)]);

        const outbox = (days: number, status: string) => ({
          idempotency_key: `test:${randomUUID()}`,
          kind: 'admin_digest',
          to_address: 'ops@bebsy.example',
          locale: 'nl',
          subject: 'digest',
          html: '<p>body</p>',
          text: 'body',
          status,
          created_at: ago(days),
          sent_at: status === 'sent' ? ago(days) : null,
        });
        await db('email_outbox').insert([outbox(120, 'sent'), outbox(120, 'queued'), outbox(5, 'sent')]);

        const workflowId = `housekeeping-test-${randomUUID()}`;
        const result = (await system.client.workflow.execute('housekeeping', {
          taskQueue: system.taskQueue,
          workflowId,
        })) as HousekeepingResult;
        assert.equal(result.error, null);
        assert.deepEqual(result.pruned, { auditLogRows: 2, webhookInboxRows: 1, importFiles: 1, outboxBodies: 1 });

        assert.deepEqual((await db('audit_log').where('actor', 'system:test').pluck('event_key')).sort(), ['recent']);
        assert.equal(Number((await db('booking_webhook_inbox').count({ n: '*' }))[0].n), 2, 'unapplied and recent rows stay');
        await assert.rejects(fs.access(leftover));
        await fs.access(stillRunning);
        assert.deepEqual((await db('email_outbox').orderBy('id').pluck('text')).slice(-3), [PRUNED_BODY, 'body', 'body']);

        // a second run prunes nothing new
        const again = (await system.client.workflow.execute('housekeeping', {
          taskQueue: system.taskQueue,
          workflowId: `${workflowId}-again`,
        })) as HousekeepingResult;
        assert.deepEqual(again.pruned, { auditLogRows: 0, webhookInboxRows: 0, importFiles: 0, outboxBodies: 0 });

        const res = await system.app.inject({ method: 'GET', url: '/api/backups', headers: { authorization: `Bearer ${token}` } });
        assert.equal(res.statusCode, 200, res.body);
        const run = res.json().housekeeping.find((r: { workflow_id: string }) => r.workflow_id === workflowId);
        assert.equal(run.status, 'completed');
        assert.deepEqual(run.pruned, { audit_log_rows: 2, webhook_inbox_rows: 1, import_files: 1, outbox_bodies: 1 });
      } finally {
        await system.close();
        await fs.rm(dir, { recursive: true, force: true });
      }
    });
  });
});
