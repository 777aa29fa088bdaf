import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import argon2 from 'argon2';
import type { LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { assertError, bearer, handMadeJwt } from './support/http.js';
import { adminToken, signedWebhook, startTestSystem, unique, type TestSystem } from './support/system.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const FIFTEEN_MINUTES = 15 * 60;

/** A documentation-range address of its own per call, so tests do not share a client's counts. */
let lastOctets = 0;
const freshIp = () => {
  lastOctets++;
  return `198.51.${Math.floor(lastOctets / 250)}.${(lastOctets % 250) + 1}`;
};

/** The 429 in the API's error shape, with Retry-After and the RateLimit-* headers. */
function assertLimited(res: LightMyRequestResponse, limit: number, windowSeconds: number) {
  assertError(res, 429, 'rate_limited', /.+/);
  const retryAfter = Number(res.headers['retry-after']);
  assert.ok(retryAfter > 0 && retryAfter <= windowSeconds, `Retry-After ${res.headers['retry-after']}`);
  assert.equal(Number(res.headers['ratelimit-limit']), limit);
  assert.equal(Number(res.headers['ratelimit-remaining']), 0);
  assert.ok(Number(res.headers['ratelimit-reset']) > 0, `RateLimit-Reset ${res.headers['ratelimit-reset']}`);
}

describe('rate limits at their defaults', () => {
  let system: TestSystem;
  let password: string;
  let username: string;
  before(async () => {
    system = await startTestSystem({}, { worker: false, rateLimits: 'real' });
    username = unique('limiet');
    password = 'een-wachtwoord-voor-limieten';
    await system.db('admin_users').insert({ username, password_hash: await argon2.hash(password), role: 'admin' });
  });
  after(() => system.close());

  const from = (ip: string) => ({
    get: (url: string, headers: Record<string, string> = {}) => system.app.inject({ method: 'GET', url, headers, remoteAddress: ip }),
    post: (url: string, payload: object, headers: Record<string, string> = {}) =>
      system.app.inject({ method: 'POST', url, payload, headers, remoteAddress: ip }),
    login: (name: string, pass: string) =>
      system.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: name, password: pass }, remoteAddress: ip }),
  });

  it('answers 429 rate_limited with Retry-After and RateLimit-* after 100 unauthenticated API requests from one IP in 15 minutes', async () => {
    const client = from(freshIp());
    for (let i = 1; i <= 100; i++) {
      const res = await client.get('/api/config');
      assert.equal(res.statusCode, 200, `request ${i}: ${res.body}`);
      if (i === 1) {
        assert.equal(res.headers['ratelimit-limit'], '100');
        assert.equal(res.headers['ratelimit-remaining'], '99');
      }
    }
    assertLimited(await client.get('/api/config'), 100, FIFTEEN_MINUTES);
    assertLimited(await client.get('/api/no-such-route'), 100, FIFTEEN_MINUTES);
    assert.equal((await from(freshIp()).get('/api/config')).statusCode, 200, 'another address is not affected');
  });

  it('leaves /api/health (load balancers, monitoring) and the admin UI files out of the API limit', async () => {
    const client = from(freshIp());
    for (let i = 0; i < 100; i++) await client.get('/api/config');
    assert.equal((await client.get('/api/config')).statusCode, 429);
    assert.equal((await client.get('/api/health')).statusCode, 200);
    assert.notEqual((await client.get('/')).statusCode, 429);
    assert.notEqual((await client.get('/referrals')).statusCode, 429);
  });

  it('gives a signed-in admin their own, higher limit per user instead of the per-IP one; a forged token counts as anonymous', async () => {
    const ip = freshIp();
    const client = from(ip);
    const token = (await client.login(username, password)).json().token as string;
    for (let i = 0; i < 100; i++) await client.get('/api/config');
    assert.equal((await client.get('/api/config')).statusCode, 429, 'the address is out of anonymous requests');
    const res = await client.get('/api/customers', bearer(token));
    assert.equal(res.statusCode, 200, res.body);
    assert.ok(Number(res.headers['ratelimit-limit']) > 100, `the admin limit: ${res.headers['ratelimit-limit']}`);
    const forged = handMadeJwt('not-the-server-secret-but-long-enough!!', { sub: '1', username: 'admin', role: 'admin' });
    assert.equal((await client.get('/api/customers', bearer(forged))).statusCode, 429, 'a token that does not verify is anonymous');
  });

  it('counts failed sign-ins only: 5 per IP in 15 minutes, then 429 even with the right password', async () => {
    const client = from(freshIp());
    for (let i = 0; i < 8; i++) assert.equal((await client.login(username, password)).statusCode, 200, 'successful sign-ins do not count');
    for (let i = 0; i < 5; i++) assertError(await client.login(unique('wie'), 'fout-wachtwoord'), 401, 'invalid_credentials');
    assertLimited(await client.login(username, password), 5, FIFTEEN_MINUTES);
    assert.equal((await from(freshIp()).login(username, password)).statusCode, 200, 'another address signs in');
  });

  it('limits failed sign-ins per account across addresses, for unknown usernames the same as for known ones', async () => {
    for (const name of [username, unique('onbekend')]) {
      for (let i = 0; i < 10; i++) assertError(await from(freshIp()).login(name, 'fout-wachtwoord'), 401, 'invalid_credentials');
      const res = await from(freshIp()).login(name.toUpperCase(), name === username ? password : 'fout-wachtwoord');
      assertLimited(res, 10, FIFTEEN_MINUTES);
    }
  });

  it('gives the public referral form its own per-IP limit', async () => {
    const client = from(freshIp());
    let limit = 0;
    for (;;) {
      const res = await client.post('/api/referrals', {}); // invalid, yet a request like any other
      if (res.statusCode === 429) {
        assertLimited(res, limit, FIFTEEN_MINUTES);
        break;
      }
      assert.equal(res.statusCode, 400, res.body);
      limit = Number(res.headers['ratelimit-limit']);
      assert.ok(limit > 0 && limit < 100, `the form's limit: ${res.headers['ratelimit-limit']}`);
    }
    assert.equal((await client.get('/api/config')).statusCode, 200, 'the form has a limit of its own');
  });

  it("gives the public code lookup its own per-IP limit (it tells the owner's first name)", async () => {
    const client = from(freshIp());
    let limit = 0;
    for (let i = 0; ; i++) {
      const res = await client.get(`/api/public/referral-codes/ABCDEFG${i % 10}`);
      if (res.statusCode === 429) {
        assertLimited(res, limit, FIFTEEN_MINUTES);
        break;
      }
      assert.ok([200, 404].includes(res.statusCode), res.body);
      limit = Number(res.headers['ratelimit-limit']);
      assert.ok(limit > 0 && limit <= 100, `the lookup's limit: ${res.headers['ratelimit-limit']}`);
    }
    assert.equal((await client.get('/api/config')).statusCode, 200);
  });

  it('gives booking webhooks a generous limit of their own, not the API limit of 100', async () => {
    const client = from(freshIp());
    for (let i = 0; i < 150; i++) {
      const webhook = signedWebhook(system.config.webhooks.bookingSecret, { type: 'nonsense' });
      const res = await system.app.inject({
        method: 'POST',
        url: '/api/webhooks/bookings',
        headers: { ...webhook.headers, 'webhook-signature': 'v1,bm90LXRoZS1zaWduYXR1cmU=' },
        payload: webhook.payload,
        remoteAddress: '203.0.113.77',
      });
      assert.equal(res.statusCode, 401, `webhook ${i}: ${res.body}`);
    }
    assert.equal((await client.get('/api/config')).statusCode, 200);
  });
});

