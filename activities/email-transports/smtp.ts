import { createHash } from 'node:crypto';
import { createTransport } from 'nodemailer';
import type { EmailTransportConfig } from '../../config/env.js';
import type { Db } from '../../db/knex.js';
import { markOutboxSent, recordSendAttempt } from '../../db/repositories/email-outbox.js';
import { failForNow, failPermanently, sentResult, type EmailTransport } from './transport.js';

/** The parts of a nodemailer error that tell a refused message from a passing problem. */
export interface SmtpErrorLike {
  code?: string;
  responseCode?: number;
  command?: string;
}

/**
 * Permanent: the server refused the recipient or the message with a 5xx (550 no such user,
 * 553 mailbox name not allowed, 554 refused as such, 552 too large), or nodemailer refused the
 * envelope before sending (EENVELOPE without an answer, e.g. no valid recipient). Everything
 * else is retried: connection and TLS errors, timeouts, 4xx (greylisting, mailbox busy),
 * authentication (535) and sender (MAIL FROM) refusals, which pass once the configuration is fixed.
 */
export function isPermanentSmtpError(error: SmtpErrorLike): boolean {
  const status = error.responseCode;
  if (status === undefined || status === null) return error.code === 'EENVELOPE' || error.code === 'EMESSAGE';
  if (status < 500 || status >= 600) return false;
  if (error.code === 'EAUTH' || error.command === 'AUTH' || error.command === 'MAIL FROM') return false;
  return error.code === 'EENVELOPE' || error.code === 'EMESSAGE' || error.command === 'RCPT TO' || error.command === 'DATA';
}

/** `<hash-of-key@sender-domain>`: the same for every attempt with one idempotency key. */
export function smtpMessageId(idempotencyKey: string, from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  const domain = /@([A-Za-z0-9.-]+)\s*$/.exec(address.trim())?.[1] ?? 'bebsy-referrals.invalid';
  const hash = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40);
  return `<email-${hash}@${domain}>`;
}

/**
 * EMAIL_TRANSPORT=smtp (nodemailer): SMTP has no idempotency key, so the message goes out with
 * a Message-ID derived from the key: a resend after a crash between the server's answer and
 * our update carries the same Message-ID, and receivers (and we) can recognise it as the same
 * message. 5xx answers to the recipient or the message itself are permanent; connection and
 * authentication errors and 4xx answers are retried.
 */
export function smtpTransport(db: Db, server: Extract<EmailTransportConfig, { kind: 'smtp' }>, from: string): EmailTransport {
  const transporter = createTransport({
    host: server.host,
    port: server.port,
    secure: server.secure,
    auth: server.auth ?? undefined,
    // Fail an attempt well within the activity's timeout; Temporal retries it.
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  });
  return {
    async send(row) {
      await recordSendAttempt(db, row.id, 'smtp');
      let messageId: string;
      try {
        const info = await transporter.sendMail({
          from,
          to: row.to_address,
          subject: row.subject,
          html: row.html,
          text: row.text,
          messageId: smtpMessageId(row.idempotency_key, from),
          headers: { 'X-Bebsy-Email-Kind': row.kind },
        });
        messageId = info.messageId;
      } catch (error) {
        const problem = (error ?? {}) as SmtpErrorLike & { message?: string };
        // The server's answer (or the error code), without the recipient's address: no PII in failures.
        const said = (problem.message ?? String(error)).split(row.to_address).join('<recipient>');
        const reason = `smtp ${problem.code ?? 'error'}${problem.responseCode ? ` (${problem.responseCode}${problem.command ? ` on ${problem.command}` : ''})` : ''}: ${said}`;
        if (isPermanentSmtpError(problem)) return failPermanently(db, row, reason);
        return failForNow(db, row, 'the SMTP server', reason);
      }
      return sentResult(await markOutboxSent(db, row.id, 'smtp', messageId), false);
    },
  };
}
