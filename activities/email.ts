import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { Resend } from 'resend';
import type { EmailConfig } from '../config/env.js';
import type { Db } from '../db/knex.js';
import { findOutboxMessageByKey, insertOutboxMessageOnce, type EmailProvider, type OutboxRow } from '../db/repositories/email-outbox.js';
import { isEmail } from '../domain/email.js';
import { renderEmail, type EmailMessage } from '../emails/render.js';
import { outboxTransport } from './email-transports/outbox.js';
import { resendTransport } from './email-transports/resend.js';
import { smtpTransport } from './email-transports/smtp.js';
import {
  EMAIL_PERMANENT_FAILURE,
  failPermanently,
  permanentFailure,
  sentResult,
  type EmailTransport,
  type SendEmailResult,
} from './email-transports/transport.js';

/**
 * Sending email, exactly once per idempotency key (business ids + message, e.g.
 * `referral-123-k7mq2xpa:reward_paid:<recipient>`: a referral's workflow id, never its number
 * alone; `referralEmailKey` in notifications.ts). The message is rendered and stored in
 * `email_outbox` once; retries send the stored copy, so a provider sees the same payload under
 * the same key.
 *
 * The transport is `email.transport` (EMAIL_TRANSPORT), one module each in
 * activities/email-transports/ that only sends a stored row:
 * - outbox (outbox.ts): the outbox is the transport; the row is marked sent there.
 * - Resend (resend.ts): the key goes along as Resend's Idempotency-Key; permanent refusals
 *   are failed_permanent and not retried.
 * - SMTP (smtp.ts, nodemailer): a Message-ID derived from the key makes a resend recognisable;
 *   5xx answers to the recipient or the message are permanent.
 */

export { EMAIL_PERMANENT_FAILURE, EMAIL_PROVIDER_ERROR } from './email-transports/transport.js';
export { isPermanentSmtpError, smtpMessageId } from './email-transports/smtp.js';
export type { EmailProvider, OutboxRow, SendEmailResult };

/** Resend's limit for an Idempotency-Key, and email_outbox's for the column. */
export const MAX_EMAIL_KEY_LENGTH = 256;

/**
 * The idempotency key of one message of `scope` (what is announced, e.g. a referral's workflow id
 * and notification) to one recipient: `<scope>:<recipient>`. An address can take 254 of the 256
 * characters a key may have, so when the key would be longer the address goes in as its SHA-256
 * (`<scope>:sha256-<hex>`): still one key per recipient, and never one the outbox or Resend refuses.
 */
export function recipientKey(scope: string, recipient: string): string {
  const key = `${scope}:${recipient}`;
  return key.length <= MAX_EMAIL_KEY_LENGTH ? key : `${scope}:sha256-${createHash('sha256').update(recipient).digest('hex')}`;
}

export interface SendEmailInput {
  idempotencyKey: string;
  message: EmailMessage;
}

export interface EmailDependencies {
  db: Db;
  email: EmailConfig;
  /** A ready client (tests, custom setup); by default one is made from `email.transport` when it is resend. */
  resend?: Resend;
}

/** The configured transport: SMTP when so configured, else Resend when a client is given or configured, else the outbox. */
function emailTransport({ db, email, resend: client }: EmailDependencies): EmailTransport {
  const transport = email.transport;
  if (transport.kind === 'smtp') return smtpTransport(db, transport, email.from);
  const resend = client ?? (transport.kind === 'resend' ? new Resend(transport.apiKey, { baseUrl: transport.baseUrl }) : null);
  return resend ? resendTransport(db, resend, email.from) : outboxTransport(db);
}

export function createEmailActivities(dependencies: EmailDependencies) {
  const { db, email } = dependencies;
  const transport = emailTransport(dependencies);

  /** Stores the rendered message once; a second call with the same key returns the stored row. */
  async function storeOnce({ idempotencyKey, message }: SendEmailInput): Promise<OutboxRow> {
    const existing = await findOutboxMessageByKey(db, idempotencyKey);
    if (existing) return existing;
    const rendered = await renderEmail(message, { frontendUrl: email.frontendUrl });
    return insertOutboxMessageOnce(db, {
      idempotencyKey,
      kind: message.kind,
      toAddress: message.to.trim(),
      locale: message.locale,
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
    });
  }

  return {
    async sendEmail(input: SendEmailInput): Promise<SendEmailResult> {
      if (!input.idempotencyKey) throw ApplicationFailure.nonRetryable('sendEmail needs an idempotency key', EMAIL_PERMANENT_FAILURE);
      const row = await storeOnce(input);
      if (row.status === 'sent') return sentResult(row, true);
      if (row.status === 'failed_permanent') throw permanentFailure(row.idempotency_key, row.error ?? 'failed permanently earlier');
      if (!isEmail(row.to_address)) return failPermanently(db, row, 'invalid_recipient: the address is not a valid email address');
      return transport.send(row);
    },
  };
}

export type EmailActivities = ReturnType<typeof createEmailActivities>;
