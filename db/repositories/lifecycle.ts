import { randomInt } from 'node:crypto';
import type { BookingEvent, TransitionRecord } from '../../domain/lifecycle.js';
import type { ReferralFacts } from '../../domain/referral-rules.js';
import { eurosToCents } from '../../domain/money.js';
import { generateReferralCode } from '../../domain/referral-code.js';
import { STATUS_TIMESTAMP_COLUMN } from '../../domain/referral-status.js';
import type { Db } from '../knex.js';
import { uniqueViolation } from '../pg-errors.js';

/** The write side of the referral read model: what the lifecycle activities persist. */

/**
 * Writes one transition and its audit row in one transaction. A retry finds the audit row
 * by its event key and changes nothing, so the activity is idempotent.
 */
export async function recordTransition(db: Db, t: TransitionRecord): Promise<void> {
  await db.transaction(async (tx) => {
    const eventKey = `referral:${t.referralId}:${t.seq}`;
    const inserted = await tx('audit_log')
      .insert({
        event_key: eventKey,
        actor: t.actor,
        action: `referral.${t.to}`,
        entity_type: 'referral',
        entity_id: t.referralId,
        before: { status: t.from },
        after: {
          status: t.to,
          ...(t.reason && { reason: t.reason }),
          ...(t.flagReasons?.length && { flag_reasons: t.flagReasons }),
          ...(t.booking && { booking: t.booking }),
          ...(t.webhookId && { webhook_id: t.webhookId }),
          ...(t.voucherCode && { voucher_code: t.voucherCode }),
        },
        changed_at: t.at,
      })
      .onConflict('event_key')
      .ignore()
      .returning('id');
    if (inserted.length === 0) return;

    const changes: Record<string, unknown> = { status: t.to, [STATUS_TIMESTAMP_COLUMN[t.to]]: t.at, updated_at: tx.fn.now() };
    if (t.flagged !== undefined) changes.flagged = t.flagged;
    if (t.flagReasons) changes.flag_reasons = t.flagReasons;
    if (t.rejectionReason !== undefined) changes.rejection_reason = t.rejectionReason;
    if (t.to === 'approved') changes.approved_by = t.actor;
    if (t.to === 'rejected') changes.rejected_by = t.actor;
    if (t.booking) {
      changes.booking_reference = t.booking.reference;
      changes.booking_value_cents = t.booking.valueCents;
      changes.currency = t.booking.currency;
      changes.departure_date = t.booking.departureDate;
    }
    try {
      await tx.transaction((savepoint) => savepoint('referrals').where({ id: t.referralId }).update(changes));
    } catch (error) {
      // A booking matched by the friend's email may carry a reference another referral owns:
      // keep the transition (the workflow must not retry forever) without taking the reference.
      if (uniqueViolation(error) !== 'referrals_booking_reference_key') throw error;
      delete changes.booking_reference;
      await tx('referrals').where({ id: t.referralId }).update(changes);
    }
    if (t.webhookId) await markBookingEventApplied(tx, t.webhookId, t.referralId);
  });
}

/** The facts the rule checks need, read in one round trip. */
export async function referralFacts(db: Db, referralId: string): Promise<ReferralFacts> {
  const { rows } = await db.raw<{ rows: Record<string, unknown>[] }>(
    `SELECT c.email AS referrer_email, r.new_customer_email,
            coalesce(r.booking_reference, r.claimed_booking_reference) AS booking_reference,
            r.claimed_booking_reference IS NOT NULL AS booking_reference_in_use,
            EXISTS (SELECT 1 FROM customers x WHERE lower(x.email) = r.new_customer_email) AS referee_is_customer,
            EXISTS (SELECT 1 FROM referrals o WHERE o.new_customer_email = r.new_customer_email
                      AND o.id < r.id AND o.status <> 'rejected') AS referee_referred_earlier,
            (SELECT count(*) FROM referrals o WHERE o.referrer_id = r.referrer_id
                      AND o.id <> r.id AND o.status NOT IN ('rejected', 'expired')) AS referrer_active_referrals,
            (SELECT count(*) FROM referrals o WHERE o.referrer_id = r.referrer_id
                      AND o.submitted_at > r.submitted_at - interval '1 hour' AND o.id <= r.id) AS referrer_referrals_last_hour
       FROM referrals r LEFT JOIN customers c ON c.id = r.referrer_id
      WHERE r.id = ?`,
    [referralId],
  );
  const row = rows[0];
  if (!row) throw new Error(`Referral ${referralId} does not exist`);
  return {
    referrerEmail: (row.referrer_email as string | null) ?? null,
    refereeEmail: row.new_customer_email as string,
    bookingReference: (row.booking_reference as string | null) ?? null,
    bookingReferenceInUse: row.booking_reference_in_use as boolean,
    refereeIsCustomer: row.referee_is_customer as boolean,
    refereeReferredEarlier: row.referee_referred_earlier as boolean,
    referrerActiveReferrals: Number(row.referrer_active_referrals),
    referrerReferralsLastHour: Number(row.referrer_referrals_last_hour),
  };
}

