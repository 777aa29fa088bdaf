import type { Knex } from 'knex';

/**
 * Sessions that can end. Every token carries the account's `token_version` when it was issued,
 * and every request compares it with the stored one: signing out, changing the password or
 * disabling the account adds one, and every token issued before stops working at once.
 * `disabled_at`: set, the account neither signs in nor uses a token (its history stays).
 */
export async function up(db: Knex): Promise<void> {
  await db.raw(`
    ALTER TABLE admin_users
      ADD COLUMN token_version integer NOT NULL DEFAULT 0,
      ADD COLUMN disabled_at timestamptz
  `);
}

export async function down(db: Knex): Promise<void> {
  await db.raw('ALTER TABLE admin_users DROP COLUMN token_version, DROP COLUMN disabled_at');
}
