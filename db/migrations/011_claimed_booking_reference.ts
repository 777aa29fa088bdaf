import type { Knex } from 'knex';

/**
 * A booking reference given on the public form that another referral already holds. The form
 * accepts it like any other (answering 409 told anyone which references exist); the referral
 * keeps it here, outside the unique `booking_reference`, and its rule check flags it
 * (`booking_reference_in_use`) so a human looks before any reward.
 */
export async function up(db: Knex): Promise<void> {
  await db.raw(
    'ALTER TABLE referrals ADD COLUMN claimed_booking_reference text CHECK (length(claimed_booking_reference) BETWEEN 1 AND 64)',
  );
}

export async function down(db: Knex): Promise<void> {
  await db.raw('ALTER TABLE referrals DROP COLUMN claimed_booking_reference');
}
