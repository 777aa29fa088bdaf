import type { Knex } from 'knex';

/** EMAIL_TRANSPORT=smtp records `provider = 'smtp'` on the messages it sends. */
export async function up(db: Knex): Promise<void> {
  await db.raw(`
    ALTER TABLE email_outbox DROP CONSTRAINT IF EXISTS email_outbox_provider_check;
    ALTER TABLE email_outbox ADD CONSTRAINT email_outbox_provider_check CHECK (provider IN ('outbox', 'resend', 'smtp'));
  `);
}

export async function down(db: Knex): Promise<void> {
  await db.raw(`
    ALTER TABLE email_outbox DROP CONSTRAINT IF EXISTS email_outbox_provider_check;
    ALTER TABLE email_outbox ADD CONSTRAINT email_outbox_provider_check CHECK (provider IN ('outbox', 'resend'));
  `);
}
