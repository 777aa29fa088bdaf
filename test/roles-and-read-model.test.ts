import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import argon2 from 'argon2';
import { recordTransition } from '../db/repositories/lifecycle.js';
import { adminToken, createCustomer, eventually, startTestSystem, unique, type TestSystem } from './support/system.js';

describe('roles', () => {
  let system: TestSystem;
  before(async () => {
    system = await startTestSystem();
  });
  after(() => system.close());

  it('lets a viewer read but not change anything (403 that says why)', async () => {
    const username = unique('viewer');
    await system.db('admin_users').insert({ username, password_hash: await argon2.hash('viewer-password-1'), role: 'viewer' });
    const viewer = await adminToken(system.app, username, 'viewer-password-1');
    const headers = { authorization: `Bearer ${viewer}` };
    assert.equal((await system.app.inject({ method: 'GET', url: '/api/referrals', headers })).statusCode, 200);
    for (const [method, url, payload] of [
      ['POST', '/api/customers', { bebsy_customer_id: unique('C'), name: 'X', email: `${unique('v')}@example.nl` }],
      ['PUT', '/api/referrals/1/status', { status: 'approved' }],
      ['POST', '/api/referrals/bulk-update', { referralIds: ['1'], status: 'approved' }],
    ] as const) {
      const res = await system.app.inject({ method, url, headers, payload });
      assert.equal(res.statusCode, 403, `${method} ${url}: ${res.body}`);
      assert.equal(res.json().error, 'forbidden');
      assert.match(res.json().message, /viewer/);
    }
  });
});

describe('the read model', () => {
  let system: TestSystem;
  before(async () => {
    system = await startTestSystem();
  });
  after(() => system.close());

  it('records a transition whose booking reference another referral owns, without taking the reference', async () => {
    const token = await adminToken(system.app);
    const referrer = await createCustomer(system.app, token);
    const submit = async (booking_reference?: string) =>
      (
        await system.app.inject({
          method: 'POST',
          url: '/api/referrals',
          payload: { referrer_code: referrer.referral_code, new_customer_email: `${unique('f')}@example.nl`, booking_reference },
        })
      ).json().id as string;
    const owner = await submit(unique('BK'));
    const other = await submit();
    await eventually(async () => (await system.db('referrals').where({ id: other }).first()).status === 'awaiting_booking');
    const taken = (await system.db('referrals').where({ id: owner }).first()).booking_reference;

    // seq far beyond the workflow's own counter, so this write does not collide with it
    await recordTransition(system.db, {
      referralId: other,
      seq: 1000,
      from: 'awaiting_booking',
      to: 'pending_approval',
      at: new Date().toISOString(),
      actor: 'booking-system',
      booking: { reference: taken, valueCents: 1000, currency: 'EUR', departureDate: null },
    });
    const row = await system.db('referrals').where({ id: other }).first();
    assert.equal(row.status, 'pending_approval');
    assert.equal(row.booking_reference, null);
    assert.equal(row.booking_value_cents, 1000);
  });
});
