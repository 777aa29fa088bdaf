import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
} from '@temporalio/client';
import type { Config } from '../config/env.js';

/** The Schedule (and the id prefix of the workflows it starts) of the daily approval digest. */
export const APPROVAL_DIGEST_SCHEDULE_ID = 'approval-digest';

export type EnsureScheduleOutcome = 'created' | 'updated' | 'deleted' | 'absent';

type DigestScheduleConfig = Pick<Config, 'approvalDigest'> & { temporal: Pick<Config['temporal'], 'taskQueue'> };

/** The digest Schedule as the configuration wants it: APPROVAL_DIGEST_CRON in Amsterdam time, never overlapping. */
export function approvalDigestSchedule(config: DigestScheduleConfig, cron: string, scheduleId = APPROVAL_DIGEST_SCHEDULE_ID) {
  return workflowSchedule(config, scheduleId, 'approvalDigest', cron, config.approvalDigest.timeZone);
}

/**
 * Makes the Temporal Schedule match APPROVAL_DIGEST_CRON; safe on every start and from many
 * processes at once: creates it, or updates the spec/action of the one that exists, or (cron
 * "off") deletes it when present. Temporal appends the scheduled time to the workflow id.
 */
export async function ensureApprovalDigestSchedule(
  client: Client,
  config: DigestScheduleConfig,
  scheduleId = APPROVAL_DIGEST_SCHEDULE_ID,
): Promise<EnsureScheduleOutcome> {
  const cron = config.approvalDigest.cron;
  return ensureSchedule(client, cron ? approvalDigestSchedule(config, cron, scheduleId) : null, scheduleId);
}

/** The Schedule (and workflow id prefix) of the nightly database backup and its restore drill. */
export const NIGHTLY_BACKUP_SCHEDULE_ID = 'nightly-backup';
/** The Schedule (and workflow id prefix) of housekeeping: the seed's maintenance section. */
export const HOUSEKEEPING_SCHEDULE_ID = 'housekeeping';

type NamedScheduleConfig = { cron: string | null; timeZone: string };

/** A Schedule that starts `workflowType` on `cron` in `timeZone`, never overlapping (a run still going skips the next). */
export function workflowSchedule(
  config: { temporal: Pick<Config['temporal'], 'taskQueue'> },
  scheduleId: string,
  workflowType: 'approvalDigest' | 'databaseBackup' | 'housekeeping',
  cron: string,
  timeZone: string,
) {
  return {
    scheduleId,
    spec: { cronExpressions: [cron], timezone: timeZone },
    action: {
      type: 'startWorkflow',
      workflowType, // workflows/approval-digest.ts, database-backup.ts, housekeeping.ts
      args: [],
      taskQueue: config.temporal.taskQueue,
      workflowId: scheduleId,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
  } satisfies ScheduleOptions;
}

/**
 * Makes a Schedule match the configuration; safe on every start and from many processes at once:
 * creates it, or updates the spec/action of the one that exists, or (no cron: `wanted` null) deletes
 * it when present. Temporal appends the scheduled time to the workflow id.
 */
async function ensureSchedule(
  client: Client,
  wanted: ReturnType<typeof workflowSchedule> | null,
  scheduleId: string,
): Promise<EnsureScheduleOutcome> {
  const handle = client.schedule.getHandle(scheduleId);
  if (!wanted) {
    try {
      await handle.delete();
      return 'deleted';
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return 'absent';
      throw error;
    }
  }
  try {
    await client.schedule.create(wanted);
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await handle.update((current) => ({
    ...current,
    spec: wanted.spec,
    action: wanted.action,
    policies: { ...current.policies, overlap: ScheduleOverlapPolicy.SKIP },
  }));
  return 'updated';
}

/** Makes the `nightly-backup` Schedule match BACKUP_CRON (Europe/Amsterdam; `off` deletes it). */
export function ensureBackupSchedule(
  client: Client,
  config: { backups: NamedScheduleConfig; temporal: Pick<Config['temporal'], 'taskQueue'> },
  scheduleId = NIGHTLY_BACKUP_SCHEDULE_ID,
): Promise<EnsureScheduleOutcome> {
  const { cron, timeZone } = config.backups;
  return ensureSchedule(client, cron ? workflowSchedule(config, scheduleId, 'databaseBackup', cron, timeZone) : null, scheduleId);
}

/** Makes the `housekeeping` Schedule match HOUSEKEEPING_CRON (Europe/Amsterdam; `off` deletes it). */
export function ensureHousekeepingSchedule(
  client: Client,
  config: { housekeeping: NamedScheduleConfig; temporal: Pick<Config['temporal'], 'taskQueue'> },
  scheduleId = HOUSEKEEPING_SCHEDULE_ID,
): Promise<EnsureScheduleOutcome> {
  const { cron, timeZone } = config.housekeeping;
  return ensureSchedule(client, cron ? workflowSchedule(config, scheduleId, 'housekeeping', cron, timeZone) : null, scheduleId);
}

/** When a Schedule runs next (null: none, or no such Schedule). */
export async function nextScheduledRun(client: Client, scheduleId: string): Promise<Date | null> {
  try {
    const description = await client.schedule.getHandle(scheduleId).describe();
    return description.info.nextActionTimes[0] ?? null;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return null;
    throw error;
  }
}
