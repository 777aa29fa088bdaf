import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { buildApi } from '../api/app.js';
import { loadConfig } from '../config/env.js';
import { createDb } from '../db/knex.js';
import { freePort } from '../scripts/infra/free-port.js';
import { testEnv } from './support/system.js';

/** Kubernetes' probes: live checks nothing but the process; ready checks Postgres and Temporal. */
describe('health: live and ready', () => {
  async function probe(databaseUrl: string, temporalAddress: string, url: string) {
    const db = createDb(databaseUrl, { pool: { min: 0, max: 1, idleTimeoutMillis: 1000, connectionTimeoutMillis: 1500 } });
    const connection = await Connection.connect({ address: temporalAddress, interceptors: [] });
    const app = await buildApi({
      config: loadConfig({ NODE_ENV: 'test' }),
      db,
      temporal: { client: new Client({ connection }), namespace: 'default', taskQueue: 'none', webUrl: '' },
      logger: false,
    });
    try {
      const res = await app.inject({ method: 'GET', url });
      return { status: res.statusCode, body: res.json() };
    } finally {
      await app.close();
      await db.destroy();
      await connection.close();
    }
  }

  it('live and ready answer 200 with both dependencies up; /api/health keeps its shape', async () => {
    assert.deepEqual(await probe(testEnv.databaseUrl, testEnv.temporalAddress, '/api/health/live'), {
      status: 200,
      body: { status: 'live' },
    });
    const ready = await probe(testEnv.databaseUrl, testEnv.temporalAddress, '/api/health/ready');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ready');
    assert.equal(ready.body.database.status, 'up');
    assert.equal(ready.body.temporal.status, 'up');
    const health = await probe(testEnv.databaseUrl, testEnv.temporalAddress, '/api/health');
    assert.deepEqual(Object.keys(health.body).sort(), ['database', 'emails', 'status', 'temporal']);
  });

  it('with Postgres down: live stays 200, ready is 503 naming the database', async () => {
    const down = `postgres://postgres@127.0.0.1:${await freePort()}/none`;
    assert.equal((await probe(down, testEnv.temporalAddress, '/api/health/live')).status, 200);
    const ready = await probe(down, testEnv.temporalAddress, '/api/health/ready');
    assert.equal(ready.status, 503);
    assert.equal(ready.body.status, 'not_ready');
    assert.equal(ready.body.database.status, 'down');
    assert.equal(ready.body.temporal.status, 'up');
  });

  it('with Temporal unreachable: ready is 503 naming Temporal', async () => {
    const ready = await probe(testEnv.databaseUrl, `127.0.0.1:${await freePort()}`, '/api/health/ready').catch((error: Error) => error);
    // Connection.connect is lazy for an address nothing listens on only when it is; either way it is never ready
    if (ready instanceof Error) return;
    assert.equal(ready.status, 503);
    assert.equal(ready.body.temporal.status, 'down');
  });
});
