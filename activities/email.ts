import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { createTransport } from 'nodemailer';
import { Resend } from 'resend';
import type { EmailConfig } from '../config/env.js';
import type { Db } from '../db/knex.js';
import type { EmailProvider, OutboxRow } from '../db/repositories/email-outbox.js';
import { isEmail } from '../domain/email.js';
import { renderEmail, type EmailMessage } from '../emails/render.js';

/**
 * Sending email, exactly once per idempotency key (business ids + message, e.g.
 * `referral-123:reward_paid`). The message is rendered and stored in `email_outbox` once;
 * retries send the stored copy, so a provider sees the same payload under the same key.
 *
 * The transport is `email.transport` (EMAIL_TRANSPORT):
 * - outbox: the outbox is the transport; the row is marked sent there.
 * - Resend: the key goes along as Resend's Idempotency-Key, so a retry after a crash between
 *   the provider's answer and our update does not send a second message. Resend answers
 *   `{ data, error }`; errors that a retry cannot fix (a bad address, a malformed message) are
 *   recorded as failed_permanent and thrown non-retryable; the rest are thrown retryable.
 * - SMTP (nodemailer): SMTP has no idempotency key, so the message goes out with a Message-ID
 *   derived from the key: a resend after a crash between the server's answer and our update
 *   carries the same Message-ID, and receivers (and we) can recognise it as the same message.
 *   5xx answers to the recipient or the message itself are permanent; connection and
 *   authentication errors and 4xx answers are retried.
 */

export const EMAIL_PERMANENT_FAILURE = 'EmailPermanentFailure';
export const EMAIL_PROVIDER_ERROR = 'EmailProviderError';

export type { EmailProvider, OutboxRow };

export interface SendEmailInput {
  idempotencyKey: string;
  message: EmailMessage;
}

export interface SendEmailResult {
  outboxId: string;
  status: 'sent';
  provider: EmailProvider;
  providerMessageId: string | null;
  /** true when an earlier attempt (or an earlier event with the same key) already sent it. */
  alreadySent: boolean;
}

export interface EmailDependencies {
  db: Db;
  email: EmailConfig;
  /** A ready client (tests, custom setup); by default one is made from `email.transport` when it is resend. */
  resend?: Resend;
}

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

function permanentFailure(key: string, reason: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: `email ${key} cannot be delivered: ${reason}`,
    type: EMAIL_PERMANENT_FAILURE,
    nonRetryable: true,
    details: [{ idempotencyKey: key, reason }],
  });
}

