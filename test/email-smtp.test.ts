import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import {
  createEmailActivities,
  EMAIL_PERMANENT_FAILURE,
  EMAIL_PROVIDER_ERROR,
  isPermanentSmtpError,
  smtpMessageId,
  type OutboxRow,
} from '../activities/email.js';
import { ConfigError, loadConfig } from '../config/env.js';
import { createDb, type Db } from '../db/knex.js';
import { sampleMessage } from '../emails/samples.js';
import { testEnv, unique } from './support/system.js';
import { failureOf } from './support/failures.js';

const FRONTEND_URL = 'https://referrals.bebsy.test';
const FROM_EMAIL = 'Bebsy <referrals@bebsy.nl>';
const SMTP_USER = 'mailer';
const SMTP_PASSWORD = 'smtp-test-password';

function configError(env: Record<string, string>): string[] {
  try {
    loadConfig({ NODE_ENV: 'test', ...env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected loadConfig to throw');
}

interface ReceivedMail {
  from: string | undefined;
  to: string[];
  user: string | undefined;
  raw: string;
}

/** A local SMTP server with authentication (no TLS), recording every message it accepts. */
async function startSmtpServer() {
  const received: ReceivedMail[] = [];
  const rejectRecipients = new Set<string>();
  const server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) return callback(null, { user: auth.username });
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      if (rejectRecipients.has(address.address)) {
        return callback(
          Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: No such user here`), { responseCode: 550 }),
        );
      }
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user,
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    rejectRecipients,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Just enough MIME to read back what nodemailer wrote: headers and the text/html parts, decoded. */
function parseMail(raw: string) {
  const [head, ...rest] = raw.split('\r\n\r\n');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const body = rest.join('\r\n\r\n');
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get('content-type') ?? '')?.[1];
  const parts: Record<string, string> = {};
  const decode = (partHead: string, content: string) => {
    const encoding = /content-transfer-encoding:\s*([\w-]+)/i.exec(partHead)?.[1]?.toLowerCase();
    if (encoding === 'base64') return Buffer.from(content.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (encoding === 'quoted-printable') {
      const bytes = content.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => `%${hex}`);
      return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, '%25'));
    }
    return content;
  };
  for (const part of boundary ? body.split(`--${boundary}`) : []) {
    const [partHead, ...partBody] = part.replace(/^\r\n/, '').split('\r\n\r\n');
    const type = /content-type:\s*(text\/(?:plain|html))/i.exec(partHead)?.[1]?.toLowerCase();
    // SMTP carries CRLF line ends; the stored copy has LF.
    if (type) parts[type] = decode(partHead, partBody.join('\r\n\r\n').replace(/\r\n$/, '')).replace(/\r\n/g, '\n');
  }
  return { headers, text: parts['text/plain'], html: parts['text/html'] };
}

describe('EMAIL_TRANSPORT and SMTP configuration', () => {
  it('defaults to the outbox, or to Resend when RESEND_API_KEY is set', () => {
    assert.deepEqual(loadConfig({ NODE_ENV: 'test' }).email.transport, { kind: 'outbox' });
    assert.equal(loadConfig({ NODE_ENV: 'test', RESEND_API_KEY: 're_x' }).email.transport.kind, 'resend');
    assert.equal(loadConfig({ NODE_ENV: 'test', RESEND_API_KEY: 're_x', EMAIL_TRANSPORT: 'outbox' }).email.transport.kind, 'outbox');
    assert.equal(
      loadConfig({ NODE_ENV: 'test', SMTP_HOST: 'smtp.example.nl' }).email.transport.kind,
      'outbox',
      'SMTP_HOST alone does not switch transports',
    );
  });

  it('smtp: port 587 without implicit TLS by default, credentials from SMTP_USER/SMTP_PASSWORD', () => {
    assert.deepEqual(loadConfig({ NODE_ENV: 'test', EMAIL_TRANSPORT: 'smtp', SMTP_HOST: 'smtp.example.nl' }).email.transport, {
      kind: 'smtp',
      host: 'smtp.example.nl',
      port: 587,
      secure: false,
      auth: null,
    });
    assert.deepEqual(
      loadConfig({
        NODE_ENV: 'test',
        EMAIL_TRANSPORT: 'smtp',
        SMTP_HOST: 'smtp.example.nl',
        SMTP_PORT: '465',
        SMTP_SECURE: 'true',
        SMTP_USER: 'u',
        SMTP_PASSWORD: 'p',
      }).email.transport,
      { kind: 'smtp', host: 'smtp.example.nl', port: 465, secure: true, auth: { user: 'u', pass: 'p' } },
    );
  });

  it('names the missing or bad variable', () => {
    assert.deepEqual(configError({ EMAIL_TRANSPORT: 'smtp' }), ['SMTP_HOST: must be set when EMAIL_TRANSPORT is smtp']);
    assert.deepEqual(configError({ EMAIL_TRANSPORT: 'resend' }), ['RESEND_API_KEY: must be set when EMAIL_TRANSPORT is resend']);
    assert.deepEqual(configError({ EMAIL_TRANSPORT: 'smtp', SMTP_HOST: 'h', SMTP_USER: 'u' }), [
      'SMTP_PASSWORD: must be set when SMTP_USER is set',
    ]);
    assert.match(configError({ EMAIL_TRANSPORT: 'sendgrid' }).join('\n'), /^EMAIL_TRANSPORT: must be outbox, resend or smtp/);
    assert.match(configError({ EMAIL_TRANSPORT: 'smtp', SMTP_HOST: 'h', SMTP_PORT: '70000' }).join('\n'), /^SMTP_PORT:/);
    assert.match(
      configError({ EMAIL_TRANSPORT: 'smtp', SMTP_HOST: 'h', SMTP_SECURE: 'maybe' }).join('\n'),
      /^SMTP_SECURE: must be true or false/,
    );
  });

  it('an empty EMAIL_TRANSPORT counts as unset', () => {
    assert.deepEqual(loadConfig({ NODE_ENV: 'test', EMAIL_TRANSPORT: '' }).email.transport, { kind: 'outbox' });
  });
});

describe('SMTP errors', () => {
  it('5xx on the recipient or the message is permanent; connection, auth, sender and 4xx are retried', () => {
    assert.equal(isPermanentSmtpError({ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' }), true);
    assert.equal(isPermanentSmtpError({ code: 'EENVELOPE', responseCode: 553, command: 'RCPT TO' }), true);
    assert.equal(isPermanentSmtpError({ code: 'EMESSAGE', responseCode: 554, command: 'DATA' }), true);
    assert.equal(isPermanentSmtpError({ code: 'EENVELOPE', responseCode: 450, command: 'RCPT TO' }), false);
    assert.equal(isPermanentSmtpError({ code: 'EENVELOPE', responseCode: 553, command: 'MAIL FROM' }), false);
    assert.equal(isPermanentSmtpError({ code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN' }), false);
    assert.equal(isPermanentSmtpError({ code: 'ECONNECTION' }), false);
    assert.equal(isPermanentSmtpError({ code: 'ETIMEDOUT' }), false);
  });

  it('the Message-ID depends on the idempotency key only, in the sender domain', () => {
    const id = smtpMessageId('referral-1:reward_paid', FROM_EMAIL);
    assert.match(id, /^<email-[0-9a-f]{40}@bebsy\.nl>$/);
    assert.equal(smtpMessageId('referral-1:reward_paid', 'other@bebsy.nl'), id);
    assert.notEqual(smtpMessageId('referral-2:reward_paid', FROM_EMAIL), id);
  });
});

describe('sendEmail over SMTP (against a local smtp-server)', () => {
  let db: Db;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let sendEmail: ReturnType<typeof createEmailActivities>['sendEmail'];
  const outboxRows = (key: string) => db<OutboxRow>('email_outbox').where({ idempotency_key: key });

  before(async () => {
    db = createDb(testEnv.databaseUrl);
    smtp = await startSmtpServer();
    const config = loadConfig({
      NODE_ENV: 'test',
      FRONTEND_URL,
      FROM_EMAIL,
      EMAIL_TRANSPORT: 'smtp',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SMTP_USER,
      SMTP_PASSWORD,
      RESEND_API_KEY: 're_not_used',
    });
    assert.equal(config.email.transport.kind, 'smtp');
    ({ sendEmail } = createEmailActivities({ db, email: config.email }));
  });
  after(async () => {
    await smtp.close();
    await db.destroy();
  });
  beforeEach(() => {
    smtp.received.length = 0;
    smtp.rejectRecipients.clear();
  });

  it('delivers the stored message once, authenticated, with our Message-ID; the same key sends nothing new', async () => {
    const key = `referral-${unique()}:friend_booked`;
    const result = await sendEmail({ idempotencyKey: key, message: sampleMessage('friend_booked', 'en') });

    assert.equal(smtp.received.length, 1);
    const [mail] = smtp.received;
    assert.equal(mail.user, SMTP_USER);
    assert.equal(mail.from, 'referrals@bebsy.nl');
    assert.deepEqual(mail.to, ['sanne@example.nl']);
    const parsed = parseMail(mail.raw);
    const [row] = await outboxRows(key);
    const messageId = smtpMessageId(key, FROM_EMAIL);
    assert.equal(parsed.headers.get('from'), 'Bebsy <referrals@bebsy.nl>');
    assert.equal(parsed.headers.get('to'), 'sanne@example.nl');
    assert.equal(parsed.headers.get('subject'), 'Daan booked with your code');
    assert.equal(parsed.headers.get('message-id'), messageId);
    assert.equal(parsed.text, row.text);
    assert.equal(parsed.html, row.html);
    assert.ok(parsed.text?.includes(`${FRONTEND_URL}/r/ABC12345`));

    assert.deepEqual(result, {
      outboxId: String(row.id),
      status: 'sent',
      provider: 'smtp',
      providerMessageId: messageId,
      alreadySent: false,
    });
    assert.equal(row.status, 'sent');
    assert.equal(row.provider, 'smtp');
    assert.equal(row.provider_message_id, messageId);
    assert.equal(row.attempts, 1);
    assert.ok(row.sent_at);

    const again = await sendEmail({ idempotencyKey: key, message: sampleMessage('friend_booked', 'en') });
    assert.equal(again.alreadySent, true);
    assert.equal(again.providerMessageId, messageId);
    assert.equal(smtp.received.length, 1, 'already sent: the server is not asked again');
  });

  it('a non-ASCII Dutch message arrives intact', async () => {
    const key = `referral-${unique()}:reward_paid`;
    await sendEmail({ idempotencyKey: key, message: sampleMessage('reward_paid', 'nl') });
    const [row] = await outboxRows(key);
    assert.ok(row.subject.includes('€'));
    const parsed = parseMail(smtp.received[0].raw);
    assert.equal(parsed.text, row.text);
    assert.equal(parsed.html, row.html);
  });

  it('a resend after a crash carries the same Message-ID', async () => {
    const key = `referral-${unique()}:reward_approved`;
    await sendEmail({ idempotencyKey: key, message: sampleMessage('reward_approved', 'nl') });
    // As if the worker died after the server accepted the message but before the row was updated.
    await outboxRows(key).update({ status: 'queued', provider_message_id: null, sent_at: null });
    await sendEmail({ idempotencyKey: key, message: sampleMessage('reward_approved', 'nl') });
    assert.equal(smtp.received.length, 2, 'SMTP has no idempotency key: the server sees it twice');
    const ids = smtp.received.map((m) => parseMail(m.raw).headers.get('message-id'));
    assert.deepEqual(ids, [smtpMessageId(key, FROM_EMAIL), smtpMessageId(key, FROM_EMAIL)]);
  });

  it('a recipient refused with 550 is recorded as failed_permanent, thrown non-retryable and not sent again', async () => {
    const message = sampleMessage('friend_welcome', 'nl');
    smtp.rejectRecipients.add(message.to);
    const key = `referral-${unique()}:friend_welcome`;
    const failure = await failureOf(sendEmail({ idempotencyKey: key, message }));
    assert.equal(failure.nonRetryable, true);
    assert.equal(failure.type, EMAIL_PERMANENT_FAILURE);
    const [row] = await outboxRows(key);
    assert.equal(row.status, 'failed_permanent');
    assert.equal(row.provider, 'smtp');
    assert.match(row.error ?? '', /550 on RCPT TO/);
    assert.ok(!(row.error ?? '').includes(message.to), 'no address in the recorded error');
    assert.ok(!failure.message.includes(message.to), 'no address in the failure');
    assert.equal(row.sent_at, null);
    assert.equal(smtp.received.length, 0);

    smtp.rejectRecipients.clear();
    const again = await failureOf(sendEmail({ idempotencyKey: key, message: sampleMessage('friend_welcome', 'nl') }));
    assert.equal(again.nonRetryable, true);
    assert.equal(smtp.received.length, 0, 'a permanent failure is not sent again');
  });

  it('a server that is down gives a retryable failure and leaves the message queued', async () => {
    const down = await startSmtpServer();
    await down.close();
    const config = loadConfig({
      NODE_ENV: 'test',
      FROM_EMAIL,
      EMAIL_TRANSPORT: 'smtp',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(down.port),
      SMTP_USER,
      SMTP_PASSWORD,
    });
    const unreachable = createEmailActivities({ db, email: config.email });
    const key = `referral-${unique()}:referral_expired`;
    const failure = await failureOf(unreachable.sendEmail({ idempotencyKey: key, message: sampleMessage('referral_expired', 'nl') }));
    assert.equal(failure.nonRetryable, false);
    assert.equal(failure.type, EMAIL_PROVIDER_ERROR);
    let [row] = await outboxRows(key);
    assert.equal(row.status, 'queued');
    assert.match(row.error ?? '', /ECONNECTION|ECONNREFUSED/);
    assert.equal(row.attempts, 1);

    // The retry, once the server is back (here: the running one), sends it once.
    const result = await sendEmail({ idempotencyKey: key, message: sampleMessage('referral_expired', 'nl') });
    assert.equal(result.provider, 'smtp');
    assert.equal(smtp.received.length, 1);
    [row] = await outboxRows(key);
    assert.equal(row.status, 'sent');
    assert.equal(row.attempts, 2);
    assert.equal(row.error, null);
  });

  it('wrong credentials are retryable (fixed by configuration, not by dropping the message)', async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      FROM_EMAIL,
      EMAIL_TRANSPORT: 'smtp',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SMTP_USER,
      SMTP_PASSWORD: 'wrong',
    });
    const misconfigured = createEmailActivities({ db, email: config.email });
    const key = `digest-${unique()}`;
    const failure = await failureOf(misconfigured.sendEmail({ idempotencyKey: key, message: sampleMessage('admin_digest', 'nl') }));
    assert.equal(failure.nonRetryable, false);
    const [row] = await outboxRows(key);
    assert.equal(row.status, 'queued');
    assert.match(row.error ?? '', /EAUTH/);
    assert.equal(smtp.received.length, 0);
  });
});
