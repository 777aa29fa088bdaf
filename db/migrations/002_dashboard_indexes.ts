import type { Knex } from 'knex';

/** The dashboard's time series count confirmations and payouts per day: index those timestamps. */
export async function up(db: Knex): Promise<void> {
  await db.raw(`
    CREATE INDEX referrals_booking_confirmed_at_idx ON referrals (booking_confirmed_at) WHERE booking_confirmed_at IS NOT NULL;
    CREATE INDEX rewards_paid_at_idx ON rewards (paid_at);
  `);
}

export async function down(db: Knex): Promise<void> {
  await db.raw('DROP INDEX referrals_booking_confirmed_at_idx, rewards_paid_at_idx');
}
