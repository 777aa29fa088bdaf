import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { buildApi } from '../api/app.js';
import { loadConfig } from '../config/env.js';
import { createDb } from '../db/knex.js';
import { freePort } from '../scripts/infra/free-port.js';
import { startDevTemporal } from '../scripts/infra/dev-temporal.js';
import { testEnv } from './support/system.js';

/** /api/health answers 503 and names the part that is down. */
describe('health when a dependency is down', () => {
  async function healthWith(databaseUrl: string, temporalAddress: string, beforeCheck = async () => {}) {
    const config = loadConfig({ NODE_ENV: 'test' });
    const db = createDb(databaseUrl, { pool: { min: 0, max: 1, idleTimeoutMillis: 1000, connectionTimeoutMillis: 1500 } });
    // No gRPC retry interceptor: the SDK's retry timer outlives connection.close() and throws
    // "Channel has been shut down" after the test; the route's own timeout is what is tested.
    const connection = await Connection.connect({ address: temporalAddress, interceptors: [] });
    await beforeCheck();
    const app = await buildApi({ config, db, temporal: { client: new Client({ connection }), namespace: 'default', taskQueue: 'none', webUrl: '' }, logger: false });
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
  });

  it('503 with Temporal down', async () => {
    const doomed = await startDevTemporal({ searchAttributes: {}, uiPort: false });
    const { status, body } = await healthWith(testEnv.databaseUrl, doomed.address, doomed.stop);
    assert.equal(status, 503);
    assert.equal(body.database.status, 'up');
    assert.equal(body.temporal.status, 'down');
  });
});
