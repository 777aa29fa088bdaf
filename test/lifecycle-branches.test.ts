import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, createCustomer, eventually, signedWebhook, startTestSystem, unique, type TestSystem } from './support/system.js';

/** Every non-timer branch of the lifecycle, through the HTTP API with a real worker. */
describe('referral lifecycle branches', () => {
  let system: TestSystem;
  let autoApproving: TestSystem;
  let token: string;
  before(async () => {
    system = await startTestSystem({ MAX_REFERRALS_PER_CUSTOMER: '2', REWARD_HOLD_DAYS: '0' });
    autoApproving = await startTestSystem({
      AUTO_APPROVE_REFERRALS: 'true',
      REWARD_HOLD_DAYS: '0',
      ADMIN_NOTIFICATION_EMAILS: 'fraude@bebsy.example, ops@bebsy.example',
    });
    token = await adminToken(system.app);
  });
  after(async () => {
    await system.close();
    await autoApproving.close();
  });

  async function submit(on: TestSystem, referrerCode: string, email: string, booking_reference?: string) {
    const res = await on.app.inject({
      method: 'POST',
      url: '/api/referrals',
      payload: { referrer_code: referrerCode, new_customer_email: email, booking_reference },
    });
    assert.ok(res.statusCode === 201 || res.statusCode === 200, res.body);
    return res.json().id as string;
  }
  const row = (on: TestSystem, id: string) => on.db('referrals').where({ id }).first();
  const settled = (on: TestSystem, id: string, status: string) =>
    eventually(async () => {
      const r = await row(on, id);
      return r.status === status && r;
    });
  async function confirmBooking(on: TestSystem, reference: string, email: string) {
    const hook = signedWebhook(on.config.webhooks.bookingSecret, {
      type: 'booking.confirmed',
      data: { booking_reference: reference, customer_email: email, booking_value: 500, currency: 'EUR' },
    });
    const res = await on.app.inject({ method: 'POST', url: '/api/webhooks/bookings', headers: hook.headers, payload: hook.payload });
    assert.equal(res.statusCode, 200, res.body);
  }

  it('rejects a self-referral', async () => {
    const referrer = await createCustomer(system.app, token);
    const id = await submit(system, referrer.referral_code, referrer.email.toUpperCase());
    const r = await settled(system, id, 'rejected');
    assert.equal(r.rejection_reason, 'self_referral');
    assert.equal(r.rejected_by, 'system:rules');
  });

  it('rejects a friend who is already a customer', async () => {
    const referrer = await createCustomer(system.app, token);
    const existing = await createCustomer(system.app, token);
    const id = await submit(system, referrer.referral_code, existing.email);
    assert.equal((await settled(system, id, 'rejected')).rejection_reason, 'already_customer');
  });

  it('keeps a friend with the first referrer: a second referrer is rejected', async () => {
    const first = await createCustomer(system.app, token);
    const second = await createCustomer(system.app, token);
    const friend = `${unique('f')}@example.nl`;
    const firstId = await submit(system, first.referral_code, friend);
    await settled(system, firstId, 'awaiting_booking');
    const secondId = await submit(system, second.referral_code, friend);
    assert.equal((await settled(system, secondId, 'rejected')).rejection_reason, 'already_referred');
    assert.equal((await row(system, firstId)).status, 'awaiting_booking');
  });

  it('rejects referrals beyond MAX_REFERRALS_PER_CUSTOMER', async () => {
    const referrer = await createCustomer(system.app, token);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(await submit(system, referrer.referral_code, `${unique('f')}@example.nl`));
      await eventually(async () => (await row(system, ids[i])).status !== 'submitted');
    }
    assert.equal((await row(system, ids[0])).status, 'awaiting_booking');
    assert.equal((await row(system, ids[1])).status, 'awaiting_booking');
    assert.equal((await row(system, ids[2])).rejection_reason, 'referral_limit_reached');
  });

  it('lets an admin reject a referral waiting for approval, with the reason recorded', async () => {
    const referrer = await createCustomer(system.app, token);
    const friend = `${unique('f')}@example.nl`;
    const reference = unique('BK');
    const id = await submit(system, referrer.referral_code, friend, reference);
    await settled(system, id, 'awaiting_booking');
    await confirmBooking(system, reference, friend);
    await settled(system, id, 'pending_approval');
    const res = await system.app.inject({
      method: 'PUT',
      url: `/api/referrals/${id}/status`,
      headers: { authorization: `Bearer ${token}` },
      payload: { status: 'rejected', reason: 'Boeking via een partner' },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'rejected');
    const r = await row(system, id);
    assert.equal(r.status, 'rejected');
    assert.equal(r.rejection_reason, 'Boeking via een partner');
    assert.equal(r.rejected_by, 'admin:admin');
  });

  it('auto-approves a clean referral and pays it without a human', async () => {
    const autoToken = await adminToken(autoApproving.app);
    const referrer = await createCustomer(autoApproving.app, autoToken);
    const friend = `${unique('f')}@example.nl`;
    const reference = unique('BK');
    const id = await submit(autoApproving, referrer.referral_code, friend, reference);
    await settled(autoApproving, id, 'awaiting_booking');
    await confirmBooking(autoApproving, reference, friend);
    const paid = await settled(autoApproving, id, 'paid');
    assert.equal(paid.approved_by, 'system:auto-approve');
  });

  it('flags a suspicious referral and never auto-approves it', async () => {
    const autoToken = await adminToken(autoApproving.app);
    const local = unique('jan');
    const referrer = await createCustomer(autoApproving.app, autoToken, { email: `${local}@gmail.com` });
    const friend = `${local}+vriend@gmail.com`; // the referrer's own mailbox
    const reference = unique('BK');
    const id = await submit(autoApproving, referrer.referral_code, friend, reference);
    const waiting = await settled(autoApproving, id, 'awaiting_booking');
    assert.equal(waiting.flagged, true);
    assert.deepEqual(waiting.flag_reasons, ['similar_to_referrer_email']);
    const alerts = await eventually(async () => {
      const rows = await autoApproving
        .db('email_outbox')
        .where('idempotency_key', 'like', `referral-${id}:admin_flagged:%`)
        .orderBy('to_address');
      return rows.length === 2 && rows;
    });
    assert.deepEqual(
      alerts.map((a: { to_address: string }) => a.to_address),
      ['fraude@bebsy.example', 'ops@bebsy.example'],
    );
    assert.ok(alerts[0].text.includes(`/referrals/${id}`), 'the alert links to the referral');
    await confirmBooking(autoApproving, reference, friend);
    await settled(autoApproving, id, 'pending_approval');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await row(autoApproving, id)).status, 'pending_approval');
    const flaggedList = await autoApproving.app.inject({
      method: 'GET',
      url: '/api/referrals?flagged=true&status=pending_approval&limit=100',
      headers: { authorization: `Bearer ${autoToken}` },
    });
    assert.ok(flaggedList.json().data.some((r: { id: string }) => r.id === id));
  });

  it('lets an admin reject a referral still waiting for its booking, but not approve it', async () => {
    const referrer = await createCustomer(system.app, token);
    const id = await submit(system, referrer.referral_code, `${unique('f')}@example.nl`);
    await settled(system, id, 'awaiting_booking');
    const approve = await system.app.inject({
      method: 'PUT',
      url: `/api/referrals/${id}/status`,
      headers: { authorization: `Bearer ${token}` },
      payload: { status: 'approved' },
    });
    assert.equal(approve.statusCode, 409);
    assert.match(approve.json().message, /before its booking is confirmed/);
    const reject = await system.app.inject({
      method: 'PUT',
      url: `/api/referrals/${id}/status`,
      headers: { authorization: `Bearer ${token}` },
      payload: { status: 'rejected', reason: 'dubbele aanmelding' },
    });
    assert.equal(reject.statusCode, 200, reject.body);
    assert.equal((await row(system, id)).status, 'rejected');
  });
});
