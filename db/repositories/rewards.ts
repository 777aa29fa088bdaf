import type { Db } from '../knex.js';

/** A referral's reward as its detail shows it. */
export interface RewardRow {
  amount_cents: number;
  currency: string;
  status: 'paid' | 'clawback_due';
  voucher_code: string;
  paid_at: Date;
  clawback_at: Date | null;
}

/** The reward paid for a referral; undefined while there is none. */
export async function getReward(db: Db, referralId: string): Promise<RewardRow | undefined> {
  return db('rewards')
    .select('amount_cents', 'currency', 'status', 'voucher_code', 'paid_at', 'clawback_at')
    .where({ referral_id: referralId })
    .first();
}
