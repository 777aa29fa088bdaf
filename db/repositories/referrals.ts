import type { Knex } from 'knex';
import { isEmail, normaliseEmail } from '../../domain/email.js';
import { isReferralCode, normaliseReferralCode } from '../../domain/referral-code.js';
import type { ReferralStatus } from '../../domain/referral-status.js';
import type { BookingCustomerMatch } from '../../domain/lifecycle.js';
import type { Locale } from '../../domain/locale.js';
import { referralWorkflowId, uniqueWorkflowIdPart } from '../../domain/workflow-ids.js';
import type { Db } from '../knex.js';
import { uniqueViolation } from '../pg-errors.js';
import { escapeLike } from './customers.js';
import { keysetPage, type KeysetPage } from './keyset.js';

export interface ReferralRow {
  id: string;
  referrer_id: string;
  referrer_code: string;
  referrer_name: string;
  new_customer_email: string;
  booking_reference: string | null;
  /** A reference given on the form that another referral already held (migration 011). */
  claimed_booking_reference: string | null;
  status: ReferralStatus;
  reward_amount_cents: number;
  booking_value_cents: number | null;
  currency: string | null;
  departure_date: string | null;
  flagged: boolean;
  flag_reasons: string[];
  rejection_reason: string | null;
  workflow_id: string;
  submitted_at: Date;
  awaiting_booking_at: Date | null;
  booking_confirmed_at: Date | null;
  approved_at: Date | null;
  approved_by: string | null;
  paid_at: Date | null;
  rejected_at: Date | null;
  rejected_by: string | null;
  expired_at: Date | null;
  revoked_at: Date | null;
  updated_at: Date;
}

/** The columns of a listed or exported referral (`ReferralRow`). */
export const REFERRAL_COLUMNS = ['r.*', 'c.referral_code as referrer_code', 'c.name as referrer_name'];
const withReferrer = (db: Db) => db('referrals as r').join('customers as c', 'c.id', 'r.referrer_id');

export interface NewReferral {
  referrerCode: string;
  newCustomerEmail: string;
  /** The language of the friend's form (their welcome email's); absent: not said. */
  newCustomerLocale?: Locale | null;
  bookingReference: string | null;
  rewardAmountCents: number;
}

/** The referrals columns a submission answers and starts the workflow with. */
const SUBMITTED_COLUMNS = [
  'id',
  'workflow_id',
  'new_customer_email',
  'booking_reference',
  'claimed_booking_reference',
  'status',
  'flagged',
  'reward_amount_cents',
  'submitted_at',
] as const satisfies readonly (keyof ReferralRow)[];

/** A stored submission: its SUBMITTED_COLUMNS and the referrer's code (from customers). */
export type SubmittedReferral = Pick<ReferralRow, (typeof SUBMITTED_COLUMNS)[number] | 'referrer_code'>;

export type SubmitReferralResult = { kind: 'created' | 'existing'; referral: SubmittedReferral } | { kind: 'unknown_referrer' };

/**
 * Stores a submission once, in one round trip on the usual path (the submission endpoint is
 * the hottest write): the referrer is looked up, the referral inserted and returned with the
 * referrer's code by one statement. The same referrer and friend again return the first
 * referral (a retried form must never create a second one); the workflow id is derived from
 * the id. A booking reference another referral holds is kept as the claimed one (migration
 * 011): the submission is answered like any other, so the form tells nobody which references
 * exist, and the rule check flags it.
 */
export async function insertOrGetReferral(db: Db, input: NewReferral): Promise<SubmitReferralResult> {
  try {
    const inserted = await insertReferral(db, input, 'booking_reference');
    if (inserted) return { kind: 'created', referral: inserted };
  } catch (error) {
    if (uniqueViolation(error) !== 'referrals_booking_reference_key') throw error;
    // A concurrent identical submission can pass the ON CONFLICT check before the first one
    // inserted, then trip over the booking reference it shares with it: that is the same
    // referral, not a taken reference.
    const same = await existingReferral(db, input);
    if (same) return { kind: 'existing', referral: same };
    const claimed = await insertReferral(db, input, 'claimed_booking_reference');
    if (claimed) return { kind: 'created', referral: claimed };
  }
  const existing = await existingReferral(db, input);
  return existing ? { kind: 'existing', referral: existing } : { kind: 'unknown_referrer' };
}

