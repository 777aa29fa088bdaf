import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { prometheusSample as sample } from '../scripts/infra/prometheus-sample.js';
import { readBusinessFigures, serveMetrics, workerMetricsRegistry } from '../worker/metrics.js';
import { adminToken, createCustomer, startTestSystem, unique, withEmptyDatabase, type TestSystem } from './support/system.js';
import { submitReferral } from './support/http.js';

describe('API /metrics', () => {
  let system: TestSystem;
  before(async () => {
    system = await startTestSystem({}, { worker: false });
  });
  after(() => system.close());

  it('counts requests by route pattern and status, and reports in-flight requests, the pool, memory and event loop lag', async () => {
    const token = await adminToken(system.app);
    const customer = await createCustomer(system.app, token);
    await system.app.inject({ method: 'GET', url: `/api/customers/${customer.id}`, headers: { authorization: `Bearer ${token}` } });
    await system.app.inject({ method: 'GET', url: '/api/customers/999999999', headers: { authorization: `Bearer ${token}` } });
    await system.app.inject({ method: 'GET', url: '/api/nothing-here' });

    const res = await system.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const text = res.body;
    // the route pattern, never the id: one series for every customer
    assert.equal(sample(text, 'bebsy_http_request_duration_seconds_count', 'method="GET",route="/api/customers/:id",status_code="200"'), 1);
    assert.equal(sample(text, 'bebsy_http_request_duration_seconds_count', 'method="GET",route="/api/customers/:id",status_code="404"'), 1);
    assert.equal(sample(text, 'bebsy_http_request_duration_seconds_count', 'method="POST",route="/api/customers",status_code="201"'), 1);
    assert.ok(!text.includes(`/api/customers/${customer.id}"`), 'no raw URL as a label');
    assert.ok(text.includes('route="(unmatched)"') || text.includes('route="/*"'), 'an unknown path is one series');
    assert.equal(sample(text, 'bebsy_http_requests_in_flight'), 1, 'the scrape itself is in flight');
    for (const state of ['used', 'idle', 'waiting'])
      assert.notEqual(sample(text, 'bebsy_db_pool_connections', `state="${state}"`), undefined, state);
    assert.ok((sample(text, 'process_resident_memory_bytes') ?? 0) > 0);
    assert.notEqual(sample(text, 'nodejs_eventloop_lag_seconds'), undefined);
    assert.notEqual(sample(text, 'nodejs_heap_size_used_bytes'), undefined);
  });
});

describe('worker business metrics', () => {
  it('reads referrals by status, rewards in EUR, webhook events, emails and import rows from Postgres, and serves them', async () => {
    await withEmptyDatabase(async (databaseUrl) => {
      const system = await startTestSystem({}, { worker: false, databaseUrl });
      try {
        const token = await adminToken(system.app);
        const referrer = await createCustomer(system.app, token);
        for (const name of ['a', 'b']) {
          const res = await submitReferral(system.app, {
            referrer_code: referrer.referral_code,
            new_customer_email: `${unique(name)}@example.nl`,
          });
          assert.ok([200, 201].includes(res.statusCode), res.body);
        }
        const [first] = await system.db('referrals').select('id').orderBy('id').limit(1);
        await system.db('referrals').where({ id: first.id }).update({ status: 'paid', paid_at: new Date() });
        await system
          .db('rewards')
          .insert({ referral_id: first.id, customer_id: referrer.id, amount_cents: 2500, voucher_code: unique('V') });
        await system
          .db('booking_webhook_inbox')
          .insert({ webhook_id: unique('msg_'), event_type: 'booking.confirmed', booking_reference: 'BK1', payload: {} });
        await system.db('email_outbox').insert({
          idempotency_key: unique('k'),
          kind: 'reward_paid',
          to_address: 'x@example.nl',
          locale: 'nl',
          subject: 's',
          html: 'h',
          text: 't',
          status: 'failed_permanent',
          attempts: 1,
        });

        const backups = Boolean((await system.db.raw("select to_regclass('database_backups') is not null as present")).rows[0].present);
        const goodAt = new Date('2026-01-01T02:00:00Z');
        if (backups) {
          await system.db('database_backups').insert([
            { name: 'bebsy_backup_20260101_020000', status: 'verified', finished_at: goodAt, drill_status: 'passed', drilled_at: goodAt },
            { name: 'bebsy_backup_20260102_020000', status: 'failed', finished_at: new Date('2026-01-02T02:00:00Z') },
          ]);
        }

        const figures = await readBusinessFigures(system.db);
        if (backups) assert.deepEqual(figures.backup, { lastSuccess: goodAt.getTime() / 1000, lastRunOk: false, lastDrillOk: true });
        else assert.equal(figures.backup, null);
        const nonZero = <T extends { count: number }>(rows: T[]) => rows.filter((r) => r.count > 0);
        assert.deepEqual(Object.fromEntries(nonZero(figures.referrals).map((r) => [r.status, r.count])), { paid: 1, submitted: 1 });
        assert.equal(figures.referrals.length, 8, 'every status, 0 when empty');
        assert.deepEqual(nonZero(figures.rewards), [{ status: 'paid', count: 1, euros: 25 }]);
        assert.deepEqual(nonZero(figures.webhookEvents), [{ outcome: 'pending', count: 1 }]);
        assert.deepEqual(nonZero(figures.emails), [{ status: 'failed_permanent', count: 1 }]);
        assert.deepEqual(nonZero(figures.imports), []);

        const served = await serveMetrics(
          workerMetricsRegistry(() => readBusinessFigures(system.db)),
          0,
          '127.0.0.1',
        );
        try {
          const text = await (await fetch(`http://127.0.0.1:${served.port}/metrics`)).text();
          assert.equal(sample(text, 'bebsy_referrals', 'status="paid"'), 1);
          assert.equal(sample(text, 'bebsy_rewards_euros', 'status="paid"'), 25);
          assert.equal(sample(text, 'bebsy_referrals', 'status="pending_approval"'), 0, 'an empty status is a 0, not missing');
          assert.equal(sample(text, 'bebsy_booking_webhook_events', 'outcome="pending"'), 1);
          assert.equal(sample(text, 'bebsy_emails', 'status="failed_permanent"'), 1);
          assert.equal(sample(text, 'bebsy_business_metrics_up'), 1);
          if (!backups) assert.ok(!text.includes('bebsy_backup_last_run_success{'), 'no backup, no series');
          if (backups) {
            assert.equal(sample(text, 'bebsy_backup_last_success_timestamp_seconds', 'kind="database"'), goodAt.getTime() / 1000);
            assert.equal(sample(text, 'bebsy_backup_last_run_success', 'kind="database"'), 0);
            assert.equal(sample(text, 'bebsy_backup_drill_last_success', 'kind="database"'), 1);
          }
          assert.equal((await fetch(`http://127.0.0.1:${served.port}/other`)).status, 404);
        } finally {
          await served.close();
        }
      } finally {
        await system.close();
      }
    });
  });

  it('says bebsy_business_metrics_up 0 when Postgres cannot answer, and keeps serving', async () => {
    const registry = workerMetricsRegistry(() => Promise.reject(new Error('connection refused')));
    const text = await registry.metrics();
    assert.equal(sample(text, 'bebsy_business_metrics_up'), 0);
    assert.ok(text.includes('process_resident_memory_bytes'));
  });
});