export interface StoredBookingEvent {
  webhookId: string;
  type: BookingEvent['type'];
  bookingReference: string;
  customerEmail: string | null;
  payload: unknown;
}

/** Stores a webhook delivery once; returns false when this webhook id was seen before. */
export async function storeBookingEvent(db: Db, event: StoredBookingEvent): Promise<boolean> {
  const inserted = await db('booking_webhook_inbox')
    .insert({
      webhook_id: event.webhookId,
      event_type: event.type,
      booking_reference: event.bookingReference,
      customer_email: event.customerEmail,
      payload: JSON.stringify(event.payload),
    })
    .onConflict('webhook_id')
    .ignore()
    .returning('id');
  return inserted.length > 0;
}

/**
 * Locks a stored webhook's inbox row for this transaction, so concurrent deliveries of one
 * webhook apply it once; `applied` when an earlier delivery already did.
 */
export async function lockBookingEvent(tx: Db, webhookId: string): Promise<{ applied: boolean }> {
  const stored = await tx('booking_webhook_inbox').select('applied_at').where({ webhook_id: webhookId }).forUpdate().first();
  return { applied: Boolean(stored?.applied_at) };
}

export async function markBookingEventApplied(db: Db, webhookId: string, referralId: string): Promise<void> {
  await db('booking_webhook_inbox')
    .where({ webhook_id: webhookId })
    .whereNull('applied_at')
    .update({ applied_at: db.fn.now(), referral_id: referralId });
}

/**
 * Claims the booking events that arrived before this referral existed (matched by the
 * friend's email or the booking reference; a match by reference alone is `reference_only`, as
 * in findReferralForBooking). Claiming sets referral_id, so a retry returns the same set.
 */
export async function claimPendingBookingEvents(db: Db, referralId: string): Promise<BookingEvent[]> {
  const { rows } = await db.raw<{
    rows: {
      id: string;
      webhook_id: string;
      event_type: BookingEvent['type'];
      payload: { data: Record<string, unknown> };
      friend: boolean;
    }[];
  }>(
    `UPDATE booking_webhook_inbox i SET referral_id = r.id
       FROM referrals r
      WHERE r.id = ?
        AND (i.referral_id = r.id OR (i.referral_id IS NULL AND i.applied_at IS NULL
             AND (i.booking_reference = r.booking_reference OR i.customer_email = r.new_customer_email)))
      RETURNING i.webhook_id, i.event_type, i.payload, i.id, i.customer_email IS NOT DISTINCT FROM r.new_customer_email AS friend`,
    [referralId],
  );
  return rows
    .sort((a, b) => Number(a.id) - Number(b.id))
    .map((row) => ({
      ...bookingEventFromPayload(row.webhook_id, row.event_type, row.payload.data),
      customerMatch: row.friend ? 'friend' : 'reference_only',
    }));
}

/** The workflow's view of a webhook body's `data` (amounts in euros become cents). */
export function bookingEventFromPayload(webhookId: string, type: BookingEvent['type'], data: Record<string, unknown>): BookingEvent {
  const value = data.booking_value;
  return {
    webhookId,
    type,
    bookingReference: String(data.booking_reference),
    customerEmail: typeof data.customer_email === 'string' ? data.customer_email.trim().toLowerCase() : null,
    bookingValueCents: typeof value === 'number' ? eurosToCents(value) : null,
    currency: typeof data.currency === 'string' ? data.currency.toUpperCase() : 'EUR',
    departureDate: typeof data.departure_date === 'string' ? data.departure_date : null,
  };
}

/** Pays the reward once per referral, ever: a retry or a second call returns the first voucher. */
export async function payReward(db: Db, referralId: string, amountCents: number): Promise<{ voucherCode: string }> {
  const voucherCode = `BEBSY-${generateReferralCode(randomInt)}`;
  await db.raw(
    `INSERT INTO rewards (referral_id, customer_id, amount_cents, voucher_code)
     SELECT r.id, r.referrer_id, ?, ? FROM referrals r WHERE r.id = ?
     ON CONFLICT (referral_id) DO NOTHING`,
    [amountCents, voucherCode, referralId],
  );
  const reward = await db('rewards').select('voucher_code').where({ referral_id: referralId }).first();
  if (!reward) throw new Error(`Referral ${referralId} does not exist`);
  return { voucherCode: reward.voucher_code };
}

/** Records that a paid reward must be clawed back because the booking was cancelled. */
export async function recordClawback(db: Db, referralId: string, webhookId: string, at: string): Promise<void> {
  await db.transaction(async (tx) => {
    const updated = await tx('rewards')
      .where({ referral_id: referralId, status: 'paid' })
      .update({ status: 'clawback_due', clawback_at: at });
    if (updated === 0) return;
    await tx('audit_log')
      .insert({
        event_key: `referral:${referralId}:clawback`,
        actor: 'booking-system',
        action: 'reward.clawback_due',
        entity_type: 'referral',
        entity_id: referralId,
        before: { reward_status: 'paid' },
        after: { reward_status: 'clawback_due', webhook_id: webhookId },
        changed_at: at,
      })
      .onConflict('event_key')
      .ignore();
    await markBookingEventApplied(tx, webhookId, referralId);
  });
}
