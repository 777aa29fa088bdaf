import {
  ApplicationFailure,
  condition,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { WorkerActivities } from '../activities/index.js';
import type { ReferralNotification } from '../activities/notifications.js';
import type {
  Booking,
  BookingEvent,
  ReferralLifecycleInput,
  ReferralState,
  ReviewInput,
  ReviewOutcome,
  TransitionRecord,
} from '../domain/lifecycle.js';
import { lacksRejectionReason, type ReferralStatus } from '../domain/referral-status.js';
import { rewardHoldEnds } from '../domain/reward-hold.js';
import { BookingReferenceKey, ReferralFlaggedKey, ReferralStatusKey } from '../domain/search-attributes.js';
import { approveUpdate, bookingEventSignal, referralStateQuery, rejectUpdate } from './definitions.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Emails wait out a provider outage for a day (retrying), then give up without failing the referral. */
const notifications = proxyActivities<WorkerActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '5 seconds', maximumInterval: '10 minutes', backoffCoefficient: 2 },
});
const NOTIFICATIONS_PATCH = 'email-notifications';
/** The hold lasts until the departure day is over in Amsterdam (domain/reward-hold.ts); before: 00:00 UTC of that day. */
const HOLD_UNTIL_DEPARTURE_DAY_ENDS_PATCH = 'hold-until-departure-day-ends';
/** A cancellation delivered before its booking's confirmation counts once the confirmation arrives; before: dropped (and the cancelled booking paid). */
const EARLY_CANCELLATION_PATCH = 'early-cancellation-kept';

const activities = proxyActivities<WorkerActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

interface Decision {
  to: 'approved' | 'rejected';
  actor: string;
  reason?: string;
}

/**
 * One referral's life: rule checks, waiting for the booking, approval, the reward hold,
 * the payout, and the clawback window after it. Every transition is written to Postgres by
 * an idempotent activity before the workflow's state (and its search attributes) move on.
 */
export async function referralLifecycle(input: ReferralLifecycleInput): Promise<ReferralState> {
  const sending: Promise<void>[] = [];
  const notify = (notification: ReferralNotification) => {
    if (!patched(NOTIFICATIONS_PATCH)) return; // histories from before the emails replay unchanged
    sending.push(
      notifications.notifyReferral({ referralId: input.referralId, notification }).then(
        () => undefined,
        (error) => log.warn('referral notification failed', { referralId: input.referralId, notification, error: String(error) }),
      ),
    );
  };
  try {
    return await lifecycle(input, notify);
  } finally {
    await Promise.all(sending); // a finished referral still delivers what it announced
  }
}

