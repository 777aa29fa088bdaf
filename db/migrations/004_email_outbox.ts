import type { Knex } from 'knex';

/**
 * Every email the platform sends, stored once per idempotency key (business ids + message,
 * e.g. `referral-123:reward_paid`). With no provider configured the outbox is the transport
 * (admins read the messages in the UI); with Resend it records what was sent and what failed.
 */
export async function up(db: Knex): Promise<void> {
  await db.raw(`
    CREATE TABLE email_outbox (
      id bigserial PRIMARY KEY,
      idempotency_key text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 256),
      kind text NOT NULL,
      to_address text NOT NULL,
      locale text NOT NULL CHECK (locale IN ('nl', 'en')),
      subject text NOT NULL,
      html text NOT NULL,
      text text NOT NULL,
      status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed_permanent')),
      provider text CHECK (provider IN ('outbox', 'resend')),
      provider_message_id text,
      error text,
      attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz,
      CHECK ((status = 'sent') = (sent_at IS NOT NULL))
    );
    CREATE INDEX email_outbox_created_at_idx ON email_outbox (created_at DESC, id DESC);
    CREATE INDEX email_outbox_status_created_at_idx ON email_outbox (status, created_at DESC);
    CREATE INDEX email_outbox_kind_created_at_idx ON email_outbox (kind, created_at DESC);
    CREATE INDEX email_outbox_to_address_idx ON email_outbox (lower(to_address));
  `);
}

export async function down(db: Knex): Promise<void> {
  await db.raw('DROP TABLE email_outbox');
}
