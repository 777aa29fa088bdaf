import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bookingBody, freshFriend, getReferralJson, sendBookingWebhook, submitReferral } from './support/http.js';
import { adminToken, createCustomer, eventually, startTestSystem, unique, type TestSystem } from './support/system.js';
import { referralRowWorkflowId } from './support/workflows.js';

/**
 * Who gets the credit for a booking (money leaves the company on every paid referral). A
 * booking reference is guessable (BK-2027-0684): typing someone else's on the public form
 * must not take their reward, nor tell the guesser which references exist.
 */
describe('a booking belongs to the referred friend, not to whoever typed its reference', () => {
  let system: TestSystem;
  let token: string;
  const admins = `${unique('admin')}@bebsy.test`;

  before(async () => {
    // Auto-approve on: a clean match would be approved (and paid) without anyone looking.
    system = await startTestSystem({ AUTO_APPROVE_REFERRALS: 'true', REWARD_HOLD_DAYS: '0', ADMIN_NOTIFICATION_EMAILS: admins });
    token = await adminToken(system.app);
  });
  after(() => system?.close());

  const referral = (id: string) => system.db('referrals').where({ id }).first();
  const reach = (id: string, status: string) =>
    eventually(async () => (await referral(id))?.status === status, { timeoutMs: 20_000 }).then(() => referral(id));
  const emailsTo = (address: string, kind: string) => system.db('email_outbox').where({ to_address: address, kind });

  async function submit(referrerCode: string, email: string, bookingReference?: string) {
    const res = await submitReferral(system.app, {
      referrer_code: referrerCode,
      new_customer_email: email,
      booking_reference: bookingReference,
    });
    return { statusCode: res.statusCode, body: res.json() as Record<string, unknown> };
  }

  it("gives a stranger who typed the friend's booking reference first nothing, and the friend's referrer the booking", async () => {
    const victim = freshFriend();
    const attacker = await createCustomer(system.app, token);
    const honest = await createCustomer(system.app, token);

    const stolen = await submit(attacker.referral_code, `${unique('throwaway')}@example.nl`, victim.bookingReference);
    assert.equal(stolen.statusCode, 201);
    const real = await submit(honest.referral_code, victim.email, victim.bookingReference);
    assert.equal(real.statusCode, 201, 'a reference another referral holds is accepted like any other (409 told which exist)');
    assert.equal(real.body.booking_reference, victim.bookingReference, 'the answer repeats what was typed, taken or not');
    await reach(String(stolen.body.id), 'awaiting_booking');
    const waiting = await reach(String(real.body.id), 'awaiting_booking');
    assert.deepEqual(waiting.flag_reasons, ['booking_reference_in_use'], 'two referrals naming one booking: a human looks');
    assert.equal(waiting.claimed_booking_reference, victim.bookingReference);

    const confirmed = await sendBookingWebhook(
      system,
      bookingBody('booking.confirmed', { booking_reference: victim.bookingReference, customer_email: victim.email }),
    );
    assert.deepEqual(confirmed.json(), { outcome: 'applied', referral_id: real.body.id });
    const booked = await reach(String(real.body.id), 'pending_approval');
    assert.equal(booked.flagged, true, 'still flagged: never auto-approved while two referrals named the booking');
    const untouched = await referral(String(stolen.body.id));
    assert.equal(untouched.status, 'awaiting_booking', "the stranger's referral never sees the booking");
    assert.equal(await system.db('rewards').where({ referral_id: stolen.body.id }).first(), undefined);

    // The cancellation follows the booking to where its confirmation went, whatever referral holds the reference.
    const cancelled = await sendBookingWebhook(
      system,
      bookingBody('booking.cancelled', { booking_reference: victim.bookingReference, customer_email: victim.email }),
    );
    assert.deepEqual(cancelled.json(), { outcome: 'applied', referral_id: real.body.id });
    await reach(String(real.body.id), 'revoked');
    assert.equal((await referral(String(stolen.body.id))).status, 'awaiting_booking');
  });

  it("flags a booking matched by its reference alone (someone else's customer), never auto-approves it, and tells only the admins", async () => {
    const referrer = await createCustomer(system.app, token);
    const claimed = freshFriend();
    const { body } = await submit(referrer.referral_code, claimed.email, claimed.bookingReference);
    await reach(String(body.id), 'awaiting_booking');

    const someoneElse = `${unique('real.customer')}@example.nl`;
    const res = await sendBookingWebhook(
      system,
      bookingBody('booking.confirmed', { booking_reference: claimed.bookingReference, customer_email: someoneElse }),
    );
    assert.deepEqual(res.json(), { outcome: 'applied', referral_id: body.id });
    const pending = await reach(String(body.id), 'pending_approval');
    assert.equal(pending.flagged, true);
    assert.deepEqual(pending.flag_reasons, ['booking_customer_mismatch']);
    // Auto-approve is on: a clean referral is approved at once; this one waits for a human.
    const workflowId = await referralRowWorkflowId(system.db, String(body.id));
    await eventually(
      async () => (await emailsTo(admins, 'admin_flagged').where('idempotency_key', 'like', `${workflowId}:%`)).length === 1,
    );
    assert.equal((await referral(String(body.id))).status, 'pending_approval', 'not auto-approved');
    assert.deepEqual(await emailsTo(referrer.email, 'friend_booked'), [], 'the referrer is not told that the reference exists');

    const detail = await getReferralJson(system.app, token, String(body.id));
    assert.ok(detail.workflow.live.flagReasons.includes('booking_customer_mismatch'), 'the live state says why');
    assert.deepEqual(detail.flag_reasons, ['booking_customer_mismatch']);
  });

  it('flags a booking that names no customer the same way', async () => {
    const referrer = await createCustomer(system.app, token);
    const friend = freshFriend();
    const { body } = await submit(referrer.referral_code, friend.email, friend.bookingReference);
    await reach(String(body.id), 'awaiting_booking');
    await sendBookingWebhook(system, bookingBody('booking.confirmed', { booking_reference: friend.bookingReference }));
    const pending = await reach(String(body.id), 'pending_approval');
    assert.deepEqual(pending.flag_reasons, ['booking_customer_mismatch']);
  });

  it("pays a clean booking of the friend's own, matched by email even with another reference on the form", async () => {
    const referrer = await createCustomer(system.app, token);
    const friend = freshFriend();
    const { body } = await submit(referrer.referral_code, friend.email, 'BK-TYPO-1');
    await reach(String(body.id), 'awaiting_booking');
    await sendBookingWebhook(
      system,
      bookingBody('booking.confirmed', { booking_reference: friend.bookingReference, customer_email: friend.email.toUpperCase() }),
    );
    const paid = await reach(String(body.id), 'paid');
    assert.equal(paid.flagged, false);
    assert.ok(await system.db('rewards').where({ referral_id: body.id }).first());
  });

  it('flags a booking that arrived before the referral when the referral claims it by reference alone', async () => {
    const early = freshFriend();
    const res = await sendBookingWebhook(
      system,
      bookingBody('booking.confirmed', { booking_reference: early.bookingReference, customer_email: early.email }),
    );
    assert.equal(res.json().outcome, 'pending');
    const attacker = await createCustomer(system.app, token);
    const { body } = await submit(attacker.referral_code, `${unique('guess')}@example.nl`, early.bookingReference);
    const pending = await reach(String(body.id), 'pending_approval');
    assert.deepEqual(pending.flag_reasons, ['booking_customer_mismatch'], 'claimed from the inbox, but not paid without a human');
  });

  it('answers a submission the same whatever is known about the friend: no status to tell an existing customer from a new one', async () => {
    const referrer = await createCustomer(system.app, token);
    const existingCustomer = await createCustomer(system.app, token);
    const first = await submit(referrer.referral_code, existingCustomer.email);
    const fresh = await submit(referrer.referral_code, `${unique('new')}@example.nl`);
    await reach(String(first.body.id), 'rejected'); // already a customer: the rules reject it
    const again = await submit(referrer.referral_code, existingCustomer.email);
    assert.equal(again.statusCode, 200);
    assert.equal(again.body.id, first.body.id);
    assert.deepEqual(Object.keys(again.body).sort(), Object.keys(fresh.body).sort());
    assert.equal('status' in again.body, false, 'the answer carries no status');
  });
});
