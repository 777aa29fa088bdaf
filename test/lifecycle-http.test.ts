import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, createCustomer, eventually, signedWebhook, startTestSystem, unique, type TestSystem } from './support/system.js';
import { referralRowWorkflowId } from './support/workflows.js';

describe('a referral from submission to paid, through the HTTP API with a real worker', () => {
  let system: TestSystem;
  let token: string;
  before(async () => {
    system = await startTestSystem({ REWARD_HOLD_DAYS: '0', DEFAULT_REWARD_AMOUNT: '25' });
    token = await adminToken(system.app);
  });
  after(() => system.close());

  const auth = () => ({ authorization: `Bearer ${token}` });
  const getReferral = async (id: string) =>
    (await system.app.inject({ method: 'GET', url: `/api/referrals/${id}`, headers: auth() })).json();

  it('submits, confirms the booking by webhook, approves, holds and pays exactly one reward', async () => {
    const referrer = await createCustomer(system.app, token);
    const friend = `${unique('friend')}@example.nl`;
    const bookingReference = unique('BK');

    const submitted = await system.app.inject({
      method: 'POST',
      url: '/api/referrals',
      payload: { referrer_code: referrer.referral_code, new_customer_email: friend, booking_reference: bookingReference, locale: 'en' },
    });
    assert.equal(submitted.statusCode, 201, submitted.body);
    const { id } = submitted.json();

    await eventually(async () => (await getReferral(id)).status === 'awaiting_booking');

    const webhook = signedWebhook(system.config.webhooks.bookingSecret, {
      type: 'booking.confirmed',
      data: {
        booking_reference: bookingReference,
        customer_email: friend,
        booking_value: 1299.5,
        currency: 'EUR',
        departure_date: '2020-06-01',
      },
    });
    const confirmed = await system.app.inject({
      method: 'POST',
      url: '/api/webhooks/bookings',
      headers: webhook.headers,
      payload: webhook.payload,
    });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    assert.deepEqual(confirmed.json(), { outcome: 'applied', referral_id: id });

    await eventually(async () => (await getReferral(id)).status === 'pending_approval');

    const approved = await system.app.inject({
      method: 'PUT',
      url: `/api/referrals/${id}/status`,
      headers: auth(),
      payload: { status: 'approved' },
    });
    assert.equal(approved.statusCode, 200, approved.body);
    assert.deepEqual(approved.json(), { id, status: 'approved', actor: 'admin:admin' });

    const paid = await eventually(async () => {
      const r = await getReferral(id);
      return r.status === 'paid' && r;
    });
    assert.equal(paid.booking_value, 1299.5);
    assert.equal(paid.approved_by, 'admin:admin');
    assert.equal(paid.reward.amount, 25);
    assert.match(paid.reward.voucher_code, /^BEBSY-[A-Z2-9]{8}$/);
    assert.equal(paid.workflow.live.status, 'paid');
    assert.deepEqual(
      paid.workflow.live.history.map((t: { to: string }) => t.to),
      ['submitted', 'awaiting_booking', 'pending_approval', 'approved', 'paid'],
    );
    assert.match(paid.workflow.url, new RegExp(`/namespaces/default/workflows/referral-${id}-[a-z2-9]{8}$`));
    assert.deepEqual(
      paid.audit_log.map((a: { action: string }) => a.action),
      ['referral.awaiting_booking', 'referral.pending_approval', 'referral.approved', 'referral.paid'],
    );

    const [{ count }] = await system.db('rewards').where({ referral_id: id }).count({ count: '*' });
    assert.equal(Number(count), 1);

    // Each moment announced once, in the recipient's language (the friend's from the form, the
    // referrer's from their customer record), through the outbox (no RESEND_API_KEY).
    // Keyed by the row's workflow id, not the referral's number: after a restore from a backup a
    // new referral takes a lost one's number, and its emails must not repeat the lost one's keys.
    const workflowId = await referralRowWorkflowId(system.db, id);
    assert.equal(paid.workflow.id, workflowId);
    const emails = await eventually(async () => {
      const rows = await system.db('email_outbox').where('idempotency_key', 'like', `${workflowId}:%`).orderBy('kind');
      // stored first, then marked sent: wait for the last one's delivery too
      return rows.length === 4 && rows.every((row: { status: string }) => row.status !== 'queued') && rows;
    });
    assert.deepEqual(
      emails.map((e: { kind: string; to_address: string; status: string; locale: string }) => [e.kind, e.to_address, e.status, e.locale]),
      [
        ['friend_booked', referrer.email, 'sent', 'nl'],
        ['friend_welcome', friend, 'sent', 'en'],
        ['reward_approved', referrer.email, 'sent', 'nl'],
        ['reward_paid', referrer.email, 'sent', 'nl'],
      ],
    );
    assert.deepEqual(
      emails.map((e: { idempotency_key: string }) => e.idempotency_key),
      emails.map((e: { kind: string; to_address: string }) => `${workflowId}:${e.kind}:${e.to_address}`),
      'each key is <workflow id>:<notification>:<recipient>',
    );
    assert.deepEqual(
      await system.db('email_outbox').where('idempotency_key', 'like', `referral-${id}:%`),
      [],
      'no key of the referral number alone',
    );
    assert.ok(emails[3].text.includes(paid.reward.voucher_code), 'the paid email carries the voucher code');
    assert.match(emails[3].text, /€ 25,00/);
  });
});
