import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../config/env.js';

describe('configuration', () => {
  it("runs on embedded defaults with the seed's meanings", () => {
    const config = loadConfig({});
    assert.equal(config.http.port, 3001);
    assert.equal(config.referrals.rewardAmountCents, 2500);
    assert.equal(config.referrals.averageBookingValueCents, 150_000);
    assert.equal(config.referrals.maxReferralsPerCustomer, 0);
    assert.equal(config.referrals.expiryDays, 90);
    assert.equal(config.referrals.rewardHoldDays, 14);
    assert.equal(config.database.url, null);
    assert.equal(config.temporal.address, null);
    assert.match(config.webhooks.bookingSecret, /^whsec_/);
  });

  it("builds the database URL from the seed's DB_* variables", () => {
    const config = loadConfig({
      DB_HOST: 'db.internal',
      DB_USER: 'bebsy',
      DB_PASSWORD: 'p@ss word',
      DB_NAME: 'referrals',
      DB_POOL_MAX: '20',
    });
    assert.equal(config.database.url, 'postgres://bebsy:p%40ss%20word@db.internal:5432/referrals');
    assert.equal(config.database.pool.max, 20);
  });

  it('reads euros as cents and booleans in their usual spellings', () => {
    const config = loadConfig({ DEFAULT_REWARD_AMOUNT: '12.50', AUTO_APPROVE_REFERRALS: 'true', REQUIRE_BOOKING_REFERENCE: '1' });
    assert.equal(config.referrals.rewardAmountCents, 1250);
    assert.equal(config.referrals.autoApprove, true);
    assert.equal(config.referrals.requireBookingReference, true);
  });

  it('points email links at the port the API runs on unless FRONTEND_URL says otherwise', () => {
    assert.equal(loadConfig({ PORT: '3101' }).email.frontendUrl, 'http://localhost:3101');
    assert.equal(loadConfig({ PORT: '3101' }).http.frontendUrl, 'http://localhost:3101');
    assert.equal(loadConfig({ PORT: '3101', FRONTEND_URL: 'https://referrals.bebsy.nl' }).email.frontendUrl, 'https://referrals.bebsy.nl');
  });

  it('logs JSON lines unless asked for pretty lines or writing to a terminal outside production', () => {
    assert.equal(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat, 'pretty');
    assert.equal(
      loadConfig({
        NODE_ENV: 'production',
        JWT_SECRET: 'x'.repeat(40),
        ADMIN_PASSWORD: 'a-strong-one-here',
        BOOKING_WEBHOOK_SECRET: 'whsec_YmVic3ktcHJvZHVjdGlvbi1zZWNyZXQ=',
      }).logFormat,
      'json',
    );
    assert.equal(loadConfig({}).logFormat, process.stdout.isTTY ? 'pretty' : 'json');
    assert.throws(() => loadConfig({ LOG_FORMAT: 'xml' }), /LOG_FORMAT: must be json or pretty/);
  });

  it('names every bad variable', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty', AUTO_APPROVE_REFERRALS: 'sometimes', BOOKING_WEBHOOK_SECRET: 'plain' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /PORT: must be a number/);
        assert.match(error.message, /AUTO_APPROVE_REFERRALS: must be true or false/);
        assert.match(error.message, /BOOKING_WEBHOOK_SECRET: must be a Standard Webhooks secret/);
        return true;
      },
    );
  });

  it('refuses production with a weak JWT_SECRET or the default admin password, and says why', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short', ADMIN_PASSWORD: 'admin123' }),
      (error: unknown) => {
        assert.match((error as Error).message, /JWT_SECRET: must be set to at least 32 characters/);
        assert.match((error as Error).message, /ADMIN_PASSWORD: the default admin password is not allowed/);
        return true;
      },
    );
    const ok = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      ADMIN_PASSWORD: 'a-long-unique-password',
      BOOKING_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
    });
    assert.equal(ok.isProduction, true);
  });

  it('refuses production without BOOKING_WEBHOOK_SECRET, and says why', () => {
    // Everything else production asks for, strong and of this test's own.
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(36).toString('base64url'),
      ADMIN_PASSWORD: randomBytes(18).toString('base64url'),
    };
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    assert.throws(
      () => loadConfig(production),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /BOOKING_WEBHOOK_SECRET: must be set in production \(booking webhooks are refused without it\)/);
        assert.doesNotMatch(error.message, /JWT_SECRET|ADMIN_PASSWORD/, 'only the missing secret is named');
        return true;
      },
    );
    // Outside production the development secret stands in, so the README's curl examples can sign.
    assert.match(loadConfig({ JWT_SECRET: 'x'.repeat(32) }).webhooks.bookingSecret, /^whsec_/);
    assert.equal(loadConfig({ ...production, BOOKING_WEBHOOK_SECRET: secret }).webhooks.bookingSecret, secret);
  });
});
