import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  proxyActivities,
} from '@temporalio/workflow';
import type { ImportActivities, ImportCounts } from '../activities/imports.js';
import { IMPORT_FILE_ERROR, type ImportFailure } from '../domain/csv-import/status.js';

export interface CustomerImportInput {
  importId: string;
}

const work = proxyActivities<ImportActivities>({
  startToCloseTimeout: '2 hours',
  // A killed worker is noticed within seconds; the retry resumes on another (or the restarted) worker.
  heartbeatTimeout: '10 seconds',
  // Wait until the activity has stopped (rolled back) before cleaning up after a cancel.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  // The file's own problems are not retried; anything else is, with backoff.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: [IMPORT_FILE_ERROR] },
});

const cleanup = proxyActivities<ImportActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * One customer CSV import (workflow id `customer-import-<id>`): stage the uploaded file, then
 * validate and apply it in one transaction. Cancelling the workflow stops the running phase
 * and ends the import as cancelled; customers are only changed by the final commit.
 */
export async function customerImport({ importId }: CustomerImportInput): Promise<ImportCounts> {
  try {
    await work.stageImportFile({ importId });
    const counts = await work.applyImport({ importId });
    log.info('customer import completed', { importId, ...counts });
    return counts;
  } catch (error) {
    const outcome = isCancellation(error)
      ? ({ status: 'cancelled' } as const)
      : ({ status: 'failed', error: failureMessage(error), failure: importFailureOf(error) } as const);
    await CancellationScope.nonCancellable(() => cleanup.finishImport({ importId, outcome }));
    throw error;
  }
}

/** The file's problem an activity reported (its failure's details), or `internal` for anything else. */
function importFailureOf(error: unknown): ImportFailure {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof ApplicationFailure && current.type === IMPORT_FILE_ERROR && current.details?.[0]) {
      return current.details[0] as ImportFailure;
    }
  }
  return { code: 'internal' };
}

/** The root cause's message: an activity failure wraps the activity's own error. */
function failureMessage(error: unknown): string {
  let current = error as { cause?: unknown; message?: string } | undefined;
  while (current?.cause) current = current.cause as typeof current;
  return current?.message || 'The import failed';
}
