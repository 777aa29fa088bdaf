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
  return {
    scheduleId,
    spec: { cronExpressions: [cron], timezone: config.approvalDigest.timeZone },
    action: {
      type: 'startWorkflow',
      workflowType: 'approvalDigest' as const, // workflows/approval-digest.ts
      args: [],
      taskQueue: config.temporal.taskQueue,
      workflowId: scheduleId,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
  } satisfies ScheduleOptions;
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
  const handle = client.schedule.getHandle(scheduleId);
  const cron = config.approvalDigest.cron;
  if (!cron) {
    try {
      await handle.delete();
      return 'deleted';
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return 'absent';
      throw error;
    }
  }
  const wanted = approvalDigestSchedule(config, cron, scheduleId);
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
