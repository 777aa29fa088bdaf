import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { referralStateQuery } from '../workflows/definitions.js';
import { assertError } from './support/http.js';
import { Gates } from './support/gates.js';
import { adminToken, createCustomer, eventually, signedWebhook, startTestSystem, unique, type TestSystem } from './support/system.js';
import { referralRowWorkflowId, referralWorkflow, scheduledActivities } from './support/workflows.js';

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
    assert.equal(res.statusCode, 201, res.body); // a new referral each time: 200 would be a repeated submission
    return res.json().id as string;
  }
  const row = (on: TestSystem, id: string) => on.db('referrals').where({ id }).first();
  const settled = (on: TestSystem, id: string, status: string) =>
    eventually(async () => {
      const r = await row(on, id);
      return r.status === status && r;
    });
  /** A signed booking event; the referral's workflow got it (200 applied). */
  async function bookingEvent(on: TestSystem, type: 'booking.confirmed' | 'booking.cancelled', reference: string, email: string) {
    const hook = signedWebhook(on.config.webhooks.bookingSecret, {
      type,
      data: { booking_reference: reference, customer_email: email, booking_value: 500, currency: 'EUR' },
    });
    const res = await on.app.inject({ method: 'POST', url: '/api/webhooks/bookings', headers: hook.headers, payload: hook.payload });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().outcome, 'applied', res.body);
  }
  const confirmBooking = (on: TestSystem, reference: string, email: string) => bookingEvent(on, 'booking.confirmed', reference, email);
  const review = (on: TestSystem, as: string, id: string, status: 'approved' | 'rejected', reason?: string) =>
    on.app.inject({
      method: 'PUT',
      url: `/api/referrals/${id}/status`,
      headers: { authorization: `Bearer ${as}` },
      payload: { status, ...(reason && { reason }) },
    });
  /** Waits until the workflow itself (not only the read model) is at `status`: the step that got it there is done. */
  const workflowAt = (on: TestSystem, id: string, status: string) =>
    eventually(async () => (await (await referralWorkflow(on, id)).query(referralStateQuery)).status === status);

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
    const workflowId = await referralRowWorkflowId(autoApproving.db, id);
    const alerts = await eventually(async () => {
      const rows = await autoApproving
        .db('email_outbox')
        .where('idempotency_key', 'like', `${workflowId}:admin_flagged:%`)
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
    // Once the workflow itself answers pending_approval, the step that got it there is in the
    // history, and an auto-approval would have scheduled the next transition in that same step.
    const handle = await referralWorkflow(autoApproving, id);
    await eventually(async () => (await handle.query(referralStateQuery)).status === 'pending_approval');
    assert.deepEqual(
      (await scheduledActivities(handle)).filter((a) => a === 'recordTransition'),
      ['recordTransition', 'recordTransition'],
      'awaiting_booking and pending_approval recorded, no approval after them',
    );
    assert.equal((await row(autoApproving, id)).status, 'pending_approval');
    const flaggedList = await autoApproving.app.inject({
      method: 'GET',
      url: '/api/referrals?flagged=true&status=pending_approval&limit=100',
      headers: { authorization: `Bearer ${autoToken}` },
    });
    assert.ok(flaggedList.json().data.some((r: { id: string }) => r.id === id));
    // The decision is still open, and an admin's to take.
    const approved = await review(autoApproving, autoToken, id, 'approved');
    assert.equal(approved.statusCode, 200, approved.body);
    assert.deepEqual(approved.json(), { id, status: 'approved', actor: 'admin:admin' });
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

  it('keeps a cancellation that arrives before its confirmation (out of order): once confirmed, the booking is revoked, no reward', async () => {
    const referrer = await createCustomer(system.app, token);
    const friend = `${unique('f')}@example.nl`;
    const reference = unique('BK');
    const id = await submit(system, referrer.referral_code, friend, reference);
    await settled(system, id, 'awaiting_booking');
    await bookingEvent(system, 'booking.cancelled', reference, friend); // delivered before the confirmation it cancels
    await workflowAt(system, id, 'awaiting_booking');
    await confirmBooking(system, reference, friend);
    await settled(system, id, 'revoked');
    assert.equal(await system.db('rewards').where({ referral_id: id }).first(), undefined, 'a cancelled booking pays nothing');
  });

  it('does not let a cancellation of another booking cancel the one confirmed later', async () => {
    const referrer = await createCustomer(system.app, token);
    const friend = `${unique('f')}@example.nl`;
    const reference = unique('BK');
    const id = await submit(system, referrer.referral_code, friend, reference);
    await settled(system, id, 'awaiting_booking');
    await bookingEvent(system, 'booking.cancelled', unique('BK-OTHER'), friend); // the friend's earlier, other booking
    await confirmBooking(system, reference, friend);
    await settled(system, id, 'pending_approval');
    await workflowAt(system, id, 'pending_approval');
    const approved = await review(system, token, id, 'approved');
    assert.equal(approved.statusCode, 200, approved.body);
    await settled(system, id, 'paid');
  });

  /** A worker whose rule check and revocation wait at gates the tests open: the moments a review can race the workflow. */
  describe('reviews that race the workflow', () => {
    let gated: TestSystem;
    let gatedToken: string;
    const gates = new Gates();
    before(async () => {
      gated = await startTestSystem(
        { REWARD_HOLD_DAYS: '0' },
        {
          activities: (real) => ({
            async checkReferralRules(input) {
              await gates.pass(`rules:${input.referralId}`);
              return real.checkReferralRules(input);
            },
            async recordTransition(record) {
              if (record.to === 'revoked') await gates.pass(`revoke:${record.referralId}`);
              return real.recordTransition(record);
            },
          }),
        },
      );
      gatedToken = await adminToken(gated.app);
    });
    after(async () => {
      gates.releaseAll();
      await gated.close();
    });

    it('answers 409 to a review while the rules are still being checked (submitted), and takes no decision', async () => {
      const referrer = await createCustomer(gated.app, gatedToken);
      const id = await submit(gated, referrer.referral_code, `${unique('f')}@example.nl`, unique('BK'));
      await gates.arrived(`rules:${id}`);
      assert.equal((await row(gated, id)).status, 'submitted');
      assertError(await review(gated, gatedToken, id, 'approved'), 409, 'invalid_transition', /still being checked/);
      assertError(await review(gated, gatedToken, id, 'rejected', 'te vroeg'), 409, 'invalid_transition', /still being checked/);
      gates.release(`rules:${id}`);
      const waiting = await settled(gated, id, 'awaiting_booking');
      assert.equal(waiting.rejected_by, null, 'the refused rejection left nothing behind');
      assert.deepEqual(await gated.db('audit_log').where({ entity_type: 'referral', entity_id: id }).pluck('action'), [
        'referral.awaiting_booking',
      ]);
    });

    it('answers 409 to an approval that loses the race with a cancellation (ReviewConflict): the referral is revoked, no reward', async () => {
      const referrer = await createCustomer(gated.app, gatedToken);
      const friend = `${unique('f')}@example.nl`;
      const reference = unique('BK');
      const id = await submit(gated, referrer.referral_code, friend, reference);
      gates.release(`rules:${id}`);
      await settled(gated, id, 'awaiting_booking');
      await confirmBooking(gated, reference, friend);
      await workflowAt(gated, id, 'pending_approval');

      // The cancellation decides first: the workflow is recording the revocation (held), still pending_approval.
      await bookingEvent(gated, 'booking.cancelled', reference, friend);
      await gates.arrived(`revoke:${id}`);
      const handle = await referralWorkflow(gated, id);
      // The approval passes the validator meanwhile (the status still allows it) and waits for the outcome.
      const approval = review(gated, gatedToken, id, 'approved');
      await eventually(async () =>
        ((await handle.fetchHistory()).events ?? []).some((e) => e.workflowExecutionUpdateAcceptedEventAttributes),
      );
      gates.release(`revoke:${id}`);

      assertError(await approval, 409, 'invalid_transition', /became revoked before it could be approved/);
      const revoked = await settled(gated, id, 'revoked');
      assert.equal(revoked.approved_by, null);
      assert.equal(await gated.db('rewards').where({ referral_id: id }).first(), undefined);
      assert.equal((await handle.result()).status, 'revoked');
    });
  });

  describe('REQUIRE_BOOKING_REFERENCE=true', () => {
    let strictApi: TestSystem;
    let strictWorker: TestSystem;
    before(async () => {
      strictApi = await startTestSystem({ REQUIRE_BOOKING_REFERENCE: 'true' }, { worker: false });
      // The API of an older configuration lets a referral without reference in; the worker's rule check has the last word.
      strictWorker = await startTestSystem({}, { workerEnv: { REQUIRE_BOOKING_REFERENCE: 'true' } });
    });
    after(async () => {
      await strictApi.close();
      await strictWorker.close();
    });

    it('makes the API refuse a submission without a booking reference, naming the field, and tells the form', async () => {
      const referrer = await createCustomer(strictApi.app, await adminToken(strictApi.app));
      for (const booking_reference of [undefined, null, '   ']) {
        const friend = `${unique('f')}@example.nl`;
        const res = await strictApi.app.inject({
          method: 'POST',
          url: '/api/referrals',
          payload: { referrer_code: referrer.referral_code, new_customer_email: friend, booking_reference },
        });
        // a field left out is missing, null is not a string (bodies are validated as sent), white space is blank
        const expected =
          booking_reference === undefined ? 'is required' : booking_reference === null ? 'must be string' : 'must not be blank';
        const body = assertError(res, 400, 'validation_error', new RegExp(`booking_reference ${expected}`));
        assert.deepEqual(body.details, [{ field: 'booking_reference', message: expected }], String(booking_reference));
        assert.equal(await strictApi.db('referrals').where({ new_customer_email: friend }).first(), undefined, 'nothing stored');
      }
      const config = await strictApi.app.inject({ method: 'GET', url: '/api/config' });
      assert.equal(config.json().require_booking_reference, true);
      const reference = unique('BK');
      const withReference = await submit(strictApi, referrer.referral_code, `${unique('f')}@example.nl`, reference);
      assert.equal((await row(strictApi, withReference)).booking_reference, reference);
    });

    it('makes the rule check reject a referral without a booking reference (booking_reference_required)', async () => {
      const referrer = await createCustomer(strictWorker.app, await adminToken(strictWorker.app));
      const without = await submit(strictWorker, referrer.referral_code, `${unique('f')}@example.nl`);
      const rejected = await settled(strictWorker, without, 'rejected');
      assert.deepEqual([rejected.rejection_reason, rejected.rejected_by], ['booking_reference_required', 'system:rules']);
      const withReference = await submit(strictWorker, referrer.referral_code, `${unique('f')}@example.nl`, unique('BK'));
      await settled(strictWorker, withReference, 'awaiting_booking');
    });
  });
});
