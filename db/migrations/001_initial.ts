import type { Knex } from 'knex';
import { REFERRAL_CODE_PATTERN } from '../../domain/referral-code.js';
import { REFERRAL_STATUSES } from '../../domain/referral-status.js';

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

export async function up(db: Knex): Promise<void> {
  await db.raw(`
    CREATE TABLE customers (
      id bigserial PRIMARY KEY,
      bebsy_customer_id text NOT NULL UNIQUE CHECK (length(bebsy_customer_id) BETWEEN 1 AND 64),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      email text NOT NULL CHECK (email = lower(email) AND position('@' in email) > 1),
      referral_code text NOT NULL UNIQUE CHECK (referral_code ~ '${REFERRAL_CODE_PATTERN}'),
      locale text NOT NULL DEFAULT 'nl' CHECK (locale IN ('nl', 'en')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX customers_email_key ON customers (lower(email));
    CREATE INDEX customers_created_at_idx ON customers (created_at DESC, id DESC);

    CREATE TABLE referrals (
      id bigserial PRIMARY KEY,
      referrer_id bigint NOT NULL REFERENCES customers (id),
      new_customer_email text NOT NULL CHECK (new_customer_email = lower(new_customer_email)),
      booking_reference text CHECK (length(booking_reference) BETWEEN 1 AND 64),
      status text NOT NULL DEFAULT 'submitted' CHECK (status IN (${list(REFERRAL_STATUSES)})),
      reward_amount_cents integer NOT NULL CHECK (reward_amount_cents >= 0),
      booking_value_cents integer CHECK (booking_value_cents >= 0),
      currency char(3),
      departure_date date,
      flagged boolean NOT NULL DEFAULT false,
      flag_reasons text[] NOT NULL DEFAULT '{}',
      rejection_reason text,
      workflow_id text NOT NULL UNIQUE,
      submitted_at timestamptz NOT NULL DEFAULT now(),
      awaiting_booking_at timestamptz,
      booking_confirmed_at timestamptz,
      approved_at timestamptz,
      approved_by text,
      paid_at timestamptz,
      rejected_at timestamptz,
      rejected_by text,
      expired_at timestamptz,
      revoked_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (referrer_id, new_customer_email)
    );
    CREATE UNIQUE INDEX referrals_booking_reference_key ON referrals (booking_reference) WHERE booking_reference IS NOT NULL;
    CREATE INDEX referrals_status_submitted_idx ON referrals (status, submitted_at DESC, id DESC);
    CREATE INDEX referrals_submitted_idx ON referrals (submitted_at DESC, id DESC);
    CREATE INDEX referrals_flagged_idx ON referrals (submitted_at DESC) WHERE flagged;
    CREATE INDEX referrals_new_customer_email_idx ON referrals (new_customer_email);
    CREATE INDEX referrals_referrer_idx ON referrals (referrer_id, submitted_at DESC);

    CREATE TABLE rewards (
      id bigserial PRIMARY KEY,
      referral_id bigint NOT NULL UNIQUE REFERENCES referrals (id),
      customer_id bigint NOT NULL REFERENCES customers (id),
      amount_cents integer NOT NULL CHECK (amount_cents >= 0),
      currency char(3) NOT NULL DEFAULT 'EUR',
      status text NOT NULL DEFAULT 'paid' CHECK (status IN ('paid', 'clawback_due')),
      voucher_code text NOT NULL UNIQUE,
      paid_at timestamptz NOT NULL DEFAULT now(),
      clawback_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX rewards_customer_idx ON rewards (customer_id);
    CREATE INDEX rewards_status_idx ON rewards (status, paid_at DESC);

    CREATE TABLE admin_users (
      id bigserial PRIMARY KEY,
      username text NOT NULL,
      password_hash text NOT NULL,
      role text NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'viewer')),
      must_change_password boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_login_at timestamptz
    );
    CREATE UNIQUE INDEX admin_users_username_key ON admin_users (lower(username));

    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      event_key text UNIQUE,
      actor text NOT NULL,
      action text NOT NULL,
      entity_type text NOT NULL,
      entity_id text NOT NULL,
      before jsonb,
      after jsonb,
      changed_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, changed_at);

    CREATE TABLE booking_webhook_inbox (
      id bigserial PRIMARY KEY,
      webhook_id text NOT NULL UNIQUE,
      event_type text NOT NULL CHECK (event_type IN ('booking.confirmed', 'booking.cancelled')),
      booking_reference text NOT NULL,
      customer_email text,
      payload jsonb NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      referral_id bigint REFERENCES referrals (id),
      applied_at timestamptz
    );
    CREATE INDEX booking_webhook_inbox_pending_reference_idx ON booking_webhook_inbox (booking_reference) WHERE applied_at IS NULL;
    CREATE INDEX booking_webhook_inbox_pending_email_idx ON booking_webhook_inbox (customer_email) WHERE applied_at IS NULL;
    CREATE INDEX booking_webhook_inbox_referral_idx ON booking_webhook_inbox (referral_id);
  `);
}

export async function down(db: Knex): Promise<void> {
  await db.raw('DROP TABLE booking_webhook_inbox, audit_log, admin_users, rewards, referrals, customers');
}
