import type { Knex } from 'knex';

/**
 * Finer statistics on the columns the list searches match with ILIKE '%term%'. Postgres
 * estimates such a pattern by trying it on the column's histogram; with the default 100
 * entries a term matching 3% of a million emails ("devries") looks as rare as a typo, and the
 * planner fetches and sorts every match through the trigram index (0.4 s) where walking the
 * newest-first index stops after one page (1 ms). With 1000 entries the estimates come within
 * a small factor and the planner picks the right path for rare and common terms alike.
 */
const searched = [
  ['customers', 'name'],
  ['customers', 'email'],
  ['referrals', 'new_customer_email'],
] as const;

export async function up(db: Knex): Promise<void> {
  for (const [table, column] of searched) await db.raw('ALTER TABLE ?? ALTER COLUMN ?? SET STATISTICS 1000', [table, column]);
  for (const [table, column] of searched) await db.raw('ANALYZE ?? (??)', [table, column]);
}

export async function down(db: Knex): Promise<void> {
  for (const [table, column] of searched) await db.raw('ALTER TABLE ?? ALTER COLUMN ?? SET STATISTICS -1', [table, column]);
}
