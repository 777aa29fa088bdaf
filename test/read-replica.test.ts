import assert from 'node:assert/strict';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../config/env.js';
import { createDb, type Db } from '../db/knex.js';
import { migrateToLatest } from '../db/migrate.js';
import { generateReferralCode } from '../domain/referral-code.js';
import { dropDatabase, ensureDatabase } from '../scripts/databases.js';
import { freePort } from '../scripts/infra/free-port.js';
import { bearer } from './support/http.js';
import { adminToken, createCustomer, startTestSystem, testEnv, unique, type TestSystem } from './support/system.js';

/**
 * DATABASE_READ_URL: the exports and the dashboard / analytics reads go to the read replica,
 * everything else (and every write, the download token's redemption included) to the primary.
 * The "replica" is a database of its own on the test server, migrated, holding other rows than
 * the primary and read-only (default_transaction_read_only, as a hot standby): an answer shows
 * which database it came from, and a write sent to the replica would fail.
 */
describe('read replica (DATABASE_READ_URL)', () => {
  const replicaName = `bebsy_test_replica_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const tag = unique('rep').toLowerCase();
  let replicaUrl: string;
  let replica: Db;
  let system: TestSystem;
  let token: string;

  const get = (url: string) => system.app.inject({ method: 'GET', url, headers: bearer(token) });
  /**
   * Redemptions of the shared database's links that outlive `after`: a redemption deletes the
   * expired ones (db/repositories/download-redemptions.ts), and earlier suites' links (60 s) have
   * expired by the time this one runs in a full run, so a total would shrink instead of grow.
   */
  const redemptions = async (db: Db, after = new Date(0)) =>
    Number((await db('export_download_redemptions').where('expires_at', '>', after).count({ n: '*' }).first())?.n);

  before(async () => {
    replicaUrl = await ensureDatabase(testEnv.databaseUrl, replicaName);
    const seed = createDb(replicaUrl);
    try {
      await migrateToLatest(seed);
      const [referrer] = await seed('customers')
        .insert({
          bebsy_customer_id: `${tag}-replica`,
          name: 'Only On The Replica',
          email: `replica.${tag}@example.nl`,
          referral_code: generateReferralCode(randomInt),
        })
        .returning(['id']);
      await seed('referrals').insert({
        referrer_id: referrer.id,
        new_customer_email: `friend.${tag}@example.nl`,
        reward_amount_cents: 2500,
        workflow_id: `referral-replica-${tag}`,
        status: 'pending_approval',
        submitted_at: new Date(),
      });
      // a hot standby refuses every write; so does this one, from its next connection on
      await seed.raw(`ALTER DATABASE "${replicaName}" SET default_transaction_read_only = on`);
    } finally {
      await seed.destroy();
    }
    replica = createDb(replicaUrl, { pool: { min: 0, max: 1, idleTimeoutMillis: 1000, connectionTimeoutMillis: 5000 } });

    system = await startTestSystem({ DATABASE_READ_URL: replicaUrl }, { worker: false });
    token = await adminToken(system.app);
  });

  after(async () => {
    await system?.close();
    await replica?.destroy();
    await dropDatabase(testEnv.databaseUrl, replicaName);
  });

  it('a write goes to the primary, and the lists read the primary', async () => {
    const created = await createCustomer(system.app, token, { name: 'Only On The Primary', email: `primary.${tag}@example.nl` });
    await system.db('referrals').insert(
      [1, 2].map((n) => ({
        referrer_id: created.id,
        new_customer_email: `friend${n}.primary.${tag}@example.nl`,
        reward_amount_cents: 2500,
        workflow_id: `referral-primary-${tag}-${n}`,
        status: 'pending_approval',
        submitted_at: new Date(),
      })),
    );
    assert.equal((await replica('customers').where({ email: `primary.${tag}@example.nl` })).length, 0);
    const list = await get(`/api/customers?search=${tag}`);
    assert.equal(list.statusCode, 200, list.body);
    assert.deepEqual(
      list.json().data.map((c: { name: string }) => c.name),
      ['Only On The Primary'],
    );
  });

  it('the exports read the replica', async () => {
    const ndjson = await get(`/api/export/customers?search=${tag}&format=ndjson`);
    assert.equal(ndjson.statusCode, 200, ndjson.body);
    const names = ndjson.body
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { name: string }).name);
    assert.deepEqual(names, ['Only On The Replica']);

    const csv = await get(`/api/export/referrals?search=${tag}`);
    assert.equal(csv.statusCode, 200, csv.body);
    assert.match(csv.body, new RegExp(`friend\\.${tag}@example\\.nl`));
    assert.doesNotMatch(csv.body, /\.primary\./);
  });

  it("a download link's token is redeemed on the primary (a write), its rows read from the replica", async () => {
    const link = await system.app.inject({
      method: 'POST',
      url: `/api/export/customers/link?search=${tag}&format=csv`,
      headers: bearer(token),
    });
    assert.equal(link.statusCode, 200, link.body);
    // a link lives 60 s: only the rows still valid in 30 s are counted, this one's among them
    const unexpiredAt = new Date(Date.now() + 30_000);
    const before = await redemptions(system.db, unexpiredAt);
    const download = await system.app.inject({ method: 'GET', url: link.json().url });
    assert.equal(download.statusCode, 200, download.body);
    assert.match(download.body, /Only On The Replica/);
    assert.doesNotMatch(download.body, /Only On The Primary/);
    assert.equal(await redemptions(system.db, unexpiredAt), before + 1);
    assert.equal(await redemptions(replica), 0);
    // once only: the primary remembers it
    const again = await system.app.inject({ method: 'GET', url: link.json().url });
    assert.equal(again.statusCode, 401);
  });

  it('the dashboard and the analytics read the replica', async () => {
    const stats = await get('/api/dashboard/stats?period=7');
    assert.equal(stats.statusCode, 200, stats.body);
    // the replica holds one referral; the primary at least the two above
    assert.equal(stats.json().referrals.total, 1);
    assert.equal(stats.json().referrals.by_status.pending_approval, 1);

    const conversion = await get('/api/analytics/conversion-rate?period=7');
    assert.equal(conversion.json().submitted, 1);
    const series = await get('/api/analytics/timeseries?period=7');
    assert.equal(
      series.json().days.reduce((sum: number, d: { submitted: number }) => sum + d.submitted, 0),
      1,
    );
    const top = await get('/api/analytics/top-referrers');
    assert.equal(top.statusCode, 200, top.body);
    assert.deepEqual(
      top.json().data.map((r: { name: string; referrals: number }) => [r.name, r.referrals]),
      [['Only On The Replica', 1]],
    );
  });

  it('ready and health check the replica too', async () => {
    const ready = await system.app.inject({ method: 'GET', url: '/api/health/ready' });
    assert.equal(ready.statusCode, 200, ready.body);
    assert.equal(ready.json().replica.status, 'up');
    const health = await system.app.inject({ method: 'GET', url: '/api/health' });
    assert.deepEqual(Object.keys(health.json()).sort(), ['database', 'emails', 'replica', 'status', 'temporal']);
  });

  it('with the replica down: ready stays 200 and reports it (submissions and webhooks go on), /api/health is degraded, the reports answer 503', async () => {
    const down = await startTestSystem({ DATABASE_READ_URL: `postgres://postgres@127.0.0.1:${await freePort()}/none` }, { worker: false });
    try {
      const ready = await down.app.inject({ method: 'GET', url: '/api/health/ready' });
      assert.equal(ready.statusCode, 200, ready.body);
      assert.equal(ready.json().status, 'ready');
      assert.equal(ready.json().database.status, 'up');
      assert.equal(ready.json().replica.status, 'down');
      const health = await down.app.inject({ method: 'GET', url: '/api/health' });
      assert.equal(health.statusCode, 503, health.body);
      assert.equal(health.json().status, 'degraded');
      const token = await adminToken(down.app);
      const stats = await down.app.inject({ method: 'GET', url: '/api/dashboard/stats?period=7', headers: bearer(token) });
      assert.equal(stats.statusCode, 503, stats.body);
      assert.ok(stats.headers['retry-after'], 'with Retry-After');
    } finally {
      await down.close();
    }
  });
});

describe('DATABASE_READ_URL in the configuration', () => {
  it('is optional (null: the primary) and refused in production with the compose default password', () => {
    assert.equal(loadConfig({ NODE_ENV: 'test' }).database.readUrl, null);
    const url = 'postgres://bebsy:s3cr3t-of-our-own@postgres-replica:5432/bebsy_referrals';
    assert.equal(loadConfig({ NODE_ENV: 'test', DATABASE_READ_URL: url }).database.readUrl, url);
    assert.throws(() => loadConfig({ NODE_ENV: 'test', DATABASE_READ_URL: 'replica' }), /DATABASE_READ_URL: must be a postgres:\/\/ URL/);
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(32).toString('base64url'),
      ADMIN_PASSWORD: 'a-long-unique-password',
      BOOKING_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
    };
    assert.throws(
      () => loadConfig({ ...production, DATABASE_READ_URL: 'postgres://bebsy:bebsy@postgres-replica:5432/bebsy_referrals' }),
      (error: unknown) => error instanceof ConfigError && error.problems.some((p) => /^DATABASE_READ_URL: .*password/.test(p)),
    );
    assert.equal(loadConfig({ ...production, DATABASE_READ_URL: url }).database.readUrl, url);
  });
});
