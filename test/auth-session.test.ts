import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import argon2 from 'argon2';
import { apiLoggerOptions, buildApi } from '../api/app.js';
import { loadConfig } from '../config/env.js';
import { assertError, bearer, handMadeJwt } from './support/http.js';
import { adminToken, startTestSystem, testEnv, unique, type TestSystem } from './support/system.js';

/**
 * A token is only as good as the account behind it, checked on every request: a user that does
 * not exist, was deleted or disabled, signed out, changed their password or must still change it
 * gets no data. Every authenticated answer is kept out of caches.
 */
describe('sessions: the account behind a token is checked on every request', () => {
  let system: TestSystem;
  before(async () => {
    system = await startTestSystem({}, { worker: false });
  });
  after(() => system.close());

  const PASSWORD = 'een-lang-wachtwoord-voor-tests';

  /** A fresh account of its own (never the shared `admin`: other test files use its token). */
  async function account(options: { role?: 'admin' | 'viewer'; mustChange?: boolean } = {}) {
    const username = unique('sessie');
    await system.db('admin_users').insert({
      username,
      password_hash: await argon2.hash(PASSWORD),
      role: options.role ?? 'admin',
      must_change_password: options.mustChange ?? false,
    });
    const token = await adminToken(system.app, username, PASSWORD);
    return { username, token };
  }

  const get = (url: string, token: string) => system.app.inject({ method: 'GET', url, headers: bearer(token) });
  const newCustomer = (token: string) =>
    system.app.inject({
      method: 'POST',
      url: '/api/customers',
      headers: bearer(token),
      payload: { bebsy_customer_id: unique('C'), name: 'Sanne Sessie', email: `${unique('s')}@example.nl` },
    });
  const changePassword = (token: string, current: string, next: string) =>
    system.app.inject({
      method: 'POST',
      url: '/api/auth/change-password',
      headers: bearer(token),
      payload: { current_password: current, new_password: next },
    });

  it('refuses a token signed with the server secret for a user that does not exist (sub 999): 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const sub of [999, '999999999']) {
      const forged = handMadeJwt(system.config.auth.jwtSecret, { sub, username: 'admin', role: 'admin', iat: now, exp: now + 3600 });
      assertError(await get('/api/customers', forged), 401, 'unauthorized');
    }
  });

  it("ends a deleted admin's access at once", async () => {
    const { username, token } = await account();
    assert.equal((await get('/api/customers', token)).statusCode, 200);
    await system.db('admin_users').where({ username }).delete();
    assertError(await get('/api/customers', token), 401, 'unauthorized');
  });

  it("ends a disabled admin's access at once, and a disabled admin cannot sign in", async () => {
    const { username, token } = await account();
    assert.equal((await get('/api/customers', token)).statusCode, 200);
    await system.db('admin_users').where({ username }).update({ disabled_at: system.db.fn.now() });
    assertError(await get('/api/customers', token), 401, 'unauthorized');
    const login = await system.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: PASSWORD } });
    assertError(login, 401, 'invalid_credentials');
  });

  it('takes the role from the account, not from the token: a demoted admin may no longer change anything', async () => {
    const { username, token } = await account();
    assert.equal((await newCustomer(token)).statusCode, 201);
    await system.db('admin_users').where({ username }).update({ role: 'viewer' });
    assertError(await newCustomer(token), 403, 'forbidden');
    assert.equal((await get('/api/customers', token)).statusCode, 200, 'a viewer still reads');
  });

  it('POST /api/auth/logout ends the session: that token (and any other of the account) answers 401 afterwards', async () => {
    const { username, token } = await account();
    const second = await adminToken(system.app, username, PASSWORD);
    const res = await system.app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(token) });
    assert.equal(res.statusCode, 204, res.body);
    assertError(await get('/api/customers', token), 401, 'unauthorized');
    assertError(await get('/api/customers', second), 401, 'unauthorized');
    const again = await adminToken(system.app, username, PASSWORD);
    assert.equal((await get('/api/customers', again)).statusCode, 200, 'signing in again works');
    assertError(await system.app.inject({ method: 'POST', url: '/api/auth/logout' }), 401, 'unauthorized');
  });

  it('a password change ends the sessions issued before it and answers a new token that works', async () => {
    const { username, token } = await account();
    const otherDevice = await adminToken(system.app, username, PASSWORD);
    const res = await changePassword(token, PASSWORD, 'een-ander-lang-wachtwoord-42');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(typeof body.token, 'string');
    assert.equal(body.user.username, username);
    assertError(await get('/api/customers', token), 401, 'unauthorized');
    assertError(await get('/api/customers', otherDevice), 401, 'unauthorized');
    assert.equal((await get('/api/customers', body.token)).statusCode, 200);
  });

  it('a user who must change their password gets 403 password_change_required on everything but the change and sign-out', async () => {
    const { token } = await account({ mustChange: true });
    assertError(await newCustomer(token), 403, 'password_change_required', /password/);
    assertError(await get('/api/customers', token), 403, 'password_change_required');
    assertError(await get('/api/dashboard/stats', token), 403, 'password_change_required');
    assertError(
      await system.app.inject({ method: 'POST', url: '/api/export/customers/link', headers: bearer(token) }),
      403,
      'password_change_required',
    );
    // what the change page needs
    assert.equal((await system.app.inject({ method: 'GET', url: '/api/config' })).statusCode, 200);
    const changed = await changePassword(token, PASSWORD, 'nu-een-eigen-wachtwoord-7');
    assert.equal(changed.statusCode, 200, changed.body);
    assert.equal(changed.json().user.must_change_password, false);
    assert.equal((await newCustomer(changed.json().token)).statusCode, 201);
  });

  it('lets a user who must change their password sign out', async () => {
    const { token } = await account({ mustChange: true });
    const res = await system.app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(token) });
    assert.equal(res.statusCode, 204, res.body);
  });

  it('refuses a common or trivially guessable new password with a 400 that says why, and keeps the old one', async () => {
    const { username, token } = await account();
    for (const weak of ['aaaaaaaaaaaa', 'password1234', 'qwertyuiop12', 'abcdefghijkl', '123456789012', `${username}2024`]) {
      const res = await changePassword(token, PASSWORD, weak);
      const body = assertError(res, 400, 'weak_password', /new_password/);
      assert.deepEqual(
        body.details?.map((d) => d.field),
        ['new_password'],
      );
    }
    assert.equal((await get('/api/customers', token)).statusCode, 200, 'nothing changed: the session still works');
    const row = await system.db('admin_users').where({ username }).first();
    assert.ok(await argon2.verify(row.password_hash, PASSWORD));
  });

  it('sends Cache-Control: no-store with every authenticated answer (and with the sign-in answer, which carries a token)', async () => {
    const { username, token } = await account();
    const customer = (await newCustomer(token)).json();
    for (const url of [
      '/api/customers',
      `/api/customers/${customer.id}`,
      '/api/referrals',
      '/api/dashboard/stats',
      '/api/emails',
      '/api/imports',
    ]) {
      const res = await get(url, token);
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      assert.equal(res.headers['cache-control'], 'no-store', url);
    }
    assert.equal((await newCustomer(token)).headers['cache-control'], 'no-store');
    assert.equal((await get('/api/customers/999999999', token)).headers['cache-control'], 'no-store', 'errors too');
    const login = await system.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: PASSWORD } });
    assert.equal(login.headers['cache-control'], 'no-store');
  });
});

