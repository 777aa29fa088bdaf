import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { LightMyRequestResponse } from 'fastify';
import { buildApi } from '../api/app.js';
import { loadConfig } from '../config/env.js';
import { createDb } from '../db/knex.js';
import { waitUntilAvailable } from '../domain/retry.js';
import { freePort } from '../scripts/infra/free-port.js';
import { startDevTemporal } from '../scripts/infra/dev-temporal.js';
import { rejectUpdate } from '../workflows/definitions.js';
import { INVALID_ACTIVITY_INPUT, permanentDataFailures } from '../worker/permanent-failures.js';
import { assertError, bearer, bookingBody, freshFriend, sendBookingWebhook, submitReferral } from './support/http.js';
import {
  adminToken,
  createCustomer,
  eventually,
  signedWebhook,
  startTestSystem,
  testEnv,
  unique,
  type TestSystem,
} from './support/system.js';
import { referralWorkflow } from './support/workflows.js';

const NUL = '\u0000';

describe('bad input is a 400 at the edge, never a 500 or a jammed referral', () => {
  let system: TestSystem;
  let token: string;
  before(async () => {
    system = await startTestSystem();
    token = await adminToken(system.app);
  });
  after(() => system?.close());

  async function awaitingReferral() {
    const referrer = await createCustomer(system.app, token);
    const friend = freshFriend();
    const res = await submitReferral(system.app, { referrer_code: referrer.referral_code, new_customer_email: friend.email });
    const id = res.json().id as string;
    await eventually(async () => (await system.db('referrals').where({ id }).first()).status === 'awaiting_booking');
    return id;
  }

  it('refuses a NUL byte in a reject reason with a 400 naming the field, and the referral can still be rejected', async () => {
    const id = await awaitingReferral();
    const res = await system.app.inject({
      method: 'PUT',
      url: `/api/referrals/${id}/status`,
      headers: bearer(token),
      payload: { status: 'rejected', reason: `x${NUL}y` },
    });
    const body = assertError(res, 400, 'validation_error', /reason/);
    assert.deepEqual(body.details, [{ field: 'reason', message: 'must not contain a NUL character (\\u0000)' }]);
    const ok = await system.app.inject({
      method: 'PUT',
      url: `/api/referrals/${id}/status`,
      headers: bearer(token),
      payload: { status: 'rejected', reason: 'dubbele aanmelding' },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().status, 'rejected');
  });

  it('refuses NUL bytes everywhere a string reaches Postgres: search, sign-in, names, booking references, webhook fields', async () => {
    const cases = [
      { method: 'GET', url: `/api/customers?search=a%00b`, headers: bearer(token), field: 'search' },
      { method: 'GET', url: `/api/referrals?search=a%00b`, headers: bearer(token), field: 'search' },
      { method: 'POST', url: '/api/auth/login', payload: { username: `admin${NUL}`, password: 'x' }, field: 'username' },
      {
        method: 'POST',
        url: '/api/customers',
        headers: bearer(token),
        payload: { bebsy_customer_id: unique('C'), name: `Jan${NUL}`, email: `${unique('nul')}@example.nl` },
        field: 'name',
      },
      {
        method: 'POST',
        url: '/api/referrals',
        payload: { referrer_code: 'ABC23456', new_customer_email: `${unique('f')}@example.nl`, booking_reference: `BK${NUL}1` },
        field: 'booking_reference',
      },
    ] as const;
    for (const { field, ...request } of cases) {
      const body = assertError(await system.app.inject(request), 400, 'validation_error', new RegExp(field));
      assert.deepEqual(
        body.details?.map((d) => d.field),
        [field],
        `${request.method} ${request.url}`,
      );
    }
    const webhook = await sendBookingWebhook(
      system,
      bookingBody('booking.confirmed', { booking_reference: unique('BK'), customer_email: `a${NUL}@example.nl` }),
    );
    assertError(webhook, 400, 'validation_error', /data\.customer_email/);
  });

  it('refuses pages beyond what OFFSET serves (bigint overflow, 1e400) and a cursor with a date Postgres would reject', async () => {
    for (const page of ['4611686018427387905', '1e400', '100001']) {
      assertError(
        await system.app.inject({ method: 'GET', url: `/api/referrals?page=${page}`, headers: bearer(token) }),
        400,
        'validation_error',
        /page/,
      );
    }
    const tampered = Buffer.from(JSON.stringify({ d: 'after', k: ['2026-13-45 25:00:00+00', '12'], p: 2, s: 'desc' })).toString(
      'base64url',
    );
    assertError(
      await system.app.inject({ method: 'GET', url: `/api/referrals?cursor=${tampered}`, headers: bearer(token) }),
      400,
      'invalid_cursor',
    );
  });

  it('fails an activity non-retryably on data the database refuses, instead of retrying it forever', async () => {
    const db = system.db;
    const refusal = await db.raw('select ?::text', [`x${NUL}`]).then(
      () => assert.fail('Postgres accepted a NUL byte'),
      (error: unknown) => error,
    );
    const interceptor = permanentDataFailures({} as never).inbound!;
    const failure = await interceptor.execute!({} as never, () => Promise.reject(refusal)).then(
      () => assert.fail('the activity succeeded'),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, INVALID_ACTIVITY_INPUT);
    assert.equal(failure.nonRetryable, true);
    const unavailable = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    await assert.rejects(
      interceptor.execute!({} as never, () => Promise.reject(unavailable)),
      (error) => error === unavailable,
      'an outage stays retryable',
    );
  });

  it('ends a referral whose workflow is handed a NUL byte past the API (a failed workflow, not one retrying forever)', async () => {
    const id = await awaitingReferral();
    const handle = await referralWorkflow(system, id);
    const started = Date.now();
    await assert.rejects(handle.executeUpdate(rejectUpdate, { args: [{ actor: 'admin:test', reason: `x${NUL}y` }] }));
    assert.ok(Date.now() - started < 15_000, 'the update answered promptly');
    await eventually(async () => (await handle.describe()).status.name === 'FAILED');
    assert.equal((await system.db('referrals').where({ id }).first()).status, 'awaiting_booking', 'nothing half written');
  });
});

describe('an outage answers 503 with Retry-After, and nothing acknowledged is lost', () => {
  async function apiWith(databaseUrl: string, temporalAddress: string) {
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', TEMPORAL_TASK_QUEUE: unique('outage-') });
    const db = createDb(databaseUrl, { pool: { min: 0, max: 2, idleTimeoutMillis: 1000, connectionTimeoutMillis: 1500 } });
    // No gRPC retry interceptor: the outage is answered at once instead of after the SDK's retries.
    const connection = await Connection.connect({ address: temporalAddress, interceptors: [] });
    const app = await buildApi({
      config,
      db,
      temporal: { client: new Client({ connection }), namespace: 'default', taskQueue: config.temporal.taskQueue, webUrl: '' },
      logger: false,
    });
    return {
      app,
      config,
      async close() {
        await app.close();
        await db.destroy();
        await connection.close();
      },
    };
  }

  const assertUnavailable = (res: LightMyRequestResponse, what: RegExp) => {
    assertError(res, 503, 'service_unavailable', what);
    assert.equal(res.headers['retry-after'], '5');
  };

  it('answers 503 when Postgres is down: submissions, webhooks and sign-in', async () => {
    const down = await apiWith(`postgres://postgres@127.0.0.1:${await freePort()}/none`, testEnv.temporalAddress);
    try {
      assertUnavailable(
        await submitReferral(down.app, { referrer_code: 'ABC23456', new_customer_email: `${unique('f')}@example.nl` }),
        /database/i,
      );
      const hook = signedWebhook(down.config.webhooks.bookingSecret, bookingBody('booking.confirmed', { booking_reference: unique('BK') }));
      assertUnavailable(
        await down.app.inject({ method: 'POST', url: '/api/webhooks/bookings', headers: hook.headers, payload: hook.payload }),
        /database/i,
      );
      assertUnavailable(
        await down.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'admin123' } }),
        /database/i,
      );
    } finally {
      await down.close();
    }
  });

  it('answers 503 when Temporal is down, and the same submission and webhook later apply once', async () => {
    const live = await startTestSystem();
    const doomed = await startDevTemporal({ searchAttributes: {}, uiPort: false });
    const down = await apiWith(testEnv.databaseUrl, doomed.address);
    await doomed.stop();
    try {
      const token = await adminToken(live.app);
      const referrer = await createCustomer(live.app, token);
      const friend = freshFriend();
      const submission = { referrer_code: referrer.referral_code, new_customer_email: friend.email };
      assertUnavailable(await submitReferral(down.app, submission), /Temporal/);

      const retried = await submitReferral(live.app, submission);
      assert.ok([200, 201].includes(retried.statusCode), retried.body);
      const id = retried.json().id as string;
      await eventually(async () => (await live.db('referrals').where({ id }).first()).status === 'awaiting_booking');
      assert.equal((await live.db('referrals').where({ new_customer_email: friend.email })).length, 1, 'one referral');

      const webhookId = `msg_${unique('outage')}`;
      const body = bookingBody('booking.confirmed', { booking_reference: unique('BK'), customer_email: friend.email });
      const during = signedWebhook(down.config.webhooks.bookingSecret, body, { id: webhookId });
      assertUnavailable(
        await down.app.inject({ method: 'POST', url: '/api/webhooks/bookings', headers: during.headers, payload: during.payload }),
        /Temporal/,
      );
      const again = await sendBookingWebhook(live, body, { id: webhookId });
      assert.deepEqual(again.json(), { outcome: 'applied', referral_id: id });
      await eventually(async () => (await live.db('referrals').where({ id }).first()).status === 'pending_approval');
    } finally {
      await down.close();
      await live.close();
    }
  });
});

