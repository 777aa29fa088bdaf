import { defineSearchAttributeKey } from '@temporalio/common';

/**
 * Search attributes every referral workflow keeps current, so operators can filter in
 * Temporal Web. SQL visibility allows 10 Keyword attributes per namespace: we use 3.
 */
export const ReferralStatusKey = defineSearchAttributeKey('ReferralStatus', 'KEYWORD');
export const ReferrerCodeKey = defineSearchAttributeKey('ReferrerCode', 'KEYWORD');
export const BookingReferenceKey = defineSearchAttributeKey('BookingReference', 'KEYWORD');
export const ReferralFlaggedKey = defineSearchAttributeKey('ReferralFlagged', 'BOOL');

/** The same set in the `NAME=Type` form the Temporal CLI and test environments take. */
export const referralSearchAttributes = {
  ReferralStatus: 'Keyword',
  ReferrerCode: 'Keyword',
  BookingReference: 'Keyword',
  ReferralFlagged: 'Bool',
} as const;
