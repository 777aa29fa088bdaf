import type { Knex } from 'knex';

/**
 * The list searches match parts of names and emails (ILIKE '%term%'): trigram GIN indexes
 * keep them fast at a million customers instead of scanning every row.
 */
export async function up(db: Knex): Promise<void> {
  await db.raw(`
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX customers_name_trgm_idx ON customers USING gin (name gin_trgm_ops);
    CREATE INDEX customers_email_trgm_idx ON customers USING gin (email gin_trgm_ops);
    CREATE INDEX referrals_new_customer_email_trgm_idx ON referrals USING gin (new_customer_email gin_trgm_ops);
  `);
}

export async function down(db: Knex): Promise<void> {
  await db.raw('DROP INDEX customers_name_trgm_idx, customers_email_trgm_idx, referrals_new_customer_email_trgm_idx');
}
