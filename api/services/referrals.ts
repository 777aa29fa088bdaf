import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcServiceError,
} from '@temporalio/client';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { ReferralPolicyConfig } from '../../config/env.js';
import type { EmailLocale } from '../../emails/messages.js';
import type { Db } from '../../db/knex.js';
import { getReferral, insertOrGetReferral, type ReferralRow, type SubmittedReferral } from '../../db/repositories/referrals.js';
import type { ReferralLifecycleInput, ReferralState, ReviewOutcome } from '../../domain/lifecycle.js';
import type { AdminDecision } from '../../domain/referral-status.js';
import { BookingReferenceKey, ReferralFlaggedKey, ReferralStatusKey, ReferrerCodeKey } from '../../domain/search-attributes.js';
import { approveUpdate, referralStateQuery, rejectUpdate } from '../../workflows/definitions.js';
import type { referralLifecycle } from '../../workflows/referral-lifecycle.js';
import { HttpError, notFound } from '../errors.js';
import { UPDATE_DEADLINE_MS, withCallDeadline, type TemporalDeps } from './temporal.js';

export interface Submission {
  referrerCode: string;
  newCustomerEmail: string;
  newCustomerLocale?: EmailLocale | null;
  bookingReference: string | null;
}

/** The referral use cases behind the routes: submission, review and the live view. */
export class ReferralService {
  constructor(
    private readonly db: Db,
    private readonly temporal: TemporalDeps,
    private readonly policy: ReferralPolicyConfig,
  ) {}

  /**
   * Stores the referral once and makes sure its workflow runs. A retried submission finds
   * the stored referral and (re)starts nothing new: the workflow id is derived from its id.
   */
  async submit(submission: Submission): Promise<{ referral: SubmittedReferral; created: boolean }> {
    if (this.policy.requireBookingReference && !submission.bookingReference) {
      throw new HttpError(400, 'validation_error', 'booking_reference is required', [
        { field: 'booking_reference', message: 'is required' },
      ]);
    }
    const result = await insertOrGetReferral(this.db, {
      referrerCode: submission.referrerCode,
      newCustomerEmail: submission.newCustomerEmail,
      newCustomerLocale: submission.newCustomerLocale,
      bookingReference: submission.bookingReference,
      rewardAmountCents: this.policy.rewardAmountCents,
    });
    if (result.kind === 'unknown_referrer')
      throw new HttpError(404, 'unknown_referral_code', `No customer has the referral code ${submission.referrerCode}`);
    await this.startWorkflow(result.referral);
    return { referral: result.referral, created: result.kind === 'created' };
  }

  private async startWorkflow(referral: SubmittedReferral): Promise<void> {
    const input: ReferralLifecycleInput = {
      referralId: referral.id,
      referrerCode: referral.referrer_code,
      bookingReference: referral.booking_reference,
      policy: {
        autoApprove: this.policy.autoApprove,
        expiryDays: this.policy.expiryDays,
        rewardHoldDays: this.policy.rewardHoldDays,
        clawbackWindowDays: this.policy.clawbackWindowDays,
        rewardAmountCents: referral.reward_amount_cents,
      },
    };
    try {
      await withCallDeadline(this.temporal, () =>
        this.temporal.client.workflow.start<typeof referralLifecycle>('referralLifecycle', {
          workflowId: referral.workflow_id,
          taskQueue: this.temporal.taskQueue,
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: ReferralStatusKey, value: referral.status },
            { key: ReferrerCodeKey, value: referral.referrer_code },
            { key: ReferralFlaggedKey, value: referral.flagged },
            ...(referral.booking_reference ? [{ key: BookingReferenceKey, value: referral.booking_reference }] : []),
          ],
        }),
      );
    } catch (error) {
      // A finished workflow for this referral: the submission was processed long ago.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  /** Applies an admin decision through the workflow's update and answers its real outcome. */
  async review(referralId: string, decision: AdminDecision, actor: string, reason?: string): Promise<ReviewOutcome> {
    const referral = await getReferral(this.db, referralId);
    if (!referral) throw notFound(`Referral ${referralId}`);
    const handle = this.temporal.client.workflow.getHandle(referral.workflow_id);
    const update = decision === 'approved' ? approveUpdate : rejectUpdate;
    try {
      return await this.temporal.client.connection.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () =>
        handle.executeUpdate(update, { args: [{ actor, reason }] }),
      );
    } catch (error) {
      throw await this.reviewError(error, referralId);
    }
  }

  private async reviewError(error: unknown, referralId: string): Promise<Error> {
    if (error instanceof WorkflowUpdateFailedError) {
      return new HttpError(409, 'invalid_transition', error.cause?.message ?? error.message);
    }
    if (error instanceof WorkflowNotFoundError || (isGrpcServiceError(error) && error.code === grpcStatus.NOT_FOUND)) {
      const current = await getReferral(this.db, referralId);
      return new HttpError(409, 'invalid_transition', `The referral is already ${current?.status ?? 'closed'}`);
    }
    // The client throws WorkflowUpdateRPCTimeoutOrCancelledError when the deadline passes (the
    // gRPC DEADLINE_EXCEEDED is its cause): nobody took the update in time.
    const timedOut = error instanceof WorkflowUpdateRPCTimeoutOrCancelledError;
    if (timedOut || (isGrpcServiceError(error) && error.code === grpcStatus.DEADLINE_EXCEEDED)) {
      return new HttpError(503, 'workflow_unavailable', 'The referral workflow did not answer in time (is a worker running?); try again');
    }
    return error as Error;
  }

  /** The workflow's live state, or null with the reason when it cannot be asked. */
  async liveState(referral: ReferralRow): Promise<{ state: ReferralState | null; error?: string }> {
    try {
      const handle = this.temporal.client.workflow.getHandle(referral.workflow_id);
      const state = await this.temporal.client.connection.withDeadline(Date.now() + 3_000, () => handle.query(referralStateQuery));
      return { state };
    } catch (error) {
      return { state: null, error: (error as Error).message };
    }
  }
}
