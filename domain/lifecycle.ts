import type { ReferralStatus } from './referral-status.js';
import type { FlagReason, RejectionReason } from './referral-rules.js';

/** Everything a referral workflow needs at start: ids and the policy in force at submission. */
export interface ReferralLifecycleInput {
  referralId: string;
  referrerCode: string;
  bookingReference: string | null;
  policy: LifecyclePolicy;
}

export interface LifecyclePolicy {
  autoApprove: boolean;
  expiryDays: number;
  rewardHoldDays: number;
  clawbackWindowDays: number;
  rewardAmountCents: number;
}

/** A booking event from a booking system's webhook, as signalled to the workflow. */
export interface BookingEvent {
  webhookId: string;
  type: 'booking.confirmed' | 'booking.cancelled';
  bookingReference: string;
  customerEmail: string | null;
  bookingValueCents: number | null;
  currency: string;
  /** ISO date (YYYY-MM-DD) or null when the booking system did not send one. */
  departureDate: string | null;
  /**
   * How the booking was matched to this referral (set by the API, not the booking system):
   * `friend` when its customer is the referred friend; `reference_only` when only the booking
   * reference matched (another customer, or none named): the referral is then flagged
   * (booking_customer_mismatch) and never approved without a human. Absent in events
   * recorded before the check existed: treated as `friend`.
   */
  customerMatch?: BookingCustomerMatch;
}

export type BookingCustomerMatch = 'friend' | 'reference_only';

export interface Booking {
  reference: string;
  valueCents: number | null;
  currency: string;
  departureDate: string | null;
}

/** One status transition as the workflow records it: the `recordTransition` activity writes it with its audit row. */
export interface TransitionRecord {
  referralId: string;
  /** The workflow's transition counter: with the referral id, the idempotency key. */
  seq: number;
  from: ReferralStatus;
  to: ReferralStatus;
  at: string;
  actor: string;
  reason?: string;
  flagged?: boolean;
  flagReasons?: string[];
  rejectionReason?: string;
  booking?: Booking;
  webhookId?: string;
  voucherCode?: string;
}

export interface ReviewInput {
  /** Who decided, e.g. `admin:jan` or `system:auto-approve`. */
  actor: string;
  reason?: string;
}

export interface Transition {
  seq: number;
  from: ReferralStatus | null;
  to: ReferralStatus;
  at: string;
  actor: string;
  reason?: string;
}

/** What the `referralState` query answers: the live state and the history of transitions. */
export interface ReferralState {
  referralId: string;
  status: ReferralStatus;
  flagged: boolean;
  flagReasons: FlagReason[];
  rejectionReason: RejectionReason | string | null;
  booking: Booking | null;
  /** When the reward hold ends (ISO), while approved. */
  holdUntil: string | null;
  voucherCode: string | null;
  clawback: boolean;
  history: Transition[];
}

export interface ReviewOutcome {
  referralId: string;
  status: ReferralStatus;
  actor: string;
}
