import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../../db/knex.js';
import { markOutboxFailedPermanently, recordSendError, type EmailProvider, type OutboxRow } from '../../db/repositories/email-outbox.js';

/** Failure types of `sendEmail`: a message that can never be delivered (not retried), and a provider's passing refusal (retried). */
export const EMAIL_PERMANENT_FAILURE = 'EmailPermanentFailure';
export const EMAIL_PROVIDER_ERROR = 'EmailProviderError';

export interface SendEmailResult {
  outboxId: string;
  status: 'sent';
  provider: EmailProvider;
  providerMessageId: string | null;
  /** true when an earlier attempt (or an earlier event with the same key) already sent it. */
  alreadySent: boolean;
}

/**
 * How a stored message leaves (EMAIL_TRANSPORT): `send` takes a row of email_outbox that is
 * still queued, delivers it (or keeps it, for the outbox) and records the outcome on the row.
 * It throws a non-retryable EMAIL_PERMANENT_FAILURE when a retry cannot help and a retryable
 * EMAIL_PROVIDER_ERROR when it can.
 */
export interface EmailTransport {
  send(row: OutboxRow): Promise<SendEmailResult>;
}

export function sentResult(row: OutboxRow, alreadySent: boolean): SendEmailResult {
  return {
    outboxId: String(row.id),
    status: 'sent',
    provider: row.provider ?? 'outbox',
    providerMessageId: row.provider_message_id,
    alreadySent,
  };
}

export function permanentFailure(key: string, reason: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: `email ${key} cannot be delivered: ${reason}`,
    type: EMAIL_PERMANENT_FAILURE,
    nonRetryable: true,
    details: [{ idempotencyKey: key, reason }],
  });
}

/** Marks the message failed_permanent and throws the non-retryable failure that says why. */
export async function failPermanently(db: Db, row: OutboxRow, reason: string): Promise<never> {
  await markOutboxFailedPermanently(db, row.id, reason);
  throw permanentFailure(row.idempotency_key, reason);
}

/** Records a refusal a retry may fix on the message and throws the retryable failure that says who refused. */
export async function failForNow(db: Db, row: OutboxRow, refusedBy: string, reason: string): Promise<never> {
  await recordSendError(db, row.id, reason);
  throw ApplicationFailure.create({
    message: `${refusedBy} did not accept email ${row.idempotency_key}: ${reason}`,
    type: EMAIL_PROVIDER_ERROR,
    nonRetryable: false,
  });
}

/**
 * How long a provider may take to answer one send: well inside sendEmail's 30 s
 * start-to-close timeout, so a provider that never answers fails the attempt (retried, under
 * the same idempotency key) instead of holding one of the worker's activity slots until the
 * HTTP client's own 300 s limit.
 */
export const PROVIDER_ANSWER_MS = 20_000;

/** The provider's answer, or a ProviderTimeout after PROVIDER_ANSWER_MS. */
export async function answerInTime<T>(answer: Promise<T>, ms = PROVIDER_ANSWER_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProviderTimeout(ms)), ms);
  });
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}

export class ProviderTimeout extends Error {
  override name = 'ProviderTimeout';
  constructor(ms: number) {
    super(`no answer within ${ms / 1000} s`);
  }
}
