import { ActivityFailure, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { HousekeepingActivities, HousekeepingPruned } from '../activities/housekeeping.js';
import type { BackupAlertActivities } from '../activities/backups-alerts.js';

const activities = proxyActivities<HousekeepingActivities & BackupAlertActivities>({
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '10 seconds', maximumInterval: '5 minutes', maximumAttempts: 5 },
});

export interface HousekeepingResult {
  pruned: Partial<HousekeepingPruned>;
  error: string | null;
}

/**
 * The `housekeeping` Schedule's run: prunes audit rows older than AUDIT_RETENTION_DAYS, processed
 * webhook-inbox rows, finished imports' files and old outbox bodies, and records what it
 * pruned (shown in Beheer). One prune failing does not stop the others; the run is then failed.
 */
export async function housekeeping(input: { at?: string } = {}): Promise<HousekeepingResult> {
  const { workflowId, startTime } = workflowInfo();
  const now = (input.at ? new Date(input.at) : startTime).toISOString();
  await activities.startHousekeeping({ workflowId });
  const pruned: Partial<HousekeepingPruned> = {};
  const errors: string[] = [];
  const steps: Array<[keyof HousekeepingPruned, () => Promise<number>]> = [
    ['auditLogRows', () => activities.pruneAuditLog({ now })],
    ['webhookInboxRows', () => activities.pruneWebhookInbox({ now })],
    ['importFiles', () => activities.pruneImportFiles({ now })],
    ['outboxBodies', () => activities.pruneOutboxBodies({ now })],
  ];
  for (const [key, step] of steps) {
    try {
      pruned[key] = await step();
    } catch (error) {
      const cause = error instanceof ActivityFailure ? error.cause : error;
      errors.push(`${key}: ${cause instanceof Error ? cause.message : String(cause)}`);
    }
  }
  const error = errors.length ? errors.join('; ') : null;
  await activities.finishHousekeeping({ workflowId, pruned, error });
  if (error) {
    await activities.alertBackupFailure({ subject: workflowId, stage: 'housekeeping', error }).catch((alertError: unknown) => {
      log.error('housekeeping alert could not be delivered', { workflowId, error, alertError: String(alertError) });
    });
  }
  return { pruned, error };
}
