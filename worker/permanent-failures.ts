import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { isPermanentDataError } from '../db/pg-errors.js';

/** The failure type of an activity whose input the database can never accept. */
export const INVALID_ACTIVITY_INPUT = 'InvalidActivityInput';

/**
 * For every activity of the worker: an input the database refuses as data (a NUL byte, a value
 * out of range, a CHECK) fails the activity non-retryably instead of being retried without end
 * (a reject reason with a NUL byte once jammed a referral's workflow: the retries never stop
 * and the update never answers). Everything else keeps the activity's own retry policy.
 */
export const permanentDataFailures: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (error) {
        if (!isPermanentDataError(error)) throw error;
        throw ApplicationFailure.create({
          type: INVALID_ACTIVITY_INPUT,
          message: `The database refuses this input and always will: ${(error as Error).message}`,
          nonRetryable: true,
          cause: error as Error,
        });
      }
    },
  },
});
