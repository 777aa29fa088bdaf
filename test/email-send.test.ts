import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { approvalDigestKey } from '../activities/digest.js';
import { referralEmailKey } from '../activities/notifications.js';
import {
  MAX_EMAIL_KEY_LENGTH,
  createEmailActivities,
  EMAIL_PERMANENT_FAILURE,
  EMAIL_PROVIDER_ERROR,
  type OutboxRow,
} from '../activities/email.js';
import { loadConfig } from '../config/env.js';
import { createDb, type Db } from '../db/knex.js';
import { sampleMessage } from '../emails/samples.js';
import { startFakeResend, type FakeResend } from './support/fake-resend.js';
import { testEnv, unique } from './support/system.js';
import { failureOf } from './support/failures.js';
import { answerInTime, PROVIDER_ANSWER_MS, ProviderTimeout } from '../activities/email-transports/transport.js';

const FRONTEND_URL = 'https://referrals.bebsy.test';

describe('sendEmail', () => {
  let db: Db;
  before(() => {
    db = createDb(testEnv.databaseUrl);
  });
  after(() => db.destroy());

  const outboxRows = (key: string) => db<OutboxRow>('email_outbox').where({ idempotency_key: key });

  describe('outbox transport (no RESEND_API_KEY)', () => {
    it('stores and marks the message sent once, however often it is called with the same key', async () => {
      const config = loadConfig({ NODE_ENV: 'test', FRONTEND_URL });
      assert.deepEqual(config.email.transport, { kind: 'outbox' });
      const { sendEmail } = createEmailActivities({ db, email: config.email });
      const key = `referral-${unique()}:reward_paid`;
      const first = await sendEmail({ idempotencyKey: key, message: sampleMessage('reward_paid', 'nl') });
      const second = await sendEmail({ idempotencyKey: key, message: sampleMessage('reward_paid', 'nl') });

      assert.deepEqual({ ...first, alreadySent: true }, second);
      assert.equal(first.alreadySent, false);
      assert.equal(first.provider, 'outbox');
      const rows = await outboxRows(key);
      assert.equal(rows.length, 1);
      const [row] = rows;
      assert.equal(row.status, 'sent');
      assert.equal(row.provider, 'outbox');
      assert.equal(row.attempts, 1);
      assert.ok(row.sent_at);
      assert.equal(row.kind, 'reward_paid');
      assert.equal(row.locale, 'nl');
      assert.equal(row.to_address, 'sanne@example.nl');
      assert.ok(row.subject.includes('€ 25,00'));
      assert.ok(row.html.includes('BEBSY-7KQ2-M9XD'));
      assert.ok(row.text.includes('BEBSY-7KQ2-M9XD'));
    });

    it('records an invalid recipient as failed_permanent and throws non-retryable', async () => {
      const { sendEmail } = createEmailActivities({ db, email: loadConfig({ NODE_ENV: 'test' }).email });
      const key = `referral-${unique()}:friend_welcome`;
      const failure = await failureOf(
        sendEmail({ idempotencyKey: key, message: { ...sampleMessage('friend_welcome'), to: 'not-an-address' } }),
      );
      assert.equal(failure.nonRetryable, true);
      assert.equal(failure.type, EMAIL_PERMANENT_FAILURE);
      const [row] = await outboxRows(key);
      assert.equal(row.status, 'failed_permanent');
      assert.match(row.error ?? '', /invalid_recipient/);
    });
  });

  describe('Resend transport (against a local server that speaks its API)', () => {
    let resend: FakeResend;
    let sendEmail: ReturnType<typeof createEmailActivities>['sendEmail'];
    before(async () => {
      resend = await startFakeResend();
      const config = loadConfig({
        NODE_ENV: 'test',
        FRONTEND_URL,
        RESEND_API_KEY: resend.apiKey,
        RESEND_BASE_URL: resend.url,
        FROM_EMAIL: 'Bebsy <referrals@bebsy.nl>',
      });
      assert.deepEqual(config.email.transport, { kind: 'resend', apiKey: resend.apiKey, baseUrl: resend.url });
      ({ sendEmail } = createEmailActivities({ db, email: config.email }));
    });
    after(() => resend.close());
    beforeEach(() => resend.reset());

    it('sends once with the idempotency key, the API key and the rendered message', async () => {
      const key = `referral-${unique()}:friend_booked`;
      const result = await sendEmail({ idempotencyKey: key, message: sampleMessage('friend_booked', 'en') });

      assert.equal(resend.requests.length, 1);
      const [request] = resend.requests;
      assert.equal(request.headers.idempotencyKey, key);
      assert.equal(request.headers.authorization, `Bearer ${resend.apiKey}`);
      assert.equal(request.headers.contentType, 'application/json');
      assert.equal(request.body.from, 'Bebsy <referrals@bebsy.nl>');
      assert.deepEqual(request.body.to, ['sanne@example.nl']);
      assert.equal(request.body.subject, 'Daan booked with your code');
      assert.ok(String(request.body.html).includes(`${FRONTEND_URL}/r/ABC12345`));
      assert.ok(String(request.body.text).includes(`${FRONTEND_URL}/r/ABC12345`));
      assert.deepEqual(request.body.tags, [{ name: 'kind', value: 'friend_booked' }]);

      assert.equal(resend.delivered.length, 1);
      assert.deepEqual(result, {
        outboxId: result.outboxId,
        status: 'sent',
        provider: 'resend',
        providerMessageId: resend.delivered[0].id,
        alreadySent: false,
      });
      const [row] = await outboxRows(key);
      assert.equal(row.status, 'sent');
      assert.equal(row.provider_message_id, resend.delivered[0].id);
      assert.equal(row.attempts, 1);
    });

    it('a referral email to the longest address there is (254 characters) is sent once, under a key that still fits Resend and the outbox (and so does an admin digest key)', async () => {
      const workflowId = `referral-${unique()}-k7mq2xpa`;
      const longAddress = (local: string) => `${local}@${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.nl`.padStart(254, 'x');
      const [first, second] = [longAddress('sanne'), longAddress('daan')];
      assert.equal(first.length, 254);
      const keys = [first, second].map((to) => referralEmailKey(workflowId, 'admin_flagged', to));
      assert.ok(keys.every((key) => key.length <= MAX_EMAIL_KEY_LENGTH && key.startsWith(`${workflowId}:admin_flagged:sha256-`)));
      assert.notEqual(keys[0], keys[1], 'one key per recipient');
      const digestKeys = [first, second].map((to) => approvalDigestKey('2026-12-05', to));
      assert.ok(digestKeys.every((key) => key.length <= MAX_EMAIL_KEY_LENGTH && key.startsWith('approval-digest:2026-12-05:sha256-')));
      assert.notEqual(digestKeys[0], digestKeys[1], "the admins' digests too: one key per recipient");
      for (const [i, to] of [first, second].entries()) {
        await sendEmail({ idempotencyKey: keys[i], message: { ...sampleMessage('admin_flagged', 'nl'), to } });
        await sendEmail({ idempotencyKey: keys[i], message: { ...sampleMessage('admin_flagged', 'nl'), to } });
      }
      assert.deepEqual(
        resend.requests.map((request) => [request.headers.idempotencyKey, request.body.to]),
        [
          [keys[0], [first]],
          [keys[1], [second]],
        ],
      );
      assert.deepEqual(
        (await outboxRows(keys[0])).map((row) => [row.status, row.to_address]),
        [['sent', first]],
      );
    });

    it('a retry with the same key does not send again', async () => {
      const key = `referral-${unique()}:reward_paid`;
      const first = await sendEmail({ idempotencyKey: key, message: sampleMessage('reward_paid', 'nl') });
      const again = await sendEmail({ idempotencyKey: key, message: sampleMessage('reward_paid', 'nl') });
      assert.equal(resend.requests.length, 1, 'already sent: the provider is not asked again');
      assert.equal(again.alreadySent, true);
      assert.equal(again.providerMessageId, first.providerMessageId);
    });

    it('a retry after a crash between the send and our record reaches Resend with the same key: still one message', async () => {
      const key = `referral-${unique()}:reward_approved`;
      const first = await sendEmail({ idempotencyKey: key, message: sampleMessage('reward_approved', 'nl') });
      // As if the worker died after Resend accepted the message but before the outbox row was updated.
      await outboxRows(key).update({ status: 'queued', provider_message_id: null, sent_at: null });
      const retried = await sendEmail({ idempotencyKey: key, message: sampleMessage('reward_approved', 'nl') });
      assert.equal(resend.requests.length, 2);
      assert.equal(resend.requests[1].headers.idempotencyKey, key);
      assert.equal(resend.delivered.length, 1, 'the provider delivered one message');
      assert.equal(retried.providerMessageId, first.providerMessageId);
    });

    it('a 500 throws a retryable failure and leaves the message queued; the retry sends it once', async () => {
      const key = `referral-${unique()}:referral_expired`;
      resend.failNext('server_error');
      const failure = await failureOf(sendEmail({ idempotencyKey: key, message: sampleMessage('referral_expired', 'nl') }));
      assert.equal(failure.nonRetryable, false);
      assert.equal(failure.type, EMAIL_PROVIDER_ERROR);
      let [row] = await outboxRows(key);
      assert.equal(row.status, 'queued');
      assert.match(row.error ?? '', /internal_server_error \(500\)/);
      assert.equal(resend.delivered.length, 0);

      const result = await sendEmail({ idempotencyKey: key, message: sampleMessage('referral_expired', 'nl') });
      assert.equal(resend.delivered.length, 1);
      assert.deepEqual(
        resend.requests.map((r) => r.headers.idempotencyKey),
        [key, key],
      );
      [row] = await outboxRows(key);
      assert.equal(row.status, 'sent');
      assert.equal(row.attempts, 2);
      assert.equal(row.error, null);
      assert.equal(row.provider_message_id, result.providerMessageId);
    });

    it('a 429 is retryable too', async () => {
      resend.failNext('rate_limit');
      const failure = await failureOf(sendEmail({ idempotencyKey: `digest-${unique()}`, message: sampleMessage('admin_digest', 'nl') }));
      assert.equal(failure.nonRetryable, false);
    });

    it('a 422 for an invalid address is recorded as failed_permanent and thrown non-retryable, and never retried', async () => {
      const key = `referral-${unique()}:admin_flagged`;
      resend.failNext('invalid_to');
      const failure = await failureOf(sendEmail({ idempotencyKey: key, message: sampleMessage('admin_flagged', 'nl') }));
      assert.equal(failure.nonRetryable, true);
      assert.equal(failure.type, EMAIL_PERMANENT_FAILURE);
      assert.match(failure.message, /validation_error/);
      const [row] = await outboxRows(key);
      assert.equal(row.status, 'failed_permanent');
      assert.match(row.error ?? '', /validation_error \(422\): Invalid `to` field/);
      assert.equal(row.sent_at, null);

      const again = await failureOf(sendEmail({ idempotencyKey: key, message: sampleMessage('admin_flagged', 'nl') }));
      assert.equal(again.nonRetryable, true);
      assert.equal(resend.requests.length, 1, 'a permanent failure is not sent again');
    });

    it('EMAIL_TRANSPORT=outbox keeps messages in the outbox even with a RESEND_API_KEY', async () => {
      const config = loadConfig({
        NODE_ENV: 'test',
        FRONTEND_URL,
        EMAIL_TRANSPORT: 'outbox',
        RESEND_API_KEY: resend.apiKey,
        RESEND_BASE_URL: resend.url,
      });
      assert.deepEqual(config.email.transport, { kind: 'outbox' });
      const outboxOnly = createEmailActivities({ db, email: config.email });
      const key = `referral-${unique()}:friend_welcome`;
      const result = await outboxOnly.sendEmail({ idempotencyKey: key, message: sampleMessage('friend_welcome', 'nl') });
      assert.equal(result.provider, 'outbox');
      assert.equal(resend.requests.length, 0);
      const [row] = await outboxRows(key);
      assert.equal(row.status, 'sent');
      assert.equal(row.provider, 'outbox');
    });

    it('EMAIL_TRANSPORT=resend is the same as leaving it unset with a RESEND_API_KEY', async () => {
      const explicit = loadConfig({
        NODE_ENV: 'test',
        EMAIL_TRANSPORT: 'resend',
        RESEND_API_KEY: resend.apiKey,
        RESEND_BASE_URL: resend.url,
      });
      const implicit = loadConfig({ NODE_ENV: 'test', RESEND_API_KEY: resend.apiKey, RESEND_BASE_URL: resend.url });
      assert.deepEqual(explicit.email.transport, implicit.email.transport);
    });
  });
});

describe("a provider's answer in time", () => {
  it('passes an answer that comes in time and fails one that does not come, within the limit (the attempt is retried)', async () => {
    assert.equal(await answerInTime(Promise.resolve('re_123'), 50), 're_123');
    const started = Date.now();
    await assert.rejects(answerInTime(new Promise(() => {}), 50), (error) => error instanceof ProviderTimeout);
    assert.ok(Date.now() - started < 1_000, 'a provider that never answers does not hold the attempt');
    assert.ok(PROVIDER_ANSWER_MS < 30_000, "well inside sendEmail's 30 s start-to-close timeout");
  });
});
