import type { Locale } from '../../domain/locale.js';
import type { Db } from '../knex.js';
import { escapeLike } from './customers.js';

/** How a message leaves (EMAIL_TRANSPORT): `outbox` keeps it here, `resend` and `smtp` deliver it. */
export type EmailProvider = 'outbox' | 'resend' | 'smtp';

/** A row of email_outbox: one message per idempotency key, rendered once, sent (or kept) from this copy. */
export interface OutboxRow {
  id: string;
  idempotency_key: string;
  /** The message kind (emails/messages.ts EMAIL_KINDS). */
  kind: string;
  to_address: string;
  locale: Locale;
  subject: string;
  html: string;
  text: string;
  status: OutboxStatus;
  provider: EmailProvider | null;
  provider_message_id: string | null;
  error: string | null;
  attempts: number;
  created_at: Date;
  updated_at: Date;
  sent_at: Date | null;
}

/** The outbox as admins read it: the list never carries the bodies (html/text), the detail does. */
export type OutboxSummary = Omit<OutboxRow, 'html' | 'text' | 'updated_at'>;

export const OUTBOX_STATUSES = ['queued', 'sent', 'failed_permanent'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

const SUMMARY_COLUMNS = [
  'id',
  'idempotency_key',
  'kind',
  'to_address',
  'locale',
  'subject',
  'status',
  'provider',
  'provider_message_id',
  'error',
  'attempts',
  'created_at',
  'sent_at',
] as const;

export interface OutboxListQuery {
  page: number;
  limit: number;
  status?: OutboxStatus;
  kind?: string;
  /** Matches the recipient, subject or idempotency key (case-insensitive, part of it). */
  search?: string;
}

export async function listOutbox(db: Db, query: OutboxListQuery): Promise<{ rows: OutboxSummary[]; total: number }> {
  const filtered = () => {
    const q = db('email_outbox');
    if (query.status) q.where('status', query.status);
    if (query.kind) q.where('kind', query.kind);
    const search = query.search?.trim();
    if (search) {
      const term = `%${escapeLike(search)}%`;
      q.where((w) => {
        w.whereILike('to_address', term).orWhereILike('subject', term).orWhereILike('idempotency_key', term);
      });
    }
    return q;
  };
  const [rows, [{ count }]] = await Promise.all([
    filtered()
      .select(...SUMMARY_COLUMNS)
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    filtered().count<{ count: string }[]>({ count: '*' }),
  ]);
  return { rows: rows as OutboxSummary[], total: Number(count) };
}

/**
 * Messages not (yet) delivered: queued (waiting for a first attempt, or in one), retrying (queued
 * after an attempt that failed with an error; Temporal retries it) and failed (failed_permanent).
 * Reads the status index only: sent messages, nearly all of the table, are not touched.
 */
export async function countUndelivered(db: Db): Promise<{ queued: number; retrying: number; failed: number }> {
  const retrying = 'attempts > 0 AND error IS NOT NULL';
  const [row] = await db('email_outbox')
    .whereIn('status', ['queued', 'failed_permanent'])
    .select(
      db.raw(`count(*) FILTER (WHERE status = 'queued' AND NOT (${retrying}))::int AS queued`),
      db.raw(`count(*) FILTER (WHERE status = 'queued' AND ${retrying})::int AS retrying`),
      db.raw(`count(*) FILTER (WHERE status = 'failed_permanent')::int AS failed`),
    );
  return row;
}

export async function getOutboxMessage(db: Db, id: string): Promise<OutboxRow | undefined> {
  return db<OutboxRow>('email_outbox').where({ id }).first();
}

/*
 * The sending side (activities/email.ts and its transports): a message is stored once per
 * idempotency key, then each attempt and its outcome are recorded on that row. The updates
 * that settle a message touch it only while it is still `queued`, except the provider's
 * acceptance, which always wins (the message did leave).
 */

export async function findOutboxMessageByKey(db: Db, idempotencyKey: string): Promise<OutboxRow | undefined> {
  return db<OutboxRow>('email_outbox').where({ idempotency_key: idempotencyKey }).first();
}

/** A rendered message to store, `queued`. */
export interface NewOutboxMessage {
  idempotencyKey: string;
  kind: string;
  toAddress: string;
  locale: Locale;
  subject: string;
  html: string;
  text: string;
}

/**
 * Stores the message unless its key is stored already, and answers the stored row: the first
 * one's when two attempts race (`ON CONFLICT DO NOTHING`).
 */
export async function insertOutboxMessageOnce(db: Db, message: NewOutboxMessage): Promise<OutboxRow> {
  await db('email_outbox')
    .insert({
      idempotency_key: message.idempotencyKey,
      kind: message.kind,
      to_address: message.toAddress,
      locale: message.locale,
      subject: message.subject,
      html: message.html,
      text: message.text,
    })
    .onConflict('idempotency_key')
    .ignore();
  return (await findOutboxMessageByKey(db, message.idempotencyKey))!;
}

/** An attempt at a provider begins: counted, with the provider named. */
export async function recordSendAttempt(db: Db, id: string, provider: 'resend' | 'smtp'): Promise<void> {
  await db('email_outbox')
    .where({ id })
    .update({ attempts: db.raw('attempts + 1'), provider, updated_at: db.fn.now() });
}

/** An attempt failed in a way a retry may fix: the error on the message, while it is queued. */
export async function recordSendError(db: Db, id: string, reason: string): Promise<void> {
  await db('email_outbox').where({ id, status: 'queued' }).update({ error: reason, updated_at: db.fn.now() });
}

/** The message can never be delivered: `failed_permanent` with the reason, while it is queued. */
export async function markOutboxFailedPermanently(db: Db, id: string, reason: string): Promise<void> {
  await db('email_outbox').where({ id, status: 'queued' }).update({ status: 'failed_permanent', error: reason, updated_at: db.fn.now() });
}

/** A provider accepted the message: `sent`, with its message id. */
export async function markOutboxSent(db: Db, id: string, provider: 'resend' | 'smtp', providerMessageId: string): Promise<OutboxRow> {
  const [sent] = await db<OutboxRow>('email_outbox')
    .where({ id })
    .update({
      status: 'sent',
      provider,
      provider_message_id: providerMessageId,
      sent_at: db.fn.now(),
      updated_at: db.fn.now(),
      error: null,
    })
    .returning('*');
  return sent;
}

/**
 * The outbox transport's attempt: a queued message is kept here as `sent` (provider `outbox`),
 * counted as an attempt. Undefined when it was no longer queued: a concurrent attempt got there first.
 */
export async function keepInOutbox(db: Db, id: string): Promise<OutboxRow | undefined> {
  const [sent] = await db<OutboxRow>('email_outbox')
    .where({ id, status: 'queued' })
    .update({
      status: 'sent',
      provider: 'outbox',
      attempts: db.raw('attempts + 1'),
      sent_at: db.fn.now(),
      updated_at: db.fn.now(),
      error: null,
    })
    .returning('*');
  return sent;
}
