import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, createCustomer, eventually, signedWebhook, startTestSystem, unique, type TestSystem } from './support/system.js';

describe('dashboard stats, runtime config and the public referral-code lookup', () => {
  let system: TestSystem;
  let token: string;
  before(async () => {
    system = await startTestSystem({
      REWARD_HOLD_DAYS: '0',
      AUTO_APPROVE_REFERRALS: 'true',
      AVERAGE_BOOKING_VALUE: '1000',
      FARO_COLLECTOR_URL: 'http://127.0.0.1:12345/collect',
    });
    token = await adminToken(system.app);
  });
  after(() => system.close());
  const auth = () => ({ authorization: `Bearer ${token}` });
  const stats = async (period = 30) => {
    const res = await system.app.inject({ method: 'GET', url: `/api/dashboard/stats?period=${period}`, headers: auth() });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };

  it('counts fresh figures: a paid referral moves submitted, conversion, paid rewards and revenue at once', async () => {
    const before = await stats();
    const referrer = await createCustomer(system.app, token);
    const friend = `${unique('f')}@example.nl`;
    const reference = unique('BK');
    const { id } = (
      await system.app.inject({
        method: 'POST',
        url: '/api/referrals',
        payload: { referrer_code: referrer.referral_code, new_customer_email: friend, booking_reference: reference },
      })
    ).json();
    await eventually(async () => (await system.db('referrals').where({ id }).first()).status === 'awaiting_booking');
    const hook = signedWebhook(system.config.webhooks.bookingSecret, {
      type: 'booking.confirmed',
      data: { booking_reference: reference, customer_email: friend },
    });
    await system.app.inject({ method: 'POST', url: '/api/webhooks/bookings', headers: hook.headers, payload: hook.payload });
    await eventually(async () => (await system.db('referrals').where({ id }).first()).status === 'paid');

    const after = await stats();
    assert.equal(after.referrals.total, before.referrals.total + 1);
    assert.equal(after.referrals.by_status.paid, before.referrals.by_status.paid + 1);
    assert.equal(after.rewards.paid_count, before.rewards.paid_count + 1);
    assert.equal(after.rewards.paid_amount, before.rewards.paid_amount + 25);
    assert.equal(
      after.revenue_impact.booking_value,
      before.revenue_impact.booking_value + 1000,
      'no booking value: AVERAGE_BOOKING_VALUE counts',
    );
    assert.ok(after.conversion_rate > 0 && after.conversion_rate <= 1);
    assert.equal(after.series.length, 30);
    const today = after.series.at(-1);
    assert.ok(today.submitted >= 1 && today.confirmed >= 1 && today.paid >= 1, JSON.stringify(today));
    assert.equal((await stats(7)).series.length, 7);
  });

  it('refuses an unknown period with the allowed values', async () => {
    const res = await system.app.inject({ method: 'GET', url: '/api/dashboard/stats?period=14', headers: auth() });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().message, /period/);
  });

  it('sorts and filters the referral list by period', async () => {
    const newest = (
      await system.app.inject({ method: 'GET', url: '/api/referrals?sort=newest&period=7&limit=100', headers: auth() })
    ).json().data;
    const oldest = (
      await system.app.inject({ method: 'GET', url: '/api/referrals?sort=oldest&period=7&limit=100', headers: auth() })
    ).json().data;
    assert.ok(newest.length > 0);
    assert.deepEqual(
      oldest.map((r: { id: string }) => r.id),
      newest.map((r: { id: string }) => r.id).reverse(),
    );
  });

  it('serves the browser its runtime config, with the Faro collector allowed by the CSP', async () => {
    const res = await system.app.inject({ method: 'GET', url: '/api/config' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json().faro, { url: 'http://127.0.0.1:12345/collect', app_name: 'bebsy-referrals-admin', environment: 'test' });
    assert.match(String(res.headers['content-security-policy']), /connect-src 'self' http:\/\/127\.0\.0\.1:12345/);
  });

  it("tells the landing page the referrer's first name only, and 404s an unknown code", async () => {
    const referrer = await createCustomer(system.app, token, { name: 'Marieke van den Berg' });
    const res = await system.app.inject({ method: 'GET', url: `/api/public/referral-codes/${referrer.referral_code.toLowerCase()}` });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { referral_code: referrer.referral_code, referrer_first_name: 'Marieke' });
    const unknown = await system.app.inject({ method: 'GET', url: '/api/public/referral-codes/ZZZZZZZZ' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error, 'unknown_referral_code');
  });
});