describe('rate limits configured by environment', () => {
  it('applies RATE_LIMIT_* values: a tight webhook limit, a tight admin limit per user', async () => {
    const system = await startTestSystem({ RATE_LIMIT_WEBHOOKS: '3/1m', RATE_LIMIT_ADMIN: '4/1m' }, { worker: false, rateLimits: 'real' });
    try {
      for (let i = 0; i < 4; i++) {
        const webhook = signedWebhook(system.config.webhooks.bookingSecret, { type: 'nonsense' });
        const res = await system.app.inject({
          method: 'POST',
          url: '/api/webhooks/bookings',
          headers: webhook.headers,
          payload: webhook.payload,
          remoteAddress: '203.0.113.9',
        });
        if (i < 3) assert.notEqual(res.statusCode, 429);
        else assertLimited(res, 3, 60);
      }
      const names = [unique('een'), unique('twee')];
      for (const name of names)
        await system.db('admin_users').insert({ username: name, password_hash: await argon2.hash('wachtwoord-lang-1'), role: 'admin' });
      const [first, second] = [
        await adminToken(system.app, names[0], 'wachtwoord-lang-1'),
        await adminToken(system.app, names[1], 'wachtwoord-lang-1'),
      ];
      for (let i = 0; i < 4; i++)
        assert.equal((await system.app.inject({ method: 'GET', url: '/api/customers', headers: bearer(first) })).statusCode, 200);
      assertLimited(await system.app.inject({ method: 'GET', url: '/api/customers', headers: bearer(first) }), 4, 60);
      assert.equal(
        (await system.app.inject({ method: 'GET', url: '/api/customers', headers: bearer(second) })).statusCode,
        200,
        'per user',
      );
    } finally {
      await system.close();
    }
  });

  it('switches every limit off with RATE_LIMIT_ENABLED=false, or one with "off" (what benchmarks set)', async () => {
    const settings: Record<string, string>[] = [
      { RATE_LIMIT_ENABLED: 'false' },
      { RATE_LIMIT_REFERRAL_FORM: 'off', RATE_LIMIT_API: 'off' },
    ];
    for (const env of settings) {
      const system = await startTestSystem(env, { worker: false, rateLimits: 'real' });
      try {
        for (let i = 0; i < 150; i++) {
          const res = await system.app.inject({ method: 'POST', url: '/api/referrals', payload: {}, remoteAddress: '203.0.113.10' });
          assert.equal(res.statusCode, 400, `${JSON.stringify(env)}, request ${i}: ${res.body}`);
        }
      } finally {
        await system.close();
      }
    }
  });
});

