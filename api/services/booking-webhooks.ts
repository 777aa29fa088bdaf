import { WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from '../../db/knex.js';
import { bookingEventFromPayload, lockBookingEvent, markBookingEventApplied, storeBookingEvent } from '../../db/repositories/lifecycle.js';
import { findReferralForBooking } from '../../db/repositories/referrals.js';
import type { BookingEvent } from '../../domain/lifecycle.js';
import { bookingEventSignal } from '../../workflows/definitions.js';
import { withCallDeadline, type TemporalDeps } from './temporal.js';

export interface BookingWebhook {
  type: BookingEvent['type'];
  data: {
    booking_reference: string;
    customer_email?: string;
    booking_value?: number;
    currency?: string;
    departure_date?: string;
  };
}

export type WebhookOutcome =
  | { outcome: 'applied'; referral_id: string }
  | { outcome: 'pending'; message: string }
  | { outcome: 'ended'; referral_id: string; message: string }
  | { outcome: 'duplicate' };

/**
 * A verified booking event: stored in the inbox once (deduplicated on the webhook id), then
 * signalled to its referral's workflow. An event whose referral does not exist yet stays in
 * the inbox; the referral's workflow claims it when it starts.
 *
 * A delivery is a duplicate only once an earlier one was applied: a retry after an attempt
 * that stored the event but failed before the signal (a crash, Temporal not answering)
 * applies it now. The row lock makes concurrent deliveries of one webhook apply it once.
 * The insert commits before the lock is taken, so a referral submitted meanwhile always
 * sees the event (either here or when its workflow claims pending events).
 */
export async function receiveBookingWebhook(
  db: Db,
  temporal: TemporalDeps,
  webhookId: string,
  body: BookingWebhook,
): Promise<WebhookOutcome> {
  const event = bookingEventFromPayload(webhookId, body.type, body.data);
  await storeBookingEvent(db, {
    webhookId,
    type: body.type,
    bookingReference: event.bookingReference,
    customerEmail: event.customerEmail,
    payload: body,
  });
  return db.transaction(async (tx): Promise<WebhookOutcome> => {
    if ((await lockBookingEvent(tx, webhookId)).applied) return { outcome: 'duplicate' };

    const referral = await findReferralForBooking(tx, event);
    if (!referral)
      return { outcome: 'pending', message: 'No referral matches this booking yet; the event is kept and applied when it appears' };
    try {
      // The workflow ignores a webhook id it has seen, so a signal repeated by a retry is harmless.
      const signalled: BookingEvent = { ...event, customerMatch: referral.customerMatch };
      await withCallDeadline(temporal, () => temporal.client.workflow.getHandle(referral.workflowId).signal(bookingEventSignal, signalled));
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      // Ended (paid, rejected, expired, revoked; a cancellation after the clawback window): the
      // event can change nothing, so it is settled and answered as final. Never started (its
      // start failed during an outage): it stays in the inbox, and the workflow claims it when it starts.
      const status = await workflowStatus(temporal, referral.workflowId);
      if (!status) return { outcome: 'pending', message: 'The referral has no running workflow; the event is kept in the inbox' };
      await markBookingEventApplied(tx, webhookId, referral.id);
      return {
        outcome: 'ended',
        referral_id: referral.id,
        message: `The referral's workflow has ended (${status}); the event is recorded and changes nothing`,
      };
    }
    await markBookingEventApplied(tx, webhookId, referral.id);
    return { outcome: 'applied', referral_id: referral.id };
  });
}

/** The workflow's execution status (COMPLETED, FAILED, …), or null when no such workflow was ever started. */
async function workflowStatus(temporal: TemporalDeps, workflowId: string): Promise<string | null> {
  try {
    return (await withCallDeadline(temporal, () => temporal.client.workflow.getHandle(workflowId).describe())).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}
