import type { Db } from '../knex.js';

/** What one housekeeping run removed, per kind. */
export interface HousekeepingPruned {
  /** audit_log rows older than AUDIT_RETENTION_DAYS. */
  auditLogRows: number;
  /** booking_webhook_inbox rows applied longer ago than the inbox retention. */
  webhookInboxRows: number;
  /** Upload files of finished imports (completed, failed, cancelled) still on disk. */
  importFiles: number;
  /** email_outbox rows sent longer ago than the outbox retention whose bodies were emptied. */
  outboxBodies: number;
}

export interface HousekeepingRunRow {
  id: string;
  workflow_id: string;
  status: 'running' | 'completed' | 'failed';
  pruned: Partial<HousekeepingPruned>;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
}

/** The body an emptied outbox message keeps: says why the text is gone. */
export const PRUNED_BODY = '[pruned by housekeeping]';

/** Deletes audit rows changed before `before`; returns how many. */
export async function pruneAuditLog(db: Db, before: Date): Promise<number> {
  return db('audit_log').where('changed_at', '<', before).delete();
}

/** Deletes inbox rows applied before `before` (unapplied rows wait for their referral and stay). */
export async function pruneAppliedWebhooks(db: Db, before: Date): Promise<number> {
  return db('booking_webhook_inbox').whereNotNull('applied_at').where('applied_at', '<', before).delete();
}

/** Finished imports (finished before `before`) and the path of their upload. */
export async function finishedImportFiles(db: Db, before: Date): Promise<Array<{ id: string; file_path: string }>> {
  return db('customer_imports')
    .whereIn('status', ['completed', 'failed', 'cancelled'])
    .where('finished_at', '<', before)
    .select('id', 'file_path');
}

/** Empties the bodies of messages sent before `before`; the row (who, what, when) stays. */
export async function pruneOutboxBodies(db: Db, before: Date): Promise<number> {
  return db('email_outbox')
    .where('status', 'sent')
    .where('created_at', '<', before)
    .whereNot('text', PRUNED_BODY)
    .update({ html: PRUNED_BODY, text: PRUNED_BODY });
}

export async function startHousekeepingRun(db: Db, workflowId: string): Promise<void> {
  await db.raw(
    `INSERT INTO housekeeping_runs (workflow_id) VALUES (?)
     ON CONFLICT (workflow_id) DO UPDATE SET status = 'running', error = NULL, finished_at = NULL`,
    [workflowId],
  );
}

export async function finishHousekeepingRun(
  db: Db,
  workflowId: string,
  outcome: { pruned: Partial<HousekeepingPruned>; error: string | null },
): Promise<void> {
  await db('housekeeping_runs')
    .where({ workflow_id: workflowId })
    .update({
      status: outcome.error ? 'failed' : 'completed',
      pruned: JSON.stringify(outcome.pruned),
      error: outcome.error,
      finished_at: db.fn.now(),
    });
}

/** The newest runs first. */
export async function listHousekeepingRuns(db: Db, limit = 20): Promise<HousekeepingRunRow[]> {
  return db('housekeeping_runs')
    .orderBy([
      { column: 'started_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(limit)
    .select<HousekeepingRunRow[]>('*');
}
