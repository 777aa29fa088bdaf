import type { Resend } from 'resend';
import type { Db } from '../../db/knex.js';
import { markOutboxSent, recordSendAttempt } from '../../db/repositories/email-outbox.js';
import { answerInTime, failForNow, failPermanently, ProviderTimeout, sentResult, type EmailTransport } from './transport.js';

/** The shape of an error answered by the Resend SDK. */
export interface ResendErrorLike {
  name: string;
  message: string;
  statusCode: number | null;
}

/**
 * A retry cannot fix a message the provider refuses as such (bad address, malformed fields,
 * an idempotency key reused for a different payload). Authentication, permission, quota,
 * rate limits, server and network errors are retried: they pass once someone fixes the
 * configuration or the provider recovers, and Temporal keeps the message until then.
 */
export function isPermanentResendError(error: ResendErrorLike): boolean {
  if (error.name === 'concurrent_idempotent_requests') return false;
  const status = error.statusCode;
  if (status === null) return false;
  if (status === 401 || status === 403 || status === 408 || status === 429 || status >= 500) return false;
  return status >= 400 && status < 500;
}

/**
 * EMAIL_TRANSPORT=resend: the idempotency key goes along as Resend's Idempotency-Key, so a
 * retry after a crash between the provider's answer and our update does not send a second
 * message. Resend answers `{ data, error }`; errors that a retry cannot fix (a bad address, a
 * malformed message) are recorded as failed_permanent and thrown non-retryable; the rest are
 * thrown retryable.
 */
export function resendTransport(db: Db, resend: Resend, from: string): EmailTransport {
  return {
    async send(row) {
      await recordSendAttempt(db, row.id, 'resend');
      let answer;
      try {
        answer = await answerInTime(
          resend.emails.send(
            {
              from,
              to: [row.to_address],
              subject: row.subject,
              html: row.html,
              text: row.text,
              tags: [{ name: 'kind', value: row.kind }],
            },
            { idempotencyKey: row.idempotency_key },
          ),
        );
      } catch (error) {
        if (!(error instanceof ProviderTimeout)) throw error;
        return failForNow(db, row, 'Resend', error.message);
      }
      const { data, error } = answer;
      if (error || !data) {
        const problem: ResendErrorLike = error ?? { name: 'application_error', message: 'Resend answered without an id', statusCode: null };
        const reason = `${problem.name}${problem.statusCode ? ` (${problem.statusCode})` : ''}: ${problem.message}`;
        if (isPermanentResendError(problem)) return failPermanently(db, row, reason);
        return failForNow(db, row, 'Resend', reason);
      }
      return sentResult(await markOutboxSent(db, row.id, 'resend', data.id), false);
    },
  };
}
