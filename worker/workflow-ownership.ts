import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Db } from '../db/knex.js';
import { rowWorkflowId, type OwnedRow } from '../db/repositories/workflow-owners.js';

/** The failure type of an activity whose workflow no longer owns the row it names. */
export const NOT_THE_ROWS_WORKFLOW = 'NotTheRowsWorkflow';

/** The row an activity of these workflows acts on, read from its input. */
const OWNED_ROW = new Map<string, (input: Record<string, unknown>) => OwnedRow | null>([
  ['referralLifecycle', (input) => (typeof input.referralId === 'string' ? { table: 'referrals', id: input.referralId } : null)],
  ['customerImport', (input) => (typeof input.importId === 'string' ? { table: 'customer_imports', id: input.importId } : null)],
]);

/**
 * For the activities of the referral and import workflows: the row the activity names must be
 * the calling workflow's own (its `workflow_id`), or the activity fails non-retryably before it
 * runs. A database restored from a backup numbers new rows again from ids that workflows of
 * lost rows still carry (domain/workflow-ids.ts): such a workflow must never move, mail or pay
 * the new row that took its number. One indexed read per activity.
 */
export const workflowOwnership =
  (db: Db): ActivityInterceptorsFactory =>
  () => ({
    inbound: {
      async execute(input, next) {
        const { workflowType, workflowExecution } = Context.current().info;
        const workflowId = workflowExecution?.workflowId;
        const [first] = input.args as [unknown];
        const ownedRow = workflowType ? OWNED_ROW.get(workflowType) : undefined;
        const row = ownedRow && first && typeof first === 'object' ? ownedRow(first as Record<string, unknown>) : null;
        if (row) {
          const owner = await rowWorkflowId(db, row);
          if (owner !== workflowId) {
            throw ApplicationFailure.create({
              type: NOT_THE_ROWS_WORKFLOW,
              message:
                `${row.table} ${row.id} ${owner ? `belongs to workflow ${owner}` : 'does not exist'}, not to ${workflowId}: ` +
                'this workflow outlived its row (was the database restored from a backup?) and may not act on it',
              nonRetryable: true,
            });
          }
        }
        return next(input);
      },
    },
  });
