import { ActivityFailure, ApplicationFailure, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { BackupActivities, BackupResult, DrillResult } from '../activities/backups.js';
import type { BackupAlertActivities } from '../activities/backups-alerts.js';

/** Failure types a retry cannot fix (activities/backups.ts, activities/backups-store.ts). */
const NON_RETRYABLE = ['PgToolMismatch', 'BackupStoreRefused', 'RestoreRefused'];

const dumping = proxyActivities<BackupActivities>({
  startToCloseTimeout: '4 hours',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '30 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    maximumAttempts: 3,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
});
const quick = proxyActivities<BackupActivities & BackupAlertActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '10 seconds', maximumInterval: '5 minutes', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

export interface DatabaseBackupInput {
  /** The moment the backup is named after (ISO); by default when this run started. */
  at?: string;
}

export interface DatabaseBackupResult {
  name: string;
  backup: BackupResult;
  drill: DrillResult;
  /** Backups deleted by the retention (BACKUP_RETENTION_DAYS). */
  pruned: string[];
}

/** `bebsy_backup_YYYYMMDD_HHMMSS` (UTC), as the seed's backup.sh named them. */
export function backupName(at: Date): string {
  const iso = at.toISOString(); // 2026-12-04T02:00:00.000Z
  return `bebsy_backup_${iso.slice(0, 10).replace(/-/g, '')}_${iso.slice(11, 19).replace(/:/g, '')}`;
}

/** Alerts the admins; an alert that cannot be delivered is logged, never hiding the failure it is about. */
async function alert(input: Parameters<BackupAlertActivities['alertBackupFailure']>[0]): Promise<void> {
  try {
    await quick.alertBackupFailure(input);
  } catch (error) {
    log.error('backup alert could not be delivered', { ...input, alertError: reason(error) });
  }
}

function reason(error: unknown): string {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * The nightly backup (the `nightly-backup` Schedule, or `npm run backup`): pg_dump to S3 or the
 * backup folder, then the restore drill (restored into a scratch database, row counts compared),
 * then the retention. A backup or drill that fails after its retries alerts the admins (metric +
 * email) and fails the run: only a drilled backup is `verified`.
 */
export async function databaseBackup(input: DatabaseBackupInput = {}): Promise<DatabaseBackupResult> {
  const at = input.at ? new Date(input.at) : workflowInfo().startTime;
  const name = backupName(at);
  let backup: BackupResult;
  try {
    backup = await dumping.backupDatabase({ name, workflowId: workflowInfo().workflowId });
  } catch (error) {
    await alert({ subject: name, stage: 'backup', error: reason(error) });
    throw ApplicationFailure.nonRetryable(`backup ${name} failed: ${reason(error)}`, 'BackupFailed');
  }
  let drill: DrillResult;
  try {
    drill = await dumping.drillBackup({ name });
  } catch (error) {
    await alert({ subject: name, stage: 'drill', error: reason(error) });
    throw ApplicationFailure.nonRetryable(`backup ${name} was stored but its restore drill failed: ${reason(error)}`, 'DrillFailed');
  }
  let pruned: string[] = [];
  try {
    pruned = (await quick.pruneBackups({ now: at.toISOString(), keep: name })).removed;
  } catch (error) {
    // the new backup is good; an old one left over is alerted, not a failed backup
    await alert({ subject: name, stage: 'prune', error: reason(error) });
  }
  log.info('backup verified', { name, sizeBytes: backup.sizeBytes, drillSeconds: drill.seconds, pruned: pruned.length });
  return { name, backup, drill, pruned };
}

export interface DatabaseRestoreInput {
  name: string;
  database: string;
  force?: boolean;
}

/** `npm run restore`: a named backup into a database of the live server, run by the worker. */
export async function databaseRestore(input: DatabaseRestoreInput) {
  return dumping.restoreBackup({ name: input.name, database: input.database, force: input.force ?? false });
}