export function createEmailActivities({ db, email, resend: client }: EmailDependencies) {
  const transport = email.transport;
  const resend = client ?? (transport.kind === 'resend' ? new Resend(transport.apiKey, { baseUrl: transport.baseUrl }) : null);
  const smtp =
    transport.kind === 'smtp'
      ? createTransport({
          host: transport.host,
          port: transport.port,
          secure: transport.secure,
          auth: transport.auth ?? undefined,
          // Fail an attempt well within the activity's timeout; Temporal retries it.
          connectionTimeout: 15_000,
          greetingTimeout: 15_000,
          socketTimeout: 60_000,
        })
      : null;

  const result = (row: OutboxRow, alreadySent: boolean): SendEmailResult => ({
    outboxId: String(row.id),
    status: 'sent',
    provider: row.provider ?? 'outbox',
    providerMessageId: row.provider_message_id,
    alreadySent,
  });

  /** Stores the rendered message once; a second call with the same key returns the stored row. */
  async function storeOnce({ idempotencyKey, message }: SendEmailInput): Promise<OutboxRow> {
    const existing = await db<OutboxRow>('email_outbox').where({ idempotency_key: idempotencyKey }).first();
    if (existing) return existing;
    const rendered = await renderEmail(message, { frontendUrl: email.frontendUrl });
    await db('email_outbox')
      .insert({
        idempotency_key: idempotencyKey,
        kind: message.kind,
        to_address: message.to.trim(),
        locale: message.locale,
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
      })
      .onConflict('idempotency_key')
      .ignore();
    return (await db<OutboxRow>('email_outbox').where({ idempotency_key: idempotencyKey }).first())!;
  }

  async function markFailedPermanently(row: OutboxRow, reason: string): Promise<never> {
    await db('email_outbox')
      .where({ id: row.id, status: 'queued' })
      .update({ status: 'failed_permanent', error: reason, updated_at: db.fn.now() });
    throw permanentFailure(row.idempotency_key, reason);
  }

  async function sendWithSmtp(transporter: NonNullable<typeof smtp>, row: OutboxRow): Promise<SendEmailResult> {
    await db('email_outbox')
      .where({ id: row.id })
      .update({ attempts: db.raw('attempts + 1'), provider: 'smtp', updated_at: db.fn.now() });
    let messageId: string;
    try {
      const info = await transporter.sendMail({
        from: email.from,
        to: row.to_address,
        subject: row.subject,
        html: row.html,
        text: row.text,
        messageId: smtpMessageId(row.idempotency_key, email.from),
        headers: { 'X-Bebsy-Email-Kind': row.kind },
      });
      messageId = info.messageId;
    } catch (error) {
      const problem = (error ?? {}) as SmtpErrorLike & { message?: string };
      // The server's answer (or the error code), without the recipient's address: no PII in failures.
      const said = (problem.message ?? String(error)).split(row.to_address).join('<recipient>');
      const reason = `smtp ${problem.code ?? 'error'}${problem.responseCode ? ` (${problem.responseCode}${problem.command ? ` on ${problem.command}` : ''})` : ''}: ${said}`;
      if (isPermanentSmtpError(problem)) return markFailedPermanently(row, reason);
      await db('email_outbox').where({ id: row.id, status: 'queued' }).update({ error: reason, updated_at: db.fn.now() });
      throw ApplicationFailure.create({
        message: `the SMTP server did not accept email ${row.idempotency_key}: ${reason}`,
        type: EMAIL_PROVIDER_ERROR,
        nonRetryable: false,
      });
    }
    const [sent] = await db<OutboxRow>('email_outbox')
      .where({ id: row.id })
      .update({
        status: 'sent',
        provider: 'smtp',
        provider_message_id: messageId,
        sent_at: db.fn.now(),
        updated_at: db.fn.now(),
        error: null,
      })
      .returning('*');
    return result(sent, false);
  }

  return {
    async sendEmail(input: SendEmailInput): Promise<SendEmailResult> {
      if (!input.idempotencyKey) throw ApplicationFailure.nonRetryable('sendEmail needs an idempotency key', EMAIL_PERMANENT_FAILURE);
      const row = await storeOnce(input);
      if (row.status === 'sent') return result(row, true);
      if (row.status === 'failed_permanent') throw permanentFailure(row.idempotency_key, row.error ?? 'failed permanently earlier');
      if (!isEmail(row.to_address)) return markFailedPermanently(row, 'invalid_recipient: the address is not a valid email address');

      if (smtp) return sendWithSmtp(smtp, row);
      if (!resend) {
        const [sent] = await db<OutboxRow>('email_outbox')
          .where({ id: row.id, status: 'queued' })
          .update({
            status: 'sent',
            provider: 'outbox',
            attempts: db.raw('attempts + 1'),
            sent_at: db.fn.now(),
            updated_at: db.fn.now(),
            error: null,
          })
          .returning('*');
        // Nothing updated: a concurrent attempt got there first; report what it stored.
        return sent ? result(sent, false) : result((await db<OutboxRow>('email_outbox').where({ id: row.id }).first())!, true);
      }

      await db('email_outbox')
        .where({ id: row.id })
        .update({ attempts: db.raw('attempts + 1'), provider: 'resend', updated_at: db.fn.now() });
      const { data, error } = await resend.emails.send(
        {
          from: email.from,
          to: [row.to_address],
          subject: row.subject,
          html: row.html,
          text: row.text,
          tags: [{ name: 'kind', value: row.kind }],
        },
        { idempotencyKey: row.idempotency_key },
      );
      if (error || !data) {
        const problem: ResendErrorLike = error ?? { name: 'application_error', message: 'Resend answered without an id', statusCode: null };
        const reason = `${problem.name}${problem.statusCode ? ` (${problem.statusCode})` : ''}: ${problem.message}`;
        if (isPermanentResendError(problem)) return markFailedPermanently(row, reason);
        await db('email_outbox').where({ id: row.id, status: 'queued' }).update({ error: reason, updated_at: db.fn.now() });
        throw ApplicationFailure.create({
          message: `Resend did not accept email ${row.idempotency_key}: ${reason}`,
          type: EMAIL_PROVIDER_ERROR,
          nonRetryable: false,
        });
      }
      const [sent] = await db<OutboxRow>('email_outbox')
        .where({ id: row.id })
        .update({
          status: 'sent',
          provider: 'resend',
          provider_message_id: data.id,
          sent_at: db.fn.now(),
          updated_at: db.fn.now(),
          error: null,
        })
        .returning('*');
      return result(sent, false);
    },
  };
}

export type EmailActivities = ReturnType<typeof createEmailActivities>;