describe('request ids', () => {
  let system: TestSystem;
  before(async () => {
    system = await startTestSystem({}, { worker: false });
  });
  after(() => system.close());

  it("logs one line per request (method, url, status, time) with the client's x-request-id as a field of its own, sanitised and capped; the request id is always ours", async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const app = await buildApi({
      config: system.config,
      db: system.db,
      temporal: { client: system.client, namespace: system.config.temporal.namespace, taskQueue: system.taskQueue, webUrl: '' },
      logger: { ...apiLoggerOptions('info'), stream },
    });
    try {
      const sent = ['abc-123', 'x'.repeat(500), 'fake"}\u001b[31m{"level":60', ''];
      for (const value of sent) {
        await app.inject({ method: 'GET', url: '/api/config', headers: { 'x-request-id': value } });
      }
      const completed = lines.filter((l) => l.msg === 'request completed');
      assert.equal(completed.length, sent.length);
      const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
      for (const line of completed) assert.match(String(line.reqId), uuid, 'our own id, whatever the client sent');
      assert.equal(new Set(completed.map((l) => l.reqId)).size, sent.length, 'one id per request');
      assert.equal(completed[0].clientRequestId, 'abc-123');
      assert.ok(String(completed[1].clientRequestId).length <= 64, 'capped');
      assert.match(String(completed[2].clientRequestId), /^[A-Za-z0-9._:-]*$/, 'sanitised');
      assert.equal(completed[3].clientRequestId, undefined, 'nothing sent, nothing logged');
      assert.equal(lines.filter((l) => l.msg === 'incoming request').length, 0, 'one line per request, at its end');
      assert.deepEqual(
        { req: completed[0].req, status: (completed[0].res as { statusCode: number }).statusCode },
        { req: { method: 'GET', url: '/api/config', host: 'localhost:80', remoteAddress: '127.0.0.1' }, status: 200 },
      );
      assert.equal(typeof completed[0].responseTime, 'number');
    } finally {
      await app.close();
    }
  });
});

describe('the API documentation in production', () => {
  const productionEnv = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    ADMIN_PASSWORD: 'a-long-unique-password',
    BOOKING_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
    DATABASE_URL: testEnv.databaseUrl,
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
  };

  it('is not served in production unless API_DOCS=true', async () => {
    for (const [env, served] of [
      [productionEnv, false],
      [{ ...productionEnv, API_DOCS: 'true' }, true],
    ] as const) {
      const system = await startTestSystem(env, { worker: false });
      try {
        for (const url of ['/api/docs/json', '/api/docs']) {
          const res = await system.app.inject({ method: 'GET', url });
          if (served) assert.ok(res.statusCode < 400, `${url}: ${res.statusCode}`);
          else assert.equal(res.statusCode, 404, `${url} is served in production: ${res.statusCode}`);
        }
      } finally {
        await system.close();
      }
    }
    assert.equal(loadConfig(productionEnv).http.apiDocs, false);
  });
});
