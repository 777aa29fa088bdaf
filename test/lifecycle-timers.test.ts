import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { loadConfig } from '../config/env.js';
import { createDb, type Db } from '../db/knex.js';
import { createCustomer as insertCustomer } from '../db/repositories/customers.js';
import { getReferral } from '../db/repositories/referrals.js';
import { endOfDepartureDay } from '../domain/reward-hold.js';
import { receiveBookingWebhook } from '../api/services/booking-webhooks.js';
import { ReferralService } from '../api/services/referrals.js';
import type { TemporalDeps } from '../api/services/temporal.js';
import { referralStateQuery, referralWorkflowId } from '../workflows/definitions.js';
import { createReferralWorker } from '../worker/create-worker.js';
import { registerSearchAttributes } from '../temporal-config/search-attributes.js';
import { quietTemporalRuntime, testEnv, unique } from './support/system.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Day-long timers on the time-skipping test server: expiry, the reward hold (and its
 * extension to the departure date), revocation during the hold and the clawback window.
 */
describe('durable timers of the referral lifecycle (time-skipping server)', () => {
  let env: TestWorkflowEnvironment;
  let db: Db;
  let worker: Worker;
  let running: Promise<void>;
  let temporal: TemporalDeps;
  let referrals: ReferralService;
  const config = loadConfig({ NODE_ENV: 'test', REFERRAL_EXPIRY_DAYS: '90', REWARD_HOLD_DAYS: '14', CLAWBACK_WINDOW_DAYS: '60' });

  before(async () => {
    quietTemporalRuntime();
    const path = process.env.TEMPORAL_TEST_SERVER_PATH;
    env = await TestWorkflowEnvironment.createTimeSkipping(path ? { server: { executable: { type: 'existing-path', path } } } : {});
    await registerSearchAttributes(env.connection, env.namespace ?? 'default');
    db = createDb(testEnv.databaseUrl);
    const taskQueue = unique('timers-');
    temporal = { client: env.client, namespace: env.namespace ?? 'default', taskQueue, webUrl: 'http://localhost:8233' };
    referrals = new ReferralService(db, temporal, { ...config.referrals, autoApprove: true });
    worker = await createReferralWorker({
      connection: env.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      db,
      policy: config.referrals,
      email: config.email,
    });
    running = worker.run();
  });
  after(async () => {
    worker.shutdown();
    await running;
    await env.teardown();
    await db.destroy();
  });

  async function submitReferral() {
    const id = unique('C');
    const created = await insertCustomer(db, {
      bebsy_customer_id: id,
      name: 'Sanne Bakker',
      email: `${id.toLowerCase()}@example.nl`,
      locale: 'nl',
    });
    assert.equal(created.kind, 'created');
    const referrer = (created as { customer: { referral_code: string; email: string } }).customer;
    const friend = `${unique('friend')}@example.nl`;
    const { referral } = await referrals.submit({
      referrerCode: referrer.referral_code,
      newCustomerEmail: friend,
      bookingReference: unique('BK'),
    });
    return { referral, friend, referrerEmail: referrer.email, handle: env.client.workflow.getHandle(referralWorkflowId(referral.id)) };
  }

  const booking = (type: 'booking.confirmed' | 'booking.cancelled', reference: string, departure_date?: string) =>
    receiveBookingWebhook(db, temporal, unique('msg_'), {
      type,
      data: { booking_reference: reference, booking_value: 899, currency: 'EUR', ...(departure_date && { departure_date }) },
    });

  const statusOf = async (id: string) => (await getReferral(db, id))!.status;

  it('expires a referral without a booking after REFERRAL_EXPIRY_DAYS', async () => {
    const { referral, handle, referrerEmail } = await submitReferral();
    const started = await env.currentTimeMs();
    const result = await handle.result();
    assert.equal(result.status, 'expired');
    assert.equal(await statusOf(referral.id), 'expired');
    const gentleNote = await db('email_outbox')
      .where({ idempotency_key: `referral-${referral.id}:referral_expired:${referrerEmail}` })
      .first();
    assert.equal(gentleNote?.status, 'sent', 'the referrer hears that the friend did not book');
    // The server skipped the 90 days; the row's timestamp is workflow time, 90 days on.
    const expiredAt = (await getReferral(db, referral.id))!.expired_at!;
    assert.ok(expiredAt.getTime() - started >= 90 * DAY_MS - DAY_MS, `expired at ${expiredAt.toISOString()}`);
  });

  it('revokes an approved referral whose booking is cancelled during the reward hold', async () => {
    const { referral, handle } = await submitReferral();
    await env.sleep('1 hour');
    assert.equal((await booking('booking.confirmed', referral.booking_reference!)).outcome, 'applied');
    await env.sleep('3 days'); // inside the 14-day hold (auto-approved)
    assert.equal((await handle.query(referralStateQuery)).status, 'approved');
    assert.equal((await booking('booking.cancelled', referral.booking_reference!)).outcome, 'applied');
    const result = await handle.result();
    assert.equal(result.status, 'revoked');
    assert.equal(await statusOf(referral.id), 'revoked');
    assert.equal(await db('rewards').where({ referral_id: referral.id }).first(), undefined);
  });

  it('holds the reward until the departure day is over in Amsterdam when that is later than the hold, then pays once', async () => {
    const { referral, handle } = await submitReferral();
    const departure = new Date((await env.currentTimeMs()) + 40 * DAY_MS).toISOString().slice(0, 10);
    await booking('booking.confirmed', referral.booking_reference!, departure);
    await env.sleep('20 days'); // past the 14-day hold, before departure
    const during = await handle.query(referralStateQuery);
    assert.equal(during.status, 'approved');
    const holdEnds = endOfDepartureDay(departure);
    assert.equal(during.holdUntil, new Date(holdEnds).toISOString());
    await env.sleep(Date.parse(`${departure}T12:00:00Z`) - (await env.currentTimeMs())); // the departure day itself
    assert.equal((await handle.query(referralStateQuery)).status, 'approved', 'a trip can still be cancelled on its departure day');
    await env.sleep(holdEnds - (await env.currentTimeMs()) + 60_000);
    const paid = await handle.query(referralStateQuery);
    assert.equal(paid.status, 'paid');
    assert.match(paid.voucherCode!, /^BEBSY-/);
    assert.equal(await statusOf(referral.id), 'paid');
  });

  it('records a clawback when the booking is cancelled after the payout', async () => {
    const { referral, handle } = await submitReferral();
    await booking('booking.confirmed', referral.booking_reference!);
    await env.sleep('15 days');
    assert.equal((await handle.query(referralStateQuery)).status, 'paid');
    await booking('booking.cancelled', referral.booking_reference!);
    const result = await handle.result();
    assert.equal(result.clawback, true);
    const reward = await db('rewards').where({ referral_id: referral.id }).first();
    assert.equal(reward.status, 'clawback_due');
    assert.equal(await statusOf(referral.id), 'paid');
  });
});
