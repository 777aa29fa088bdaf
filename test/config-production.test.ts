import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../config/env.js';

/**
 * Production refuses every secret the world knows: the development defaults in config/env.ts,
 * the example values the README, docs/ and .env.example show, and the Standard Webhooks
 * specification's test vector. The refusal names the variable and never prints the value.
 */

/** A production environment with secrets of its own. */
const production = () => ({
  NODE_ENV: 'production',
  JWT_SECRET: randomBytes(32).toString('base64url'),
  ADMIN_PASSWORD: 'a-long-unique-password',
  BOOKING_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
});

/** Asserts that loadConfig refuses the environment, naming `variable`, without printing `secret`. */
function assertRefused(env: Record<string, string>, variable: string, secret: string, reason = /publicly known|example|development/) {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      const line = error.problems.find((p) => p.startsWith(`${variable}:`));
      assert.ok(line, `no problem names ${variable}: ${error.message}`);
      assert.match(line, reason);
      assert.ok(!error.message.includes(secret), `the refusal prints the secret: ${error.message}`);
      return true;
    },
  );
}

/** Every file a reader copies values from: the README, the docs, .env.example. */
function documentationFiles(): string[] {
  return ['README.md', '.env.example', 'docker-compose.yml', ...readdirSync('docs').map((f) => `docs/${f}`)].filter(
    (f) => f.endsWith('.md') || f.endsWith('.example') || f.endsWith('.yml'),
  );
}

