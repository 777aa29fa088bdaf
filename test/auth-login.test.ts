import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import argon2 from 'argon2';
import { createDb } from '../db/knex.js';
import { freePort } from '../scripts/infra/free-port.js';
import { startTestSystem, testEnv, unique, withEmptyDatabase, type TestSystem } from './support/system.js';

const productionSecrets = () => ({
  JWT_SECRET: randomBytes(32).toString('base64url'),
  ADMIN_PASSWORD: 'a-long-unique-password',
  BOOKING_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
});

describe('sign-in', () => {
  let system: TestSystem;
  before(async () => {
    system = await startTestSystem({}, { worker: false });
  });
  after(() => system.close());

  const login = (username: string, password: string) =>
    system.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });

  /** Median duration of `times` sign-ins. */
  async function medianMs(attempt: () => Promise<unknown>, times: number): Promise<number> {
    const durations: number[] = [];
    for (let i = 0; i < times; i++) {
      const started = performance.now();
      await attempt();
      durations.push(performance.now() - started);
    }
    durations.sort((a, b) => a - b);
    return durations[Math.floor(times / 2)];
  }

  it('takes as long for a username that does not exist as for a known one with a wrong password', async () => {
    const username = unique('timing');
    await system.db('admin_users').insert({ username, password_hash: await argon2.hash('het-echte-wachtwoord-1'), role: 'admin' });
    const known = () => login(username, 'niet-het-wachtwoord');
    const unknown = () => login(unique('niemand'), 'niet-het-wachtwoord');
    for (const res of [await known(), await unknown()]) assert.equal(res.statusCode, 401, res.body); // warm-up, same answer
    const knownMs = await medianMs(known, 7);
    const unknownMs = await medianMs(unknown, 7);
    console.log(`wrong password: ${knownMs.toFixed(1)} ms; unknown user: ${unknownMs.toFixed(1)} ms`);
    const ratio = unknownMs / knownMs;
    assert.ok(ratio > 0.6 && ratio < 1.6, `unknown ${unknownMs.toFixed(1)} ms vs known ${knownMs.toFixed(1)} ms tells which names exist`);
  });

  it('does not sign in with the default password in production, whatever the environment says the admin password is', async () => {
    const username = unique('standaard');
    await system.db('admin_users').insert({ username, password_hash: await argon2.hash('admin123'), role: 'admin' });
    const production = await startTestSystem({ NODE_ENV: 'production', ...productionSecrets() }, { worker: false });
    try {
      const res = await production.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: 'admin123' } });
      assert.equal(res.statusCode, 401, res.body);
    } finally {
      await production.close();
    }
    assert.equal((await login(username, 'admin123')).statusCode, 200, 'in development it still signs in (and must be changed)');
  });
});

/**
 * A database first created in development has `admin` / `admin123`. In production the API
 * process (and `npm start`) must not serve with it, and say in one sentence what to do.
 */
describe('production start with a default admin password', { timeout: 120_000 }, () => {
  for (const [name, entry] of [
    ['the API process (api/main.ts)', 'api/main.ts'],
    ['npm start (scripts/start.ts)', 'scripts/start.ts'],
  ] as const) {
    it(`${name} stops with one sentence naming the account and what to do`, async () => {
      await withEmptyDatabase(async (databaseUrl) => {
        const db = createDb(databaseUrl);
        try {
          await db('admin_users').insert([
            { username: 'admin', password_hash: await argon2.hash('admin123'), role: 'admin', must_change_password: true },
            { username: 'eigen', password_hash: await argon2.hash('een-eigen-sterk-wachtwoord'), role: 'admin' },
          ]);
        } finally {
          await db.destroy();
        }
        const port = await freePort();
        const child = spawn(process.execPath, ['--import', 'tsx', entry], {
          env: {
            ...process.env,
            ...productionSecrets(),
            NODE_ENV: 'production',
            DATABASE_URL: databaseUrl,
            TEMPORAL_ADDRESS: testEnv.temporalAddress,
            TEMPORAL_TASK_QUEUE: unique('refuse-'),
            APPROVAL_DIGEST_CRON: 'off',
            PORT: String(port),
            HOST: '127.0.0.1',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += chunk));
        child.stderr.on('data', (chunk) => (stderr += chunk));
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        let waiting = true;
        const served = (async () => {
          while (waiting) {
            const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then(
              () => true,
              () => false,
            );
            if (ok) return 'served' as const;
            await new Promise((r) => setTimeout(r, 300));
          }
        })();
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([exited, served, new Promise((r) => (timer = setTimeout(() => r('timeout'), 90_000)))]);
        waiting = false;
        clearTimeout(timer);
        if (child.exitCode === null) {
          child.kill('SIGKILL');
          await exited;
        }
        assert.notEqual(outcome, 'served', `it served in production with admin/admin123:\n${stdout}${stderr}`);
        assert.equal(outcome, 1, `exit ${String(outcome)}:\n${stdout}${stderr}`);
        const sentence = stderr.trim().replace(/^\[bebsy\] /, '');
        assert.equal(sentence.split('\n').length, 1, `one sentence, no stack:\n${stderr}`);
        assert.match(sentence, /"admin"/, 'names the account');
        assert.doesNotMatch(sentence, /"eigen"/, 'and only that one');
        assert.match(sentence, /default password/);
        assert.match(sentence, /NODE_ENV=development/, 'says how to change it');
        assert.doesNotMatch(sentence, /admin123/, 'and does not print the password');
      });
    });
  }
});
