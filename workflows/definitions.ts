import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BookingEvent, ReferralState, ReviewInput, ReviewOutcome } from '../domain/lifecycle.js';

/** Message types of the referral workflow, shared by the workflow and its clients. */
export const bookingEventSignal = defineSignal<[BookingEvent]>('bookingEvent');
export const approveUpdate = defineUpdate<ReviewOutcome, [ReviewInput]>('approve');
export const rejectUpdate = defineUpdate<ReviewOutcome, [ReviewInput]>('reject');
export const referralStateQuery = defineQuery<ReferralState>('referralState');