describe('production refuses publicly known secrets', () => {
  it('starts with secrets of its own', () => {
    const config = loadConfig(production());
    assert.equal(config.isProduction, true);
  });

  it("refuses config/env.ts's development JWT secret, naming JWT_SECRET", () => {
    const secret = 'development-only-jwt-secret-change-me-in-production';
    assertRefused({ ...production(), JWT_SECRET: secret }, 'JWT_SECRET', secret);
  });

  it("refuses the development webhook secret of the README's curl walk, naming BOOKING_WEBHOOK_SECRET", () => {
    const secret = `whsec_${Buffer.from('bebsy-development-webhook-secret').toString('base64')}`;
    assertRefused({ ...production(), BOOKING_WEBHOOK_SECRET: secret }, 'BOOKING_WEBHOOK_SECRET', secret);
  });

  it("refuses the Standard Webhooks specification's example secret (its test vector, in every library's docs)", () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    assertRefused({ ...production(), BOOKING_WEBHOOK_SECRET: secret }, 'BOOKING_WEBHOOK_SECRET', secret);
  });

  it('refuses every webhook secret and JWT secret that the README, docs/, .env.example or the compose file show', () => {
    let found = 0;
    for (const file of documentationFiles()) {
      const text = readFileSync(file, 'utf8');
      for (const [secret] of text.matchAll(/whsec_[A-Za-z0-9+/=]{16,}/g)) {
        found++;
        assertRefused({ ...production(), BOOKING_WEBHOOK_SECRET: secret }, 'BOOKING_WEBHOOK_SECRET', secret);
      }
      for (const [, secret] of text.matchAll(/JWT_SECRET=([^\s#"'`]{32,})/g)) {
        found++;
        assertRefused({ ...production(), JWT_SECRET: secret }, 'JWT_SECRET', secret);
      }
    }
    assert.ok(found >= 1, 'the README shows the development webhook secret: the scan must find it');
  });

  it("refuses the compose file's default database password (POSTGRES_PASSWORD unset), in DATABASE_URL or DB_PASSWORD", () => {
    assertRefused(
      { ...production(), DATABASE_URL: 'postgres://bebsy:bebsy@postgres:5432/bebsy_referrals' },
      'DATABASE_URL',
      'bebsy',
      /password/,
    );
    assertRefused({ ...production(), DB_HOST: 'db.internal', DB_PASSWORD: 'bebsy' }, 'DB_PASSWORD', 'bebsy', /password/);
    const own = loadConfig({ ...production(), DATABASE_URL: 'postgres://bebsy:s3cr3t-of-our-own@postgres:5432/bebsy_referrals' });
    assert.match(own.database.url!, /s3cr3t-of-our-own/);
  });

  it('refuses an ADMIN_PASSWORD that is a common password or trivially guessable, as it refuses admin123', () => {
    for (const password of ['admin123', 'aaaaaaaaaaaa', 'password1234', 'qwertyuiop12', 'Welkom123456']) {
      assertRefused({ ...production(), ADMIN_PASSWORD: password }, 'ADMIN_PASSWORD', password, /.+/);
    }
  });

  it('keeps the development defaults outside production, so the quick start and the README walk work', () => {
    const config = loadConfig({});
    assert.equal(config.auth.jwtSecret, 'development-only-jwt-secret-change-me-in-production');
    assert.equal(config.webhooks.bookingSecret, `whsec_${Buffer.from('bebsy-development-webhook-secret').toString('base64')}`);
    assert.equal(config.auth.adminPassword, 'admin123');
  });
});

describe('the API documentation switch (API_DOCS)', () => {
  it('is off by default in production and on elsewhere; API_DOCS decides when set', () => {
    assert.equal(loadConfig(production()).http.apiDocs, false);
    assert.equal(loadConfig({ ...production(), API_DOCS: 'true' }).http.apiDocs, true);
    assert.equal(loadConfig({}).http.apiDocs, true);
    assert.equal(loadConfig({ NODE_ENV: 'test' }).http.apiDocs, true);
    assert.equal(loadConfig({ API_DOCS: 'false' }).http.apiDocs, false);
    assert.throws(() => loadConfig({ API_DOCS: 'maybe' }), /API_DOCS: must be true or false/);
  });
});

describe('rate limit settings', () => {
  it("defaults to the seed's limits, each its own variable", () => {
    const { rateLimit } = loadConfig({});
    assert.equal(rateLimit.enabled, true);
    assert.deepEqual(rateLimit.api, { max: 100, windowMs: 15 * 60_000 });
    assert.deepEqual(rateLimit.loginIp, { max: 5, windowMs: 15 * 60_000 });
    assert.ok(rateLimit.admin && rateLimit.admin.max > rateLimit.api!.max, 'signed-in admins get more than anonymous traffic');
    assert.ok(rateLimit.loginAccount && rateLimit.referralForm && rateLimit.codeLookup && rateLimit.webhooks);
    assert.equal(rateLimit.redisUrl, null);
  });

  it('reads "<max>/<window>" and "off", and names a bad value', () => {
    const { rateLimit } = loadConfig({
      RATE_LIMIT_REFERRAL_FORM: '1000/1s',
      RATE_LIMIT_CODE_LOOKUP: 'off',
      RATE_LIMIT_WEBHOOKS: '50/2h',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    assert.deepEqual(rateLimit.referralForm, { max: 1000, windowMs: 1000 });
    assert.equal(rateLimit.codeLookup, null);
    assert.deepEqual(rateLimit.webhooks, { max: 50, windowMs: 2 * 3600_000 });
    assert.equal(rateLimit.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(loadConfig({ RATE_LIMIT_ENABLED: 'false' }).rateLimit.enabled, false);
    assert.throws(() => loadConfig({ RATE_LIMIT_API: 'lots' }), /RATE_LIMIT_API: must be "<max>\/<window>"/);
    assert.throws(() => loadConfig({ RATE_LIMIT_LOGIN_IP: '5/15' }), /RATE_LIMIT_LOGIN_IP/);
  });

  it('reads TRUST_PROXY: off by default, true, a hop count or addresses', () => {
    assert.equal(loadConfig({}).http.trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: 'true' }).http.trustProxy, true);
    assert.equal(loadConfig({ TRUST_PROXY: '1' }).http.trustProxy, 1);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).http.trustProxy, ['10.0.0.0/8', '127.0.0.1']);
  });
});
