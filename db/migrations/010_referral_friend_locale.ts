import type { Knex } from 'knex';

/**
 * The language the friend submitted the public referral form in, so their welcome email is in
 * it too (null for referrals from before, or from API clients that do not say: Dutch).
 */
export async function up(db: Knex): Promise<void> {
  await db.raw("ALTER TABLE referrals ADD COLUMN new_customer_locale text CHECK (new_customer_locale IN ('nl', 'en'))");
}

export async function down(db: Knex): Promise<void> {
  await db.raw('ALTER TABLE referrals DROP COLUMN new_customer_locale');
}