/**
 * The submission's insert, one statement per reference column. It runs as a named prepared
 * statement (pg's `name`, through knex's `.options`): each pooled connection parses and plans
 * it once instead of on every submission, which cuts Postgres' CPU per submission by about a
 * third (docs/performance.md). Its RETURNING names its columns, so a migration that adds a
 * column to referrals does not change the prepared statement's result (Postgres would refuse
 * that: "cached plan must not change result type"). Through pgbouncer in transaction pooling
 * this needs pgbouncer >= 1.21 with max_prepared_statements > 0 (docs/scaling.md).
 */
const insertStatements = {
  booking_reference: submissionInsert('booking_reference'),
  claimed_booking_reference: submissionInsert('claimed_booking_reference'),
};

function submissionInsert(referenceColumn: 'booking_reference' | 'claimed_booking_reference') {
  return {
    name: `submit-referral-${referenceColumn}`,
    sql: `WITH referrer AS (SELECT id, referral_code FROM customers WHERE referral_code = ?),
               inserted AS (
                 INSERT INTO referrals (id, referrer_id, new_customer_email, new_customer_locale, ${referenceColumn}, reward_amount_cents, workflow_id)
                 SELECT next.id, referrer.id, ?, ?, ?, ?, replace(?, '{id}', next.id::text)
                   FROM referrer, LATERAL (SELECT nextval(pg_get_serial_sequence('referrals', 'id')) AS id) next
                 ON CONFLICT (referrer_id, new_customer_email) DO NOTHING
                 RETURNING ${SUBMITTED_COLUMNS.join(', ')})
          SELECT inserted.*, referrer.referral_code AS referrer_code FROM inserted, referrer`,
  };
}

/** The insert of a new referral (undefined: no such referrer, or this referrer referred this friend already). */
async function insertReferral(
  db: Db,
  input: NewReferral,
  referenceColumn: keyof typeof insertStatements,
): Promise<SubmittedReferral | undefined> {
  const statement = insertStatements[referenceColumn];
  const { rows } = await db
    .raw<{ rows: SubmittedReferral[] }>(statement.sql, [
      input.referrerCode,
      input.newCustomerEmail,
      input.newCustomerLocale ?? null,
      input.bookingReference,
      input.rewardAmountCents,
      referralWorkflowId('{id}', uniqueWorkflowIdPart()),
    ])
    .options({ name: statement.name });
  return rows[0];
}

const EXISTING_SUBMISSION_COLUMNS = [...SUBMITTED_COLUMNS.map((column) => `r.${column}`), 'c.referral_code as referrer_code'];

function existingReferral(db: Db, input: NewReferral): Promise<SubmittedReferral | undefined> {
  return withReferrer(db)
    .select(EXISTING_SUBMISSION_COLUMNS)
    .where({ 'c.referral_code': input.referrerCode, 'r.new_customer_email': input.newCustomerEmail })
    .first();
}

export async function getReferral(db: Db, id: string): Promise<ReferralRow | undefined> {
  return withReferrer(db).select(REFERRAL_COLUMNS).where('r.id', id).first();
}

/** The filters the referral list and the referral export share. */
export interface ReferralFilters {
  status?: ReferralStatus;
  flagged?: boolean;
  search?: string;
  referrerId?: string;
  /** Only referrals submitted in the last N days. */
  periodDays?: number;
}

export interface ReferralListQuery extends ReferralFilters {
  page: number;
  limit: number;
  cursor?: string;
  sort?: 'newest' | 'oldest';
}

/** Referrals (aliased `r`, joined with their referrer `c`) that match the filters; no columns or order yet. */
export function filteredReferrals(db: Db, filters: ReferralFilters) {
  return applyReferralFilters(db, withReferrer(db), filters);
}

/**
 * Every condition is on `r` alone, so Postgres can combine the indexes of one table: a
 * search is a BitmapOr of the trigram index on the friend's email, the booking reference and
 * the referrer's referrals (the referrer found by code first), or, for a term matching a large
 * share of rows, a walk down the submitted_at index that stops after one page.
 */
