import type { Client, WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Db } from '../../db/knex.js';
import { rowWorkflowId, type OwnedRow } from '../../db/repositories/workflow-owners.js';
import { eventually } from './system.js';

const { PENDING_ACTIVITY_STATE_STARTED } = proto.temporal.api.enums.v1.PendingActivityState;

/** What describe() tells of an activity a worker has picked up and not finished. */
export interface StartedActivity {
  activityType: string;
  attempt: number;
}

/**
 * Waits until a worker has started an activity of this type for the workflow (it shows among
 * the pending activities as STARTED), and answers it: a point to stop a worker at on purpose.
 */
export async function activityStarted(handle: WorkflowHandle, activityType: string, { timeoutMs = 30_000 } = {}): Promise<StartedActivity> {
  return eventually(
    async () => {
      const { raw } = await handle.describe();
      const pending = (raw.pendingActivities ?? []).find(
        (a) => a.activityType?.name === activityType && a.state === PENDING_ACTIVITY_STATE_STARTED,
      );
      return pending && { activityType, attempt: pending.attempt ?? 1 };
    },
    { timeoutMs, intervalMs: 50 },
  );
}

/** The activities the workflow scheduled, by type, in history order. */
export async function scheduledActivities(handle: WorkflowHandle): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? []).flatMap((e) => {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [name] : [];
  });
}

/**
 * The attempt each scheduled activity of this type completed (or last ran) with, from the
 * history: an attempt above 1 is a retry, e.g. after the worker running it was killed.
 */
export async function activityAttempts(handle: WorkflowHandle, activityType: string): Promise<number[]> {
  const { events } = await handle.fetchHistory();
  const scheduled = new Set(
    (events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType).map((e) => String(e.eventId)),
  );
  return (events ?? []).flatMap((e) => {
    const started = e.activityTaskStartedEventAttributes;
    return started && scheduled.has(String(started.scheduledEventId)) ? [started.attempt ?? 1] : [];
  });
}

/** The workflow id a referral's or an import's row holds (rowWorkflowId, the read the worker's ownership check makes). */
async function ownerOf(db: Db, row: OwnedRow): Promise<string> {
  const workflowId = await rowWorkflowId(db, row);
  if (!workflowId) throw new Error(`no row ${row.id} in ${row.table}`);
  return workflowId;
}

/** A handle on a referral's or an import's workflow, by the id its row holds. */
const rowWorkflow = async (on: { client: Client; db: Db }, row: OwnedRow): Promise<WorkflowHandle> =>
  on.client.workflow.getHandle(await ownerOf(on.db, row));

export const referralWorkflow = (on: { client: Client; db: Db }, id: string | number) =>
  rowWorkflow(on, { table: 'referrals', id: String(id) });

export const importWorkflow = (on: { client: Client; db: Db }, id: string | number) =>
  rowWorkflow(on, { table: 'customer_imports', id: String(id) });

/**
 * A referral's workflow id as its row holds it: each of the referral's emails is keyed
 * `<workflow id>:<notification>:<recipient>` (activities/notifications.ts).
 */
export const referralRowWorkflowId = (db: Db, id: string | number): Promise<string> => ownerOf(db, { table: 'referrals', id: String(id) });
