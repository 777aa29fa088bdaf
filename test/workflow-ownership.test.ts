import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { BookingEvent } from '../domain/lifecycle.js';
import { NOT_THE_ROWS_WORKFLOW } from '../worker/workflow-ownership.js';
import { bookingEventSignal } from '../workflows/definitions.js';
import { adminToken, createCustomer, eventually, startTestSystem, unique, type TestSystem } from './support/system.js';

/**
 * A database restored from a backup numbers new referrals again from ids whose workflows still
 * run in Temporal (the referrals made after the backup are lost from the database, not from
 * Temporal). Here the restore is played by deleting the newest referral and setting the id
 * sequence back, so the next referral takes its number.
 */
describe('a referral number used again after a restore', () => {
  let system: TestSystem;
  let token: string;
  before(async () => {
    system = await startTestSystem();
    token = await adminToken(system.app);
  });
  after(() => system.close());

  async function submit(referrerCode: string, friend: string) {
    const res = await system.app.inject({
      method: 'POST',
      url: '/api/referrals',
      payload: { referrer_code: referrerCode, new_customer_email: friend, booking_reference: unique('BK') },
    });
    assert.equal(res.statusCode, 201, res.body);
    const id = res.json().id as string;
    const row = await eventually(async () => {
      const r = await system.db('referrals').where({ id }).first();
      return r.status === 'awaiting_booking' && r;
    });
    return row as { id: string; workflow_id: string; status: string; new_customer_email: string };
  }

  /**
   * Until the workflow waits for its booking: after the row's move to awaiting_booking it still
   * takes the booking events that came first (takePendingBookingEvents). A restore before that
   * activity ran fails the workflow there already (NotTheRowsWorkflow), and the booking's signal
   * below would find it completed.
   */
  async function waitingForBooking(workflowId: string) {
    const handle = system.client.workflow.getHandle(workflowId);
    await eventually(async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const taken = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'takePendingBookingEvents');
      return taken && events.some((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(taken.eventId));
    });
  }

  it('gets a workflow of its own, and the lost referral’s workflow may not move, mail or pay it', async () => {
    const referrer = await createCustomer(system.app, token);
    const friend = `${unique('friend')}@example.nl`;
    const lost = await submit(referrer.referral_code, friend);
    await waitingForBooking(lost.workflow_id);
    const welcomeTo = async () => system.db('email_outbox').where({ kind: 'friend_welcome', to_address: friend }).first();
    const lostWelcome = await eventually(async () => {
      const row = await welcomeTo();
      return row?.status === 'sent' && row;
    });

    // the restore: the referral (and its email) is gone from the database, its workflow still waits for a booking
    await system.db.transaction(async (trx) => {
      await trx('audit_log').where({ entity_type: 'referral', entity_id: lost.id }).delete();
      await trx('email_outbox').where({ id: lostWelcome.id }).delete();
      await trx('referrals').where({ id: lost.id }).delete();
      await trx.raw("SELECT setval(pg_get_serial_sequence('referrals', 'id'), ?, false)", [Number(lost.id)]);
    });

    // the same friend referred again: the new referral takes the lost one's number
    const taker = await submit(referrer.referral_code, friend);
    assert.equal(taker.id, lost.id, 'the new referral took the lost one’s number');
    assert.notEqual(taker.workflow_id, lost.workflow_id, 'and a workflow id of its own');
    // Its welcome to the same friend has a key of its own: a provider that still remembers the
    // lost one's key (Resend, for 24 hours) would otherwise drop it as a repeat.
    const takerWelcome = await eventually(welcomeTo);
    assert.equal(takerWelcome.idempotency_key, `${taker.workflow_id}:friend_welcome:${friend}`);
    assert.notEqual(takerWelcome.idempotency_key, lostWelcome.idempotency_key);
    const takerRun = await system.client.workflow.getHandle(taker.workflow_id).describe();
    assert.equal(takerRun.status.name, 'RUNNING');
    assert.equal(takerRun.type, 'referralLifecycle');

    // the lost referral's booking arrives at its old workflow, which acts on referral <number>
    const stale = system.client.workflow.getHandle(lost.workflow_id);
    const event: BookingEvent = {
      webhookId: unique('wh'),
      type: 'booking.confirmed',
      bookingReference: unique('BK'),
      customerEmail: lost.new_customer_email,
      bookingValueCents: 50_000,
      currency: 'EUR',
      departureDate: null,
      customerMatch: 'friend',
    };
    await stale.signal(bookingEventSignal, event);
    const failure = await stale.result().then(
      () => assert.fail('the lost referral’s workflow completed'),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof WorkflowFailedError, String(failure));
    const cause = failure.cause as { cause?: { type?: string; message?: string } } | undefined;
    assert.equal(cause?.cause?.type, NOT_THE_ROWS_WORKFLOW, JSON.stringify(cause));
    assert.match(cause?.cause?.message ?? '', new RegExp(`belongs to workflow ${taker.workflow_id}`));

    // the new referral is untouched: still awaiting its own booking, with only its own transitions
    const now = await system.db('referrals').where({ id: taker.id }).first();
    assert.equal(now.status, 'awaiting_booking');
    const actions = await system
      .db('audit_log')
      .where({ entity_type: 'referral', entity_id: taker.id })
      .orderBy('id')
      .pluck<string[]>('action');
    assert.deepEqual(actions, ['referral.awaiting_booking']);
    assert.equal((await system.client.workflow.getHandle(taker.workflow_id).describe()).status.name, 'RUNNING');
  });
});