function applyReferralFilters(db: Db, q: Knex.QueryBuilder, filters: ReferralFilters) {
  if (filters.status) q.where('r.status', filters.status);
  if (filters.flagged !== undefined) q.where('r.flagged', filters.flagged);
  if (filters.referrerId) q.where('r.referrer_id', filters.referrerId);
  if (filters.periodDays) q.where('r.submitted_at', '>=', db.raw(`now() - make_interval(days => ?)`, [filters.periodDays]));
  const term = filters.search?.trim();
  if (term) {
    q.where((w) => {
      w.where('r.booking_reference', term);
      // a whole address is looked up as one (see filteredCustomers); an email has no spaces
      if (isEmail(normaliseEmail(term))) w.orWhere('r.new_customer_email', normaliseEmail(term));
      else if (!/\s/.test(term)) w.orWhereILike('r.new_customer_email', `%${escapeLike(term.toLowerCase())}%`);
      if (isReferralCode(normaliseReferralCode(term))) {
        w.orWhere('r.referrer_id', db('customers').select('id').where('referral_code', normaliseReferralCode(term)));
      }
      if (/^\d{1,18}$/.test(term)) w.orWhere('r.id', term);
    });
  }
  return q;
}

/** The referral list's direction for its `sort` (the list and the export). */
export const referralOrder = (sort: 'newest' | 'oldest' | undefined): 'asc' | 'desc' => (sort === 'oldest' ? 'asc' : 'desc');

/**
 * One page of referrals, newest (or oldest) first: keyset pages through the (submitted_at, id)
 * indexes; the referrer is joined for the page's rows only.
 */
export async function listReferrals(db: Db, query: ReferralListQuery): Promise<KeysetPage<ReferralRow>> {
  return keysetPage<ReferralRow>(
    db,
    {
      table: () => db('referrals as r'),
      filter: (q) => applyReferralFilters(db, q, query),
      searching: Boolean(query.search?.trim()),
      timeColumn: 'r.submitted_at',
      idColumn: 'r.id',
      columns: ['r.*'],
      wrap: (page, order) =>
        db
          .select('page.*', 'c.referral_code as referrer_code', 'c.name as referrer_name')
          .from(page.as('page'))
          .join('customers as c', 'c.id', 'page.referrer_id')
          .orderBy([
            { column: 'page.submitted_at', order },
            { column: 'page.id', order },
          ]),
    },
    { limit: query.limit, page: query.page, cursor: query.cursor, order: referralOrder(query.sort) },
  );
}

export interface BookingMatch {
  id: string;
  /** The referral's workflow, as its row holds it. */
  workflowId: string;
  customerMatch: BookingCustomerMatch;
}

/**
 * The referral a booking event belongs to. A booking confirms the referral of its own
 * customer: the friend's referral is found by the booking's customer email first (the oldest
 * one not rejected; a friend referred twice stays with the first). Only when no referral has
 * that friend does the booking reference decide, and such a match is `reference_only`: the
 * workflow flags it for a human (references are guessable, so a stranger could have typed
 * one on the form to take the credit). A cancellation goes to the referral its booking's
 * confirmation went to, whatever it names.
 */
export async function findReferralForBooking(
  db: Db,
  event: { type: 'booking.confirmed' | 'booking.cancelled'; bookingReference: string; customerEmail: string | null },
): Promise<BookingMatch | undefined> {
  if (event.type === 'booking.cancelled') {
    const confirmedTo = await db('booking_webhook_inbox as i')
      .join('referrals as r', 'r.id', 'i.referral_id')
      .select('r.id', 'r.workflow_id')
      .where({ 'i.booking_reference': event.bookingReference, 'i.event_type': 'booking.confirmed' })
      .orderBy('i.id')
      .first();
    if (confirmedTo) return { id: String(confirmedTo.id), workflowId: confirmedTo.workflow_id, customerMatch: 'friend' };
  }
  if (event.customerEmail) {
    const friend = await db('referrals')
      .select('id', 'workflow_id')
      .where({ new_customer_email: normaliseEmail(event.customerEmail) })
      .whereNot('status', 'rejected')
      .orderBy('id')
      .first();
    if (friend) return { id: friend.id, workflowId: friend.workflow_id, customerMatch: 'friend' };
  }
  const byReference = await db('referrals')
    .select('id', 'workflow_id')
    .where({ booking_reference: event.bookingReference })
    .whereNot('status', 'rejected')
    .first();
  return byReference && { id: byReference.id, workflowId: byReference.workflow_id, customerMatch: 'reference_only' };
}

export async function auditTrail(db: Db, referralId: string) {
  return db('audit_log')
    .select('actor', 'action', 'before', 'after', 'changed_at')
    .where({ entity_type: 'referral', entity_id: referralId })
    .orderBy([{ column: 'changed_at' }, { column: 'id' }]);
}