describe('start-up waits for its dependencies instead of exiting', () => {
  it('retries while the dependency is unavailable, saying so, and throws anything else at once', async () => {
    const lines: string[] = [];
    let tries = 0;
    const unavailable = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const value = await waitUntilAvailable(
      'Postgres at 127.0.0.1:5432',
      async () => {
        if (++tries < 3) throw unavailable;
        return 'up';
      },
      { isUnavailable: (e) => e === unavailable, log: (line) => lines.push(line), firstDelayMs: 10 },
    );
    assert.equal(value, 'up');
    assert.equal(lines.length, 2);
    assert.match(lines[0], /Postgres at 127\.0\.0\.1:5432 is not reachable yet \(connect ECONNREFUSED/);
    const bug = new Error('a bug, not an outage');
    await assert.rejects(
      waitUntilAvailable('x', () => Promise.reject(bug), { isUnavailable: () => false, log: () => assert.fail('no retry') }),
      (e) => e === bug,
    );
  });

  it('keeps the worker process waiting for an unreachable Postgres, logging each try, instead of exiting', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/none`,
      TEMPORAL_ADDRESS: testEnv.temporalAddress,
      DB_CONNECTION_TIMEOUT: '500',
    };
    const worker = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    worker.stdout.on('data', (chunk) => (output += chunk));
    worker.stderr.on('data', (chunk) => (output += chunk));
    try {
      await eventually(async () => /Postgres at 127\.0\.0\.1:\d+ is not reachable yet.*try 2 failed/s.test(output), { timeoutMs: 30_000 });
      assert.equal(worker.exitCode, null, `the worker exited: ${output}`);
    } finally {
      worker.kill('SIGKILL');
    }
  });
});
