import { canonicalMailbox, emailDomain, normaliseEmail } from './email.js';

/**
 * The rule checks a new referral passes before it waits for a booking. Pure: the activity
 * gathers the facts from Postgres, this decides. A rejection ends the referral; a flag
 * lets it go on but always needs a human (never auto-approved).
 */

export type RejectionReason =
  'unknown_referrer' | 'self_referral' | 'already_customer' | 'already_referred' | 'referral_limit_reached' | 'booking_reference_required';

export type FlagReason =
  | 'similar_to_referrer_email'
  | 'disposable_email_domain'
  | 'high_referral_velocity'
  /** The booking reference given on the form belonged to another referral already. */
  | 'booking_reference_in_use'
  /** The confirmed booking's customer is not the referred friend (or the booking named none): matched by reference alone. */
  | 'booking_customer_mismatch';

export const REJECTION_MESSAGES: Record<RejectionReason, string> = {
  unknown_referrer: 'The referral code does not belong to a customer',
  self_referral: 'A customer cannot refer themselves',
  already_customer: 'The referred person is already a Bebsy customer',
  already_referred: 'The referred person was already referred by someone else',
  referral_limit_reached: 'The referrer has reached the maximum number of referrals',
  booking_reference_required: 'A booking reference is required',
};

export interface ReferralFacts {
  referrerEmail: string | null;
  refereeEmail: string;
  /** The reference given on the form (held by this referral, or claimed while another holds it). */
  bookingReference: string | null;
  /** The reference given on the form was already held by another referral. */
  bookingReferenceInUse: boolean;
  refereeIsCustomer: boolean;
  /** An earlier, not rejected referral of the same person by another referrer exists. */
  refereeReferredEarlier: boolean;
  /** Referrals of this referrer that count against the limit (not rejected), excluding this one. */
  referrerActiveReferrals: number;
  /** Referrals this referrer submitted in the last hour, this one included. */
  referrerReferralsLastHour: number;
}

export interface ReferralPolicy {
  maxReferralsPerCustomer: number;
  requireBookingReference: boolean;
}

export type RuleVerdict = { verdict: 'reject'; reason: RejectionReason } | { verdict: 'accept'; flags: FlagReason[] };

/** Referrals per referrer per hour above which a human looks before any reward. */
export const VELOCITY_FLAG_THRESHOLD = 10;

const DISPOSABLE_DOMAINS = new Set([
  'mailinator.com',
  'guerrillamail.com',
  '10minutemail.com',
  'tempmail.com',
  'temp-mail.org',
  'yopmail.com',
  'trashmail.com',
  'sharklasers.com',
  'getnada.com',
  'dispostable.com',
]);

export function evaluateReferralRules(facts: ReferralFacts, policy: ReferralPolicy): RuleVerdict {
  if (facts.referrerEmail === null) return { verdict: 'reject', reason: 'unknown_referrer' };
  if (normaliseEmail(facts.referrerEmail) === normaliseEmail(facts.refereeEmail)) {
    return { verdict: 'reject', reason: 'self_referral' };
  }
  if (policy.requireBookingReference && !facts.bookingReference) {
    return { verdict: 'reject', reason: 'booking_reference_required' };
  }
  if (facts.refereeIsCustomer) return { verdict: 'reject', reason: 'already_customer' };
  if (facts.refereeReferredEarlier) return { verdict: 'reject', reason: 'already_referred' };
  if (policy.maxReferralsPerCustomer > 0 && facts.referrerActiveReferrals >= policy.maxReferralsPerCustomer) {
    return { verdict: 'reject', reason: 'referral_limit_reached' };
  }

  const flags: FlagReason[] = [];
  if (canonicalMailbox(facts.referrerEmail) === canonicalMailbox(facts.refereeEmail)) flags.push('similar_to_referrer_email');
  if (DISPOSABLE_DOMAINS.has(emailDomain(facts.refereeEmail))) flags.push('disposable_email_domain');
  if (facts.referrerReferralsLastHour > VELOCITY_FLAG_THRESHOLD) flags.push('high_referral_velocity');
  if (facts.bookingReferenceInUse) flags.push('booking_reference_in_use');
  return { verdict: 'accept', flags };
}
