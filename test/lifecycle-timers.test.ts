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
import { referralStateQuery } from '../workflows/definitions.js';
import { createReferralWorker } from '../worker/create-worker.js';
import { createWorkerActivities } from '../activities/index.js';
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
    return { referral, friend, referrerEmail: referrer.email, handle: env.client.workflow.getHandle(referral.workflow_id) };
  }

  /** The friend's booking, as their booking system reports it (the friend's email names the customer). */
  const booking = (
    type: 'booking.confirmed' | 'booking.cancelled',
    referral: { booking_reference: string | null; new_customer_email: string },
    departure_date?: string,
  ) =>
    receiveBookingWebhook(db, temporal, unique('msg_'), {
      type,
      data: {
        booking_reference: referral.booking_reference!,
        customer_email: referral.new_customer_email,
        booking_value: 899,
        currency: 'EUR',
        ...(departure_date && { departure_date }),
      },
    });

  const statusOf = async (id: string) => (await getReferral(db, id))!.status;

  it('expires a referral without a booking after REFERRAL_EXPIRY_DAYS', async () => {
    const { referral, handle, referrerEmail } = await submitReferral();
    const started = await env.currentTimeMs();
    const result = await handle.result();
    assert.equal(result.status, 'expired');
    assert.equal(await statusOf(referral.id), 'expired');
    const gentleNote = await db('email_outbox')
      .where({ idempotency_key: `${referral.workflow_id}:referral_expired:${referrerEmail}` })
      .first();
    assert.equal(gentleNote?.status, 'sent', 'the referrer hears that the friend did not book');
    // The server skipped the 90 days; the row's timestamp is workflow time, 90 days on.
    const expiredAt = (await getReferral(db, referral.id))!.expired_at!;
    assert.ok(expiredAt.getTime() - started >= 90 * DAY_MS - DAY_MS, `expired at ${expiredAt.toISOString()}`);
  });

  it('revokes an approved referral whose booking is cancelled during the reward hold', async () => {
    const { referral, handle } = await submitReferral();
    await env.sleep('1 hour');
    assert.equal((await booking('booking.confirmed', referral)).outcome, 'applied');
    await env.sleep('3 days'); // inside the 14-day hold (auto-approved)
    assert.equal((await handle.query(referralStateQuery)).status, 'approved');
    assert.equal((await booking('booking.cancelled', referral)).outcome, 'applied');
    const result = await handle.result();
    assert.equal(result.status, 'revoked');
    assert.equal(await statusOf(referral.id), 'revoked');
    assert.equal(await db('rewards').where({ referral_id: referral.id }).first(), undefined);
  });

  it('holds the reward until the departure day is over in Amsterdam when that is later than the hold, then pays once', async () => {
    const { referral, handle } = await submitReferral();
    const departure = new Date((await env.currentTimeMs()) + 40 * DAY_MS).toISOString().slice(0, 10);
    await booking('booking.confirmed', referral, departure);
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
    await booking('booking.confirmed', referral);
    await env.sleep('15 days');
    assert.equal((await handle.query(referralStateQuery)).status, 'paid');
    await booking('booking.cancelled', referral);
    const result = await handle.result();
    assert.equal(result.clawback, true);
    const reward = await db('rewards').where({ referral_id: referral.id }).first();
    assert.equal(reward.status, 'clawback_due');
    assert.equal(await statusOf(referral.id), 'paid');
  });

  it('keeps the reward when the booking is cancelled after the clawback window: the workflow has ended, nothing is clawed back', async () => {
    const { referral, handle } = await submitReferral();
    await booking('booking.confirmed', referral);
    await env.sleep('15 days');
    assert.equal((await handle.query(referralStateQuery)).status, 'paid');
    const ended = await handle.result(); // the 60-day clawback window passes without a cancellation
    assert.deepEqual([ended.status, ended.clawback], ['paid', false]);

    await booking('booking.cancelled', referral);
    const reward = await db('rewards').where({ referral_id: referral.id }).first();
    assert.equal(reward.status, 'paid');
    assert.equal(reward.clawback_at, null);
    assert.equal(await statusOf(referral.id), 'paid');
    assert.deepEqual(await db('audit_log').where({ entity_id: referral.id, action: 'reward.clawback_due' }), []);
  });

  // Before: the signal to the ended workflow was answered as `pending` (HTTP 202, "kept in the
  // inbox") and the inbox row waited for good: no workflow would ever claim it.
  it('answers a cancellation after the clawback window as final, not as pending forever', async () => {
    const { referral, handle } = await submitReferral();
    await booking('booking.confirmed', referral);
    await env.sleep('15 days');
    await handle.result();
    const webhookId = unique('msg_');
    const answer = await receiveBookingWebhook(db, temporal, webhookId, {
      type: 'booking.cancelled',
      data: {
        booking_reference: referral.booking_reference!,
        customer_email: referral.new_customer_email,
        booking_value: 899,
        currency: 'EUR',
      },
    });
    assert.equal(answer.outcome, 'ended', `answered ${JSON.stringify(answer)}`);
    const inbox = await db('booking_webhook_inbox').where({ webhook_id: webhookId }).first();
    assert.notEqual(inbox.applied_at, null, 'the event is settled, not left waiting for a workflow that has ended');
  });

  it('gives a notification up after its day of retries without failing the referral', async () => {
    // A worker of its own whose emails always fail (a provider that stays down).
    const taskQueue = unique('timers-failing-mail-');
    const attempts = new Map<string, number>();
    const failing = await createReferralWorker({
      connection: env.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      db,
      policy: config.referrals,
      email: config.email,
      overrides: {
        activities: {
          ...createWorkerActivities({ db, policy: config.referrals, email: config.email }),
          async notifyReferral({ notification }: { referralId: string; notification: string }): Promise<number> {
            attempts.set(notification, (attempts.get(notification) ?? 0) + 1);
            throw new Error('the email provider is down');
          },
        },
      },
    });
    const failingRun = failing.run();
    try {
      const deps: TemporalDeps = { ...temporal, taskQueue };
      const service = new ReferralService(db, deps, config.referrals);
      const id = unique('C');
      const created = await insertCustomer(db, {
        bebsy_customer_id: id,
        name: 'Eva Smit',
        email: `${id.toLowerCase()}@example.nl`,
        locale: 'nl',
      });
      assert.equal(created.kind, 'created');
      const { referral } = await service.submit({
        referrerCode: (created as { customer: { referral_code: string } }).customer.referral_code,
        newCustomerEmail: `${unique('friend')}@example.nl`,
        bookingReference: unique('BK'),
      });
      const handle = env.client.workflow.getHandle(referral.workflow_id);

      // No booking: the referral expires after 90 days, its emails (welcome, expired) failing all along.
      const result = await handle.result();
      assert.equal(result.status, 'expired', 'the referral ran its course; the workflow completed');
      assert.equal(await statusOf(referral.id), 'expired');

      const { events } = await handle.fetchHistory();
      const scheduled = new Map(
        (events ?? [])
          .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'notifyReferral')
          .map((e) => [String(e.eventId), e]),
      );
      assert.equal(scheduled.size, 2, 'friend_welcome and referral_expired');
      const endings = (events ?? []).filter((e) =>
        scheduled.has(
          String(e.activityTaskTimedOutEventAttributes?.scheduledEventId ?? e.activityTaskFailedEventAttributes?.scheduledEventId),
        ),
      );
      assert.equal(endings.length, 2, 'each notification ended in failure');
      for (const ending of endings) {
        const attributes = ending.activityTaskTimedOutEventAttributes ?? ending.activityTaskFailedEventAttributes!;
        const start = scheduled.get(String(attributes.scheduledEventId))!;
        const elapsed = Number(ending.eventTime!.seconds) - Number(start.eventTime!.seconds);
        assert.ok(elapsed >= DAY_MS / 1000 - 15 * 60 && elapsed <= DAY_MS / 1000, `given up after a day of retries, not ${elapsed} s`);
      }
      for (const notification of ['friend_welcome', 'referral_expired']) {
        assert.ok(
          (attempts.get(notification) ?? 0) > 10,
          `${notification} was retried through the day (${attempts.get(notification)} attempts)`,
        );
      }
      assert.deepEqual(await db('email_outbox').where('idempotency_key', 'like', `${referral.workflow_id}:%`), []);
    } finally {
      failing.shutdown();
      await failingRun;
    }
  });
});
