import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { storeBookingEvent } from '../db/repositories/lifecycle.js';
import {
  assertError,
  bearer,
  bookingBody,
  detailFields,
  freshFriend,
  getReferralJson,
  sendBookingWebhook,
  submitReferral,
} from './support/http.js';
import { adminToken, createCustomer, eventually, signedWebhook, startTestSystem, type TestSystem } from './support/system.js';

const OTHER_SECRET = `whsec_${Buffer.from('a-secret-the-booking-system-does-not-have').toString('base64')}`;

describe('booking webhooks (Standard Webhooks)', () => {
  let system: TestSystem;
  let token: string;
  before(async () => {
    system = await startTestSystem();
    token = await adminToken(system.app);
  });
  after(() => system.close());

  const post = (headers: Record<string, string>, payload: string) =>
    system.app.inject({ method: 'POST', url: '/api/webhooks/bookings', headers, payload });
  const inboxRows = (webhookId: string) => system.db('booking_webhook_inbox').where({ webhook_id: webhookId });
  const statusOf = async (id: string) =>
    (await system.db('referrals').select('status').where({ id }).first())?.status as string | undefined;
  const reachStatus = (id: string, status: string) => eventually(async () => (await statusOf(id)) === status);

  /** A referrer and a submitted referral, waiting for its booking. */
  async function awaitingReferral(options: { withReference?: boolean } = {}) {
    const referrer = await createCustomer(system.app, token);
    const friend = freshFriend();
    const res = await submitReferral(system.app, {
      referrer_code: referrer.referral_code,
      new_customer_email: friend.email,
      ...(options.withReference !== false && { booking_reference: friend.bookingReference }),
    });
    assert.equal(res.statusCode, 201, res.body);
    const id = res.json().id as string;
    await reachStatus(id, 'awaiting_booking');
    return { id, referrer, ...friend };
  }

  describe('signature checks: each refusal is a 401 that says why, and nothing is stored', () => {
    const body = () =>
      bookingBody('booking.confirmed', { booking_reference: freshFriend().bookingReference, customer_email: freshFriend().email });

    it('refuses a signature made with another secret', async () => {
      const webhook = signedWebhook(OTHER_SECRET, body());
      assertError(await post(webhook.headers, webhook.payload), 401, 'invalid_signature', /signature/i);
      assert.equal((await inboxRows(webhook.headers['webhook-id'])).length, 0);
    });

    it('refuses a malformed signature header', async () => {
      const webhook = signedWebhook(system.config.webhooks.bookingSecret, body());
      for (const signature of ['v1,bm90LWEtc2lnbmF0dXJl', 'garbage', 'v2,' + webhook.headers['webhook-signature'].slice(3)]) {
        assertError(
          await post({ ...webhook.headers, 'webhook-signature': signature }, webhook.payload),
          401,
          'invalid_signature',
          /signature/i,
        );
      }
      assert.equal((await inboxRows(webhook.headers['webhook-id'])).length, 0);
    });

    it('refuses a stale timestamp (more than 5 minutes old)', async () => {
      const webhook = signedWebhook(system.config.webhooks.bookingSecret, body(), { timestamp: new Date(Date.now() - 6 * 60_000) });
      assertError(await post(webhook.headers, webhook.payload), 401, 'invalid_signature', /too old/);
      assert.equal((await inboxRows(webhook.headers['webhook-id'])).length, 0);
    });

    it('accepts a timestamp within the 5 minutes tolerance', async () => {
      const webhook = signedWebhook(system.config.webhooks.bookingSecret, body(), { timestamp: new Date(Date.now() - 4 * 60_000) });
      const res = await post(webhook.headers, webhook.payload);
      assert.equal(res.statusCode, 202, res.body);
      assert.equal((await inboxRows(webhook.headers['webhook-id'])).length, 1);
    });

    it('refuses a timestamp that is not a number of seconds', async () => {
      const webhook = signedWebhook(system.config.webhooks.bookingSecret, body());
      assertError(
        await post({ ...webhook.headers, 'webhook-timestamp': 'yesterday' }, webhook.payload),
        401,
        'invalid_signature',
        /Invalid Signature Headers/,
      );
      assertError(
        await post({ ...webhook.headers, 'webhook-timestamp': String(Date.now()) }, webhook.payload),
        401,
        'invalid_signature',
        /too new/,
      );
    });

    it('refuses a timestamp in the future', async () => {
      const webhook = signedWebhook(system.config.webhooks.bookingSecret, body(), { timestamp: new Date(Date.now() + 6 * 60_000) });
      assertError(await post(webhook.headers, webhook.payload), 401, 'invalid_signature', /too new/);
      assert.equal((await inboxRows(webhook.headers['webhook-id'])).length, 0);
    });

    it('refuses a body other than the one signed', async () => {
      const signed = body();
      const webhook = signedWebhook(system.config.webhooks.bookingSecret, signed);
      const tampered = JSON.stringify({ ...signed, type: 'booking.cancelled' });
      assertError(await post(webhook.headers, tampered), 401, 'invalid_signature', /signature/i);
      // Even a change that keeps the JSON equal (whitespace) breaks the signature over the raw body.
      assertError(await post(webhook.headers, JSON.stringify(signed, null, 2)), 401, 'invalid_signature');
      assert.equal((await inboxRows(webhook.headers['webhook-id'])).length, 0);
    });

    it('refuses a signature replayed under another webhook id', async () => {
      const webhook = signedWebhook(system.config.webhooks.bookingSecret, body());
      assertError(await post({ ...webhook.headers, 'webhook-id': `msg_${randomUUID()}` }, webhook.payload), 401, 'invalid_signature');
    });

    it('refuses a request without each of the three headers', async () => {
      for (const header of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
        const webhook = signedWebhook(system.config.webhooks.bookingSecret, body());
        const headers: Record<string, string> = { ...webhook.headers };
        delete headers[header];
        assertError(await post(headers, webhook.payload), 401, 'invalid_signature', /header/i);
        assert.equal((await inboxRows(webhook.headers['webhook-id'])).length, 0, header);
      }
      assertError(await post({ 'content-type': 'application/json' }, JSON.stringify(body())), 401, 'invalid_signature', /header/i);
    });

    it('refuses an unsigned request whatever its content type, and one without a body', async () => {
      const payload = JSON.stringify(body());
      for (const contentType of [
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
      ]) {
        assertError(await post({ 'content-type': contentType }, payload), 401, 'invalid_signature', /Missing required headers/);
      }
      assertError(
        await system.app.inject({ method: 'POST', url: '/api/webhooks/bookings' }),
        401,
        'invalid_signature',
        /Missing required headers/,
      );
    });

    it('answers 415 for a validly signed body that is not sent as JSON', async () => {
      const webhook = signedWebhook(system.config.webhooks.bookingSecret, body());
      assertError(await post({ ...webhook.headers, 'content-type': 'text/plain' }, webhook.payload), 415, 'unsupported_media_type');
      assert.equal((await inboxRows(webhook.headers['webhook-id'])).length, 0);
    });
  });

  describe('validly signed bodies that are not a booking event', () => {
    it('answers 400 naming the problem, and stores nothing', async () => {
      const friend = freshFriend();
      const cases: [unknown, RegExp, string[]][] = [
        [
          { type: 'booking.moved', data: { booking_reference: friend.bookingReference } },
          /type must be one of: "booking.confirmed", "booking.cancelled"/,
          ['type'],
        ],
        [{ type: 'booking.confirmed', data: {} }, /data\.booking_reference is required/, ['data.booking_reference']],
        [{ type: 'booking.confirmed' }, /data is required/, ['data']],
        [
          { type: 'booking.confirmed', data: { booking_reference: friend.bookingReference, departure_date: 'next week' } },
          /departure_date/,
          ['data.departure_date'],
        ],
        [
          { type: 'booking.confirmed', data: { booking_reference: friend.bookingReference, booking_value: -5 } },
          /booking_value/,
          ['data.booking_value'],
        ],
        // More than the read model's integer cents hold: accepted, it would fail the workflow's write forever.
        [
          { type: 'booking.confirmed', data: { booking_reference: friend.bookingReference, booking_value: 1e12 } },
          /booking_value must be <= 10000000/,
          ['data.booking_value'],
        ],
        [{ type: 'booking.confirmed', data: { booking_reference: 'x'.repeat(65) } }, /booking_reference/, ['data.booking_reference']],
      ];
      for (const [payload, message, fields] of cases) {
        const webhook = signedWebhook(system.config.webhooks.bookingSecret, payload);
        const error = assertError(await post(webhook.headers, webhook.payload), 400, 'validation_error', message);
        assert.deepEqual(detailFields(error), fields, JSON.stringify(payload));
        assert.equal((await inboxRows(webhook.headers['webhook-id'])).length, 0);
      }
    });

    it('answers 400 invalid_json for a signed body that is not JSON', async () => {
      const id = `msg_${randomUUID()}`;
      const timestamp = new Date();
      const payload = '{"type": "booking.confirmed",';
      const signature = new Webhook(system.config.webhooks.bookingSecret).sign(id, timestamp, payload);
      const res = await post(
        {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        payload,
      );
      assertError(res, 400, 'invalid_json');
      assert.equal((await inboxRows(id)).length, 0);
    });
  });

  describe('deduplication on webhook-id', () => {
    it('applies the same webhook sent 3 times concurrently exactly once', async () => {
      const referral = await awaitingReferral();
      const webhook = signedWebhook(
        system.config.webhooks.bookingSecret,
        bookingBody('booking.confirmed', {
          booking_reference: referral.bookingReference,
          customer_email: referral.email,
          booking_value: 1450.25,
        }),
      );
      const replies = await Promise.all([1, 2, 3].map(() => post(webhook.headers, webhook.payload)));
      for (const reply of replies) assert.equal(reply.statusCode, 200, reply.body);
      const outcomes = replies.map((r) => r.json().outcome).sort();
      assert.deepEqual(outcomes, ['applied', 'duplicate', 'duplicate']);
      assert.deepEqual(
        replies.map((r) => r.json()).find((b) => b.outcome === 'applied'),
        { outcome: 'applied', referral_id: referral.id },
      );

      await reachStatus(referral.id, 'pending_approval');
      const rows = await inboxRows(webhook.headers['webhook-id']);
      assert.equal(rows.length, 1);
      assert.equal(String(rows[0].referral_id), referral.id);
      assert.ok(rows[0].applied_at);

      // A fourth, later delivery (a retry by the booking system) is a duplicate too.
      const again = await post(webhook.headers, webhook.payload);
      assert.equal(again.statusCode, 200);
      assert.deepEqual(again.json(), { outcome: 'duplicate' });

      const detail = await getReferralJson(system.app, token, referral.id);
      assert.equal(detail.booking_value, 1450.25);
      assert.deepEqual(detail.audit_log.filter((a: { action: string }) => a.action === 'referral.pending_approval').length, 1);
      assert.deepEqual(
        detail.workflow.live.history.map((t: { to: string }) => t.to),
        ['submitted', 'awaiting_booking', 'pending_approval'],
      );
    });
  });

  describe('a delivery retried after a failed attempt', () => {
    it('is applied, not answered as a duplicate, when the first attempt stored it but never signalled', async () => {
      const referral = await awaitingReferral();
      const body = bookingBody('booking.confirmed', { booking_reference: referral.bookingReference, customer_email: referral.email });
      const webhook = signedWebhook(system.config.webhooks.bookingSecret, body);
      // The first attempt got as far as the inbox, then the API process died (or Temporal did
      // not answer) before the signal: the booking system saw no 2xx and retries.
      await storeBookingEvent(system.db, {
        webhookId: webhook.headers['webhook-id'],
        type: 'booking.confirmed',
        bookingReference: referral.bookingReference,
        customerEmail: referral.email,
        payload: body,
      });

      const retry = await post(webhook.headers, webhook.payload);
      assert.equal(retry.statusCode, 200, retry.body);
      assert.deepEqual(retry.json(), { outcome: 'applied', referral_id: referral.id });
      await reachStatus(referral.id, 'pending_approval');
      const rows = await inboxRows(webhook.headers['webhook-id']);
      assert.equal(rows.length, 1);
      assert.ok(rows[0].applied_at);

      const again = await post(webhook.headers, webhook.payload);
      assert.deepEqual(again.json(), { outcome: 'duplicate' });
    });
  });

  describe('an event that arrives before its referral', () => {
    it('is kept (202) and applied when the referral with that booking reference is submitted', async () => {
      const referrer = await createCustomer(system.app, token);
      const friend = freshFriend();
      const early = await sendBookingWebhook(
        system,
        bookingBody('booking.confirmed', { booking_reference: friend.bookingReference, booking_value: 999, departure_date: '2020-03-01' }),
      );
      assert.equal(early.statusCode, 202, early.body);
      assert.equal(early.json().outcome, 'pending');
      assert.match(early.json().message, /No referral matches/);
      const [stored] = await system.db('booking_webhook_inbox').where({ booking_reference: friend.bookingReference });
      assert.equal(stored.applied_at, null);

      const res = await submitReferral(system.app, {
        referrer_code: referrer.referral_code,
        new_customer_email: friend.email,
        booking_reference: friend.bookingReference,
      });
      assert.equal(res.statusCode, 201, res.body);
      const id = res.json().id as string;
      await reachStatus(id, 'pending_approval');

      const detail = await getReferralJson(system.app, token, id);
      assert.equal(detail.booking_value, 999);
      assert.equal(detail.departure_date, '2020-03-01');
      const [applied] = await system.db('booking_webhook_inbox').where({ id: stored.id });
      assert.equal(String(applied.referral_id), id);
      assert.ok(applied.applied_at, 'the inbox row is marked applied');
    });

    it("is matched by the friend's email when the referral has no booking reference", async () => {
      const referrer = await createCustomer(system.app, token);
      const friend = freshFriend();
      const early = await sendBookingWebhook(
        system,
        bookingBody('booking.confirmed', {
          booking_reference: friend.bookingReference,
          customer_email: `  ${friend.email.toUpperCase()} `,
        }),
      );
      assert.equal(early.statusCode, 202, early.body);

      const res = await submitReferral(system.app, { referrer_code: referrer.referral_code, new_customer_email: friend.email });
      assert.equal(res.statusCode, 201, res.body);
      const id = res.json().id as string;
      assert.equal(res.json().booking_reference, null);
      await reachStatus(id, 'pending_approval');

      const detail = await getReferralJson(system.app, token, id);
      assert.equal(detail.booking_reference, friend.bookingReference, 'the booking reference is taken from the booking event');
      const [row] = await system.db('booking_webhook_inbox').where({ booking_reference: friend.bookingReference });
      assert.equal(String(row.referral_id), id);
      assert.ok(row.applied_at);
    });

    it('is applied when it arrives after the referral, matched by email alone', async () => {
      const referral = await awaitingReferral({ withReference: false });
      const reference = freshFriend().bookingReference;
      const res = await sendBookingWebhook(
        system,
        bookingBody('booking.confirmed', { booking_reference: reference, customer_email: referral.email }),
      );
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { outcome: 'applied', referral_id: referral.id });
      await reachStatus(referral.id, 'pending_approval');
      assert.equal((await getReferralJson(system.app, token, referral.id)).booking_reference, reference);
    });
  });

  describe('booking.cancelled', () => {
    it('revokes a referral that is pending approval', async () => {
      const referral = await awaitingReferral();
      const confirmed = await sendBookingWebhook(
        system,
        bookingBody('booking.confirmed', { booking_reference: referral.bookingReference, customer_email: referral.email }),
      );
      assert.equal(confirmed.statusCode, 200, confirmed.body);
      await reachStatus(referral.id, 'pending_approval');

      const cancelled = await sendBookingWebhook(
        system,
        bookingBody('booking.cancelled', { booking_reference: referral.bookingReference }),
      );
      assert.equal(cancelled.statusCode, 200, cancelled.body);
      assert.deepEqual(cancelled.json(), { outcome: 'applied', referral_id: referral.id });
      await reachStatus(referral.id, 'revoked');

      const detail = await getReferralJson(system.app, token, referral.id);
      assert.ok(detail.revoked_at);
      assert.equal(detail.reward, null);
      assert.deepEqual(
        detail.audit_log.map((a: { action: string }) => a.action),
        ['referral.awaiting_booking', 'referral.pending_approval', 'referral.revoked'],
      );

      const approve = await system.app.inject({
        method: 'PUT',
        url: `/api/referrals/${referral.id}/status`,
        headers: bearer(token),
        payload: { status: 'approved' },
      });
      assertError(approve, 409, 'invalid_transition', /already revoked/);
      assert.equal((await system.db('rewards').where({ referral_id: referral.id })).length, 0);
    });
  });
});
