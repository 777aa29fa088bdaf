import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { buildApi } from '../api/app.js';
import { loadConfig } from '../config/env.js';
import { createDb } from '../db/knex.js';
import { freePort } from '../scripts/infra/free-port.js';
import { startDevTemporal } from '../scripts/infra/dev-temporal.js';
import { startTestSystem, testEnv, withEmptyDatabase } from './support/system.js';

/** /api/health answers 503 and names the part that is down. */
describe('health when a dependency is down', () => {
  async function healthWith(databaseUrl: string, temporalAddress: string, beforeCheck = async () => {}) {
    const config = loadConfig({ NODE_ENV: 'test' });
    const db = createDb(databaseUrl, { pool: { min: 0, max: 1, idleTimeoutMillis: 1000, connectionTimeoutMillis: 1500 } });
    // No gRPC retry interceptor: the SDK's retry timer outlives connection.close() and throws
    // "Channel has been shut down" after the test; the route's own timeout is what is tested.
    const connection = await Connection.connect({ address: temporalAddress, interceptors: [] });
    await beforeCheck();
    const app = await buildApi({
      config,
      db,
      temporal: { client: new Client({ connection }), namespace: 'default', taskQueue: 'none', webUrl: '' },
      logger: false,
    });
    try {
      const res = await app.inject({ method: 'GET', url: '/api/health' });
      return { status: res.statusCode, body: res.json() };
    } finally {
      await app.close();
      await db.destroy();
      await connection.close();
    }
  }

  it('503 with the database down', async () => {
    const { status, body } = await healthWith(`postgres://postgres@127.0.0.1:${await freePort()}/none`, testEnv.temporalAddress);
    assert.equal(status, 503);
    assert.equal(body.status, 'degraded');
    assert.equal(body.database.status, 'down');
    assert.equal(body.temporal.status, 'up');
    assert.ok(body.database.error);
    assert.deepEqual(
      body.emails,
      { transport: 'outbox', queued: null, retrying: null, failed: null },
      'the transport without the counts the database cannot give',
    );
  });

  it('503 with Temporal down', async () => {
    const doomed = await startDevTemporal({ searchAttributes: {}, uiPort: false });
    const { status, body } = await healthWith(testEnv.databaseUrl, doomed.address, doomed.stop);
    assert.equal(status, 503);
    assert.equal(body.database.status, 'up');
    assert.equal(body.temporal.status, 'down');
  });
});

/** /api/health names the email transport and counts the messages that did not go out. */
describe('health: emails', () => {
  it('counts queued, retrying and permanently failed messages (not sent ones) and names the transport, never its key', async () => {
    await withEmptyDatabase(async (databaseUrl) => {
      const system = await startTestSystem({ RESEND_API_KEY: 're_health_secret_key' }, { worker: false, databaseUrl });
      try {
        const message = (key: string) => ({
          idempotency_key: key,
          kind: 'reward_paid',
          to_address: 'sanne@example.nl',
          locale: 'nl',
          subject: 'Voucher',
          html: '<p>x</p>',
          text: 'x',
        });
        await system.db('email_outbox').insert([
          { ...message('waiting') },
          { ...message('first-attempt-running'), attempts: 1 },
          { ...message('retrying'), attempts: 3, provider: 'resend', error: 'rate_limit_exceeded (429): too many requests' },
          {
            ...message('failed'),
            status: 'failed_permanent',
            attempts: 1,
            provider: 'resend',
            error: 'validation_error (422): invalid to',
          },
          { ...message('sent'), status: 'sent', attempts: 1, provider: 'resend', sent_at: new Date() },
        ]);
        const res = await system.app.inject({ method: 'GET', url: '/api/health' });
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json();
        assert.equal(body.status, 'ok', 'failed emails do not make the system degraded');
        assert.deepEqual(body.emails, { transport: 'resend', queued: 2, retrying: 1, failed: 1 });
        assert.ok(!res.body.includes('re_health_secret_key'));
      } finally {
        await system.close();
      }
    });
  });
});
