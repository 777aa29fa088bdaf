import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { buildApi, type ApiApp } from '../api/app.js';
import { freePort } from '../scripts/infra/free-port.js';
import { assertError, bearer, bookingBody, freshFriend, submitReferral } from './support/http.js';
import { uploadImport } from './support/imports.js';
import { adminToken, createCustomer, eventually, signedWebhook, startTestSystem, type TestSystem } from './support/system.js';

/**
 * The API when the workflows cannot be reached: Temporal itself down (an address nothing
 * listens on) at submission, at a booking webhook and at an import; and Temporal up but no
 * worker taking the referral's update. Each answer says so, and nothing is lost: what was
 * stored goes through when the same request comes again with Temporal back.
 */
describe('the API without its workflows', () => {
  let live: TestSystem;
  let token: string;
  let storageDir: string;
  let deadApp: ApiApp;
  let deadConnection: Connection;

  before(async () => {
    storageDir = await mkdtemp(path.join(os.tmpdir(), 'bebsy-temporal-down-'));
    live = await startTestSystem({ REWARD_HOLD_DAYS: '0', IMPORT_STORAGE_DIR: storageDir });
    token = await adminToken(live.app);
    // The same configuration and database, with a Temporal address nothing listens on. No gRPC
    // retries: they only delay the same answer (and their timers outlive the connection).
    deadConnection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: '1 second', interceptors: [] });
    deadApp = await buildApi({
      config: live.config,
      db: live.db,
      temporal: {
        client: new Client({ connection: deadConnection, namespace: live.config.temporal.namespace }),
        namespace: live.config.temporal.namespace,
        taskQueue: live.taskQueue,
        webUrl: live.config.temporal.webUrl,
      },
      logger: false,
    });
  });
  after(async () => {
    await deadApp.close();
    await deadConnection.close();
    await live.close();
    await rm(storageDir, { recursive: true, force: true });
  });

  const statusOf = async (id: string) => (await live.db('referrals').where({ id }).first()).status as string;

  it('answers a submission with Temporal down 503, keeps the referral, and starts it when the friend submits again', async () => {
    const referrer = await createCustomer(live.app, token);
    const friend = freshFriend();
    const submission = {
      referrer_code: referrer.referral_code,
      new_customer_email: friend.email,
      booking_reference: friend.bookingReference,
    };

    const down = await submitReferral(deadApp, submission);
    assertError(down, 503, 'service_unavailable', /Temporal/);
    const stored = await live.db('referrals').where({ new_customer_email: friend.email });
    assert.equal(stored.length, 1, 'the referral is stored');
    assert.equal(stored[0].status, 'submitted');
    await assert.rejects(live.client.workflow.getHandle(stored[0].workflow_id).describe(), /not found/i, 'no workflow yet');

    const again = await submitReferral(live.app, submission);
    assert.equal(again.statusCode, 200, again.body); // the stored referral, not a new one
    assert.equal(again.json().id, String(stored[0].id));
    await eventually(async () => (await statusOf(String(stored[0].id))) === 'awaiting_booking');
  });

  it('answers a booking webhook with Temporal down 503, keeps the event, and applies it when the booking system retries', async () => {
    const referrer = await createCustomer(live.app, token);
    const friend = freshFriend();
    const submitted = await submitReferral(live.app, {
      referrer_code: referrer.referral_code,
      new_customer_email: friend.email,
      booking_reference: friend.bookingReference,
    });
    assert.equal(submitted.statusCode, 201, submitted.body);
    const { id } = submitted.json();
    await eventually(async () => (await statusOf(id)) === 'awaiting_booking');

    const webhook = signedWebhook(
      live.config.webhooks.bookingSecret,
      bookingBody('booking.confirmed', { booking_reference: friend.bookingReference, customer_email: friend.email }),
    );
    const deliver = (app: ApiApp) =>
      app.inject({ method: 'POST', url: '/api/webhooks/bookings', headers: webhook.headers, payload: webhook.payload });

    assertError(await deliver(deadApp), 503, 'service_unavailable', /Temporal/);
    const inbox = await live.db('booking_webhook_inbox').where({ webhook_id: webhook.headers['webhook-id'] }).first();
    assert.ok(inbox, 'the event is kept in the inbox');
    assert.equal(inbox.applied_at, null, 'and not marked applied');
    assert.equal(await statusOf(id), 'awaiting_booking');

    const retried = await deliver(live.app); // the same delivery (same webhook-id), Temporal back
    assert.equal(retried.statusCode, 200, retried.body);
    assert.deepEqual(retried.json(), { outcome: 'applied', referral_id: id });
    await eventually(async () => (await statusOf(id)) === 'pending_approval');
  });

  it('fails an import whose workflow cannot be started: the row says so, the upload is removed, the answer is 503', async () => {
    const res = await uploadImport(deadApp, token, 'Klantnummer;Naam;E-mail\r\nTD-1;Jan Down;jan.td1@voorbeeld.nl\r\n');
    assertError(res, 503, 'service_unavailable', /Temporal/);
    const job = await live.db('customer_imports').orderBy('id', 'desc').first();
    assert.deepEqual(
      { status: job.status, phase: job.phase, error: job.error, finished: job.finished_at !== null },
      { status: 'failed', phase: 'done', error: 'The import could not be started', finished: true },
    );
    const shown = await live.app.inject({ method: 'GET', url: `/api/imports/${job.id}`, headers: bearer(token) });
    assert.equal(shown.json().status, 'failed');
    assert.deepEqual(await readdir(storageDir), [], 'the upload is not left in storage');
    assert.equal(await live.db('customers').where({ bebsy_customer_id: 'TD-1' }).first(), undefined);
  });

  // Before: when the update's 10 s deadline passed, the client's WorkflowUpdateRPCTimeoutOrCancelledError
  // (not a gRPC service error) was answered 500, and a bulk update failed as a whole.
  it('answers 503 workflow_unavailable to a review that no worker takes (Temporal up, the worker gone), in a bulk update per referral', async () => {
    const idle = await startTestSystem({}, { worker: false });
    try {
      const idleToken = await adminToken(idle.app);
      const referrer = await createCustomer(idle.app, idleToken);
      const submitted = await submitReferral(idle.app, {
        referrer_code: referrer.referral_code,
        new_customer_email: freshFriend().email,
      });
      assert.equal(submitted.statusCode, 201, submitted.body);
      const { id } = submitted.json();

      const review = await idle.app.inject({
        method: 'PUT',
        url: `/api/referrals/${id}/status`,
        headers: bearer(idleToken),
        payload: { status: 'rejected', reason: 'niemand thuis' },
      });
      assertError(review, 503, 'workflow_unavailable', /did not answer in time/);
      assert.equal((await idle.db('referrals').where({ id }).first()).status, 'submitted', 'nothing was decided');

      const bulk = await idle.app.inject({
        method: 'POST',
        url: '/api/referrals/bulk-update',
        headers: bearer(idleToken),
        payload: { referralIds: [id], status: 'rejected', reason: 'niemand thuis' },
      });
      assert.equal(bulk.statusCode, 200, bulk.body);
      assert.deepEqual(bulk.json().results, [
        {
          id,
          ok: false,
          error: 'workflow_unavailable',
          message: 'The referral workflow did not answer in time (is a worker running?); try again',
        },
      ]);
    } finally {
      await idle.close();
    }
  });
});
