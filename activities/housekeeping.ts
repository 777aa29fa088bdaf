import fs from 'node:fs/promises';
import type { Db } from '../db/knex.js';
import * as repo from '../db/repositories/housekeeping.js';

export type { HousekeepingPruned } from '../db/repositories/housekeeping.js';

/** Processed booking webhooks are kept this long (their senders retry for a few days at most). */
export const WEBHOOK_INBOX_RETENTION_DAYS = 30;
/** Sent emails keep their bodies this long; the row (recipient, subject, when) stays. */
export const OUTBOX_BODY_RETENTION_DAYS = 90;
/** A finished import's upload is kept a day (for looking into what went wrong), then removed. */
export const IMPORT_FILE_RETENTION_DAYS = 1;

const daysBefore = (now: Date, days: number) => new Date(now.getTime() - days * 86_400_000);

/**
 * What the seed's maintenance section did by hand, as activities of the `housekeeping`
 * workflow: each prune is a DELETE/UPDATE by age, so a retry or a second run removes nothing new.
 */
export function createHousekeepingActivities(db: Db, settings: { auditRetentionDays: number }) {
  return {
    async startHousekeeping({ workflowId }: { workflowId: string }): Promise<void> {
      await repo.startHousekeepingRun(db, workflowId);
    },
    async pruneAuditLog({ now }: { now: string }): Promise<number> {
      return repo.pruneAuditLog(db, daysBefore(new Date(now), settings.auditRetentionDays));
    },
    async pruneWebhookInbox({ now }: { now: string }): Promise<number> {
      return repo.pruneAppliedWebhooks(db, daysBefore(new Date(now), WEBHOOK_INBOX_RETENTION_DAYS));
    },
    /** Removes the upload files finished imports left behind (a crash between the end and the cleanup). */
    async pruneImportFiles({ now }: { now: string }): Promise<number> {
      let removed = 0;
      for (const { file_path } of await repo.finishedImportFiles(db, daysBefore(new Date(now), IMPORT_FILE_RETENTION_DAYS))) {
        const existed = await fs.rm(file_path).then(
          () => true,
          (error: NodeJS.ErrnoException) => {
            if (error.code === 'ENOENT') return false;
            throw error;
          },
        );
        if (existed) removed += 1;
      }
      return removed;
    },
    async pruneOutboxBodies({ now }: { now: string }): Promise<number> {
      return repo.pruneOutboxBodies(db, daysBefore(new Date(now), OUTBOX_BODY_RETENTION_DAYS));
    },
    async finishHousekeeping(input: { workflowId: string; pruned: Partial<repo.HousekeepingPruned>; error: string | null }): Promise<void> {
      await repo.finishHousekeepingRun(db, input.workflowId, { pruned: input.pruned, error: input.error });
    },
  };
}

export type HousekeepingActivities = ReturnType<typeof createHousekeepingActivities>;
