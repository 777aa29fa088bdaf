import { centsToEuros } from '../domain/money.js';
import type { ReferralRow } from '../db/repositories/referrals.js';

/** The API's view of a stored referral: money in euros, everything else as stored. */
export function referralJson(row: ReferralRow) {
  const { reward_amount_cents, booking_value_cents, ...rest } = row;
  return {
    ...rest,
    reward_amount: centsToEuros(reward_amount_cents),
    booking_value: booking_value_cents === null ? null : centsToEuros(booking_value_cents),
  };
}