describe('rate limits shared through Redis (REDIS_URL)', () => {
  let redis: Redis;
  const prefix = `bebsy-test:${randomUUID()}:`;
  before(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect().catch((error: Error) => {
      throw new Error(`no Redis at ${REDIS_URL} (set TEST_REDIS_URL): ${error.message}`);
    });
  });
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('counts across API instances: two APIs on one Redis see one limit, and the counts live in Redis under the prefix', async () => {
    const env = { REDIS_URL, RATE_LIMIT_REDIS_PREFIX: prefix };
    const [a, b] = [
      await startTestSystem(env, { worker: false, rateLimits: 'real' }),
      await startTestSystem(env, { worker: false, rateLimits: 'real' }),
    ];
    try {
      const ip = '203.0.113.50';
      const failedLogin = (system: TestSystem) =>
        system.app.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: unique('niemand'), password: 'fout-wachtwoord' },
          remoteAddress: ip,
        });
      for (const system of [a, b, a, b, a]) assert.equal((await failedLogin(system)).statusCode, 401);
      assertLimited(await failedLogin(b), 5, FIFTEEN_MINUTES);

      for (let i = 0; i < 50; i++) await a.app.inject({ method: 'GET', url: '/api/config', remoteAddress: '203.0.113.51' });
      for (let i = 0; i < 50; i++) await b.app.inject({ method: 'GET', url: '/api/config', remoteAddress: '203.0.113.51' });
      assertLimited(await a.app.inject({ method: 'GET', url: '/api/config', remoteAddress: '203.0.113.51' }), 100, FIFTEEN_MINUTES);
      assert.ok((await redis.keys(`${prefix}*`)).length >= 2, 'the counts are in Redis');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps serving when Redis is unreachable (the limits fail open), instead of failing every request', async () => {
    const system = await startTestSystem(
      { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_REDIS_PREFIX: prefix },
      { worker: false, rateLimits: 'real' },
    );
    try {
      const res = await system.app.inject({ method: 'GET', url: '/api/config' });
      assert.equal(res.statusCode, 200, res.body);
    } finally {
      await system.close();
    }
  });
});
