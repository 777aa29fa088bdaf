import type { Knex } from 'knex';

/**
 * Why an import failed, as a code with its facts (`{code: 'unreadable_csv', line: 12}`), so the
 * admin UI words it in the admin's language; `error` keeps the technical message for the logs.
 */
export async function up(db: Knex): Promise<void> {
  await db.raw('ALTER TABLE customer_imports ADD COLUMN failure jsonb');
}

export async function down(db: Knex): Promise<void> {
  await db.raw('ALTER TABLE customer_imports DROP COLUMN failure');
}