/** The lifecycle itself; `notify` sends an email alongside, never holding the referral up. */
async function lifecycle(input: ReferralLifecycleInput, notify: (notification: ReferralNotification) => void): Promise<ReferralState> {
  const { referralId, policy } = input;
  const state: ReferralState = {
    referralId,
    status: 'submitted',
    flagged: false,
    flagReasons: [],
    rejectionReason: null,
    booking: null,
    holdUntil: null,
    voucherCode: null,
    clawback: false,
    history: [],
  };
  const seenWebhooks = new Set<string>();
  // Set by signal and update handlers: declared by assertion so the compiler does not narrow them to null.
  let confirmation = null as BookingEvent | null;
  let cancellation = null as BookingEvent | null;
  let decision = null as Decision | null;

  // Webhooks can arrive out of order: a cancellation of the booking before its confirmation is
  // kept, and cancels that booking as soon as its confirmation arrives.
  let earlyCancellation = null as BookingEvent | null;
  const receiveBookingEvent = (event: BookingEvent) => {
    if (seenWebhooks.has(event.webhookId)) return;
    seenWebhooks.add(event.webhookId);
    if (event.type === 'booking.confirmed') {
      confirmation ??= event;
      if (earlyCancellation?.bookingReference === confirmation.bookingReference) cancellation ??= earlyCancellation;
    } else if (confirmation)
      cancellation ??= event; // a cancellation only means something for a confirmed booking
    else if (patched(EARLY_CANCELLATION_PATCH)) earlyCancellation ??= event;
  };

  setHandler(referralStateQuery, () => state);
  setHandler(bookingEventSignal, receiveBookingEvent);
  // The booking counts as confirmed from the signal on: Postgres (and so the admin's screen) may
  // already say pending_approval while the workflow is still recording that transition.
  const reviewContext = (): ReviewContext => ({ status: state.status, decision, bookingConfirmed: confirmation !== null });
  const review =
    (to: Decision['to']) =>
    async ({ actor, reason }: ReviewInput): Promise<ReviewOutcome> => {
      assertReviewable(to, reviewContext());
      decision = { to, actor, reason };
      await condition(() => state.status !== 'pending_approval' && state.status !== 'awaiting_booking');
      if (state.status !== to) {
        throw ApplicationFailure.nonRetryable(`The referral became ${state.status} before it could be ${to}`, 'ReviewConflict');
      }
      return { referralId, status: state.status, actor };
    };
  setHandler(approveUpdate, review('approved'), { validator: (r) => validateReview('approved', r, reviewContext()) });
  setHandler(rejectUpdate, review('rejected'), { validator: (r) => validateReview('rejected', r, reviewContext()) });

  let seq = 0;
  async function moveTo(to: ReferralStatus, details: Omit<TransitionRecord, 'referralId' | 'seq' | 'from' | 'to' | 'at'>): Promise<void> {
    const at = new Date().toISOString();
    const record: TransitionRecord = { referralId, seq: ++seq, from: state.status, to, at, ...details };
    await activities.recordTransition(record);
    state.history.push({ seq: record.seq, from: record.from, to, at, actor: details.actor, reason: details.reason });
    state.status = to;
    upsertSearchAttributes([
      { key: ReferralStatusKey, value: to },
      { key: ReferralFlaggedKey, value: state.flagged },
      ...(state.booking ? [{ key: BookingReferenceKey, value: state.booking.reference }] : []),
    ]);
    log.info('referral transition', { referralId, from: record.from, to, actor: details.actor });
  }

  state.history.push({ seq: 0, from: null, to: 'submitted', at: new Date(workflowInfo().startTime).toISOString(), actor: 'customer' });

  // 1. Rule checks: reject, or go on (possibly flagged for a human).
  const verdict = await activities.checkReferralRules({ referralId });
  if (verdict.verdict === 'reject') {
    state.rejectionReason = verdict.reason;
    await moveTo('rejected', { actor: 'system:rules', reason: verdict.reason, rejectionReason: verdict.reason });
    return state;
  }
  state.flagged = verdict.flags.length > 0;
  state.flagReasons = verdict.flags;
  await moveTo('awaiting_booking', { actor: 'system:rules', flagged: state.flagged, flagReasons: state.flagReasons });
  notify('friend_welcome');
  if (state.flagged) notify('admin_flagged');

  // 2. Waiting for the booking; events that arrived before the referral existed come first.
  for (const event of await activities.takePendingBookingEvents({ referralId })) receiveBookingEvent(event);
  const booked = await condition(() => confirmation !== null || decision?.to === 'rejected', policy.expiryDays * DAY_MS);
  if (!booked) {
    await moveTo('expired', { actor: 'system:expiry', reason: `no booking within ${policy.expiryDays} days` });
    notify('referral_expired');
    return state;
  }
  if (decision?.to === 'rejected') return reject(decision);

  const confirmed = confirmation!;
  state.booking = bookingOf(confirmed);
  // Someone else's booking (matched by its reference alone) never pays without a human.
  const someoneElsesBooking = confirmed.customerMatch === 'reference_only' && !state.flagReasons.includes('booking_customer_mismatch');
  if (someoneElsesBooking) {
    state.flagged = true;
    state.flagReasons = [...state.flagReasons, 'booking_customer_mismatch'];
  }
  await moveTo('pending_approval', {
    actor: 'booking-system',
    booking: state.booking,
    webhookId: confirmed.webhookId,
    ...(someoneElsesBooking && { flagged: true, flagReasons: state.flagReasons }),
  });
  // The referrer hears of their friend's booking; of someone else's only the admins do (telling
  // the referrer would confirm to a guesser that the reference exists).
  notify(someoneElsesBooking ? 'admin_flagged' : 'friend_booked');

  // 3. Approval: by an admin, or by the rules for clean referrals when auto-approve is on.
  if (policy.autoApprove && !state.flagged) decision ??= { to: 'approved', actor: 'system:auto-approve' };
  await condition(() => decision !== null || cancellation !== null);
  if (cancellation && !decision) return revoke(cancellation);
  const review_ = decision!;
  if (review_.to === 'rejected') return reject(review_);
  await moveTo('approved', { actor: review_.actor, reason: review_.reason });
  notify('reward_approved');

  // 4. The reward hold: the trip's cancellation window, at least rewardHoldDays.
  const departureDate = state.booking?.departureDate ?? null;
  const holdEnds = patched(HOLD_UNTIL_DEPARTURE_DAY_ENDS_PATCH)
    ? rewardHoldEnds(Date.now(), policy.rewardHoldDays, departureDate)
    : Math.max(Date.now() + policy.rewardHoldDays * DAY_MS, departureDate ? Date.parse(`${departureDate}T00:00:00Z`) : 0);
  state.holdUntil = new Date(holdEnds).toISOString();
  if (await condition(() => cancellation !== null, holdEnds - Date.now())) return revoke(cancellation!);

  // 5. Payout, exactly once per referral.
  const reward = await activities.payReward({ referralId, amountCents: policy.rewardAmountCents });
  state.voucherCode = reward.voucherCode;
  state.holdUntil = null;
  await moveTo('paid', { actor: 'system:payout', voucherCode: reward.voucherCode });
  notify('reward_paid');

  // 6. The clawback window: a cancellation after payout records a clawback.
  if (await condition(() => cancellation !== null, policy.clawbackWindowDays * DAY_MS)) {
    await activities.recordClawback({ referralId, webhookId: cancellation!.webhookId, at: new Date().toISOString() });
    state.clawback = true;
  }
  return state;

  async function reject(by: Decision): Promise<ReferralState> {
    state.rejectionReason = by.reason ?? null;
    await moveTo('rejected', { actor: by.actor, reason: by.reason, rejectionReason: by.reason });
    return state;
  }

  async function revoke(event: BookingEvent): Promise<ReferralState> {
    await moveTo('revoked', { actor: 'booking-system', reason: 'booking_cancelled', webhookId: event.webhookId });
    return state;
  }
}

function bookingOf(event: BookingEvent): Booking {
  return {
    reference: event.bookingReference,
    valueCents: event.bookingValueCents,
    currency: event.currency,
    departureDate: event.departureDate,
  };
}

interface ReviewContext {
  status: ReferralStatus;
  decision: Decision | null;
  bookingConfirmed: boolean;
}

function validateReview(to: Decision['to'], review: ReviewInput, context: ReviewContext): void {
  if (!review?.actor) throw new Error('A review needs the actor who made it');
  if (lacksRejectionReason(to, review.reason)) throw new Error('A rejection needs a reason');
  assertReviewable(to, context);
}

function assertReviewable(to: Decision['to'], { status, decision, bookingConfirmed }: ReviewContext): void {
  if (status === 'submitted') throw new Error('The referral is still being checked; try again in a moment');
  if (status !== 'pending_approval' && status !== 'awaiting_booking') throw new Error(`The referral is already ${status}`);
  if (decision) throw new Error(`The referral is already being ${decision.to} by ${decision.actor}`);
  if (to === 'approved' && !bookingConfirmed) throw new Error('The referral cannot be approved before its booking is confirmed');
}
