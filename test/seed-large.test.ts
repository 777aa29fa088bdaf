import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isEmail } from '../domain/email.js';
import { isReferralCode } from '../domain/referral-code.js';
import { REFERRAL_STATUSES } from '../domain/referral-status.js';
import { createDb, type Db } from '../db/knex.js';
import { ALT_OFFSET, CODE_SPACE, CodeClashes, CodeScrambler } from '../scripts/seed-large/codes.js';
import { referralCodes } from '../scripts/seed-large/customers.js';
import { seedLarge, type SeedResult } from '../scripts/seed-large/seed.js';
import { testEnv } from './support/system.js';

describe('seed:large code scrambler', () => {
  it('is a bijection onto 8-character referral codes, and decodes back', () => {
    const scrambler = new CodeScrambler('test');
    const seen = new Set<string>();
    for (const n of [
      0,
      1,
      2,
      999_999,
      1_000_000,
      ALT_OFFSET + 5,
      CODE_SPACE - 1,
      ...Array.from({ length: 20_000 }, (_, i) => 5_000_000 + i),
    ]) {
      const code = scrambler.encode(n);
      assert.ok(isReferralCode(code), code);
      assert.equal(scrambler.decode(code), n);
      assert.ok(!seen.has(code), `duplicate ${code}`);
      seen.add(code);
    }
    assert.throws(() => scrambler.encode(CODE_SPACE));
  });

  it('gives an id whose code is taken by an existing row its alternative code', () => {
    const scrambler = new CodeScrambler('test');
    const clashes = new CodeClashes(scrambler, 100, 200);
    clashes.taken(scrambler.encode(150)); // e.g. a random code the API once drew
    clashes.taken(scrambler.encode(99)); // outside the range: irrelevant
    clashes.taken('NOT-A-CODE');
    assert.equal(clashes.count, 1);
    assert.equal(clashes.codeFor(151), scrambler.encode(151));
    assert.equal(clashes.codeFor(150), scrambler.encode(ALT_OFFSET + 150));
  });
});

/**
 * The generator against the shared test database. Other test files use it too: counts are
 * relative to before, the checks look at the generated id ranges only, and the rows are removed
 * again afterwards.
 */
describe('npm run seed:large', () => {
  const NOW = new Date('2026-06-01T10:00:00Z');
  let db: Db;
  let before_: { customers: number; referrals: number; rewards: number };
  let result: SeedResult;
  const logLines: string[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];

  const counts = async () => {
    const { rows } = await db.raw(
      `SELECT (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM referrals)::int AS referrals, (SELECT count(*) FROM rewards)::int AS rewards`,
    );
    return rows[0] as { customers: number; referrals: number; rewards: number };
  };
  const removeSeeded = (r: SeedResult) => async () => {
    await db('rewards').whereBetween('id', [r.rewards.first, r.rewards.last]).delete();
    await db('referrals').whereBetween('id', [r.referrals.first, r.referrals.last]).delete();
    await db('customers').whereBetween('id', [r.customers.first, r.customers.last]).delete();
  };

  before(async () => {
    db = createDb(testEnv.databaseUrl);
    before_ = await counts();
    result = await seedLarge({
      databaseUrl: testEnv.databaseUrl,
      customers: 2000,
      referrals: 4000,
      seed: 42,
      now: NOW,
      jobs: 2,
      log: (l) => logLines.push(l),
    });
    cleanups.push(removeSeeded(result));
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await db.destroy();
  });

  const referralsInRange = () => `r.id BETWEEN ${result.referrals.first} AND ${result.referrals.last}`;

  it('adds the requested rows, above the ids that were there, and moves the sequences past them', async () => {
    const now = await counts();
    assert.equal(now.customers - before_.customers, 2000);
    assert.equal(now.referrals - before_.referrals, 4000);
    assert.equal(now.rewards - before_.rewards, result.rewards.count);
    assert.ok(result.rewards.count > 100, `only ${result.rewards.count} rewards`);
    assert.equal(result.customers.last - result.customers.first + 1, 2000);
    const { rows } = await db.raw(
      `SELECT (SELECT last_value FROM customers_id_seq)::bigint AS c, (SELECT last_value FROM referrals_id_seq)::bigint AS r, (SELECT last_value FROM rewards_id_seq)::bigint AS w`,
    );
    assert.ok(
      Number(rows[0].c) >= result.customers.last && Number(rows[0].r) >= result.referrals.last && Number(rows[0].w) >= result.rewards.last,
    );
    assert.ok(
      logLines.some((l) => /rows\/s/.test(l)),
      'prints the rate',
    );
  });

  it('makes Dutch customers with unique, well-formed codes, numbers and emails, created over the past three years', async () => {
    const customers = await db('customers').whereBetween('id', [result.customers.first, result.customers.last]).orderBy('id');
    assert.equal(customers.length, 2000);
    assert.equal(new Set(customers.map((c) => c.referral_code)).size, 2000);
    assert.equal(new Set(customers.map((c) => c.email)).size, 2000);
    for (const c of customers) {
      assert.ok(isReferralCode(c.referral_code), c.referral_code);
      assert.ok(isEmail(c.email) && c.email === c.email.toLowerCase(), c.email);
      assert.match(c.bebsy_customer_id, /^BEB-\d{7,}$/);
      assert.match(c.name, /^\S+ .+$/);
      assert.ok(c.created_at <= NOW && c.created_at >= new Date(NOW.getTime() - 3.01 * 365 * 86_400_000), String(c.created_at));
      assert.ok(c.updated_at >= c.created_at);
    }
    const names = customers.map((c) => c.name).join('\n');
    assert.match(names, / (van|de|van der|van den) [A-Z]/, 'tussenvoegsels');
    const locales = new Set(customers.map((c) => c.locale));
    assert.deepEqual([...locales].sort(), ['en', 'nl']);
    assert.ok(customers.filter((c) => c.locale === 'nl').length > 1600, 'mostly Dutch');
    // The ids follow the time, as in a real table.
    for (let i = 1; i < customers.length; i++) assert.ok(customers[i].created_at >= customers[i - 1].created_at);
  });

  it('gives referrals a realistic mix of every lifecycle status', async () => {
    const { rows } = await db.raw(`SELECT status, count(*)::int AS n FROM referrals r WHERE ${referralsInRange()} GROUP BY status`);
    const byStatus = Object.fromEntries(rows.map((r: { status: string; n: number }) => [r.status, r.n]));
    for (const status of REFERRAL_STATUSES.filter((s) => s !== 'submitted'))
      assert.ok(byStatus[status] > 0, `no ${status}: ${JSON.stringify(byStatus)}`);
    assert.deepEqual(byStatus, result.referrals.byStatus);
    assert.ok(byStatus.paid > byStatus.approved && byStatus.expired > byStatus.revoked);
  });

  it('keeps every status consistent with its timestamps, booking and flags', async () => {
    const { rows } = await db.raw(
      `SELECT r.id, r.status FROM referrals r JOIN customers c ON c.id = r.referrer_id
        WHERE ${referralsInRange()} AND NOT (
              r.submitted_at >= c.created_at AND r.updated_at <= now()
          AND (r.awaiting_booking_at IS NULL OR r.awaiting_booking_at >= r.submitted_at)
          AND (r.booking_confirmed_at IS NULL OR r.booking_confirmed_at >= r.awaiting_booking_at)
          AND (r.approved_at IS NULL OR r.approved_at >= r.booking_confirmed_at)
          AND (r.paid_at IS NULL OR r.paid_at >= r.approved_at)
          AND (r.rejected_at IS NULL OR r.rejected_at >= GREATEST(r.submitted_at, r.awaiting_booking_at, r.booking_confirmed_at))
          AND (r.expired_at IS NULL OR r.expired_at >= r.awaiting_booking_at + interval '90 days')
          AND (r.revoked_at IS NULL OR r.revoked_at >= GREATEST(r.booking_confirmed_at, r.approved_at))
          AND r.updated_at = GREATEST(r.submitted_at, r.awaiting_booking_at, r.booking_confirmed_at, r.approved_at, r.paid_at, r.rejected_at, r.expired_at, r.revoked_at)
          AND CASE r.status
                WHEN 'awaiting_booking' THEN r.awaiting_booking_at IS NOT NULL AND num_nonnulls(r.booking_confirmed_at, r.approved_at, r.paid_at, r.rejected_at, r.expired_at, r.revoked_at) = 0
                WHEN 'pending_approval' THEN r.booking_confirmed_at IS NOT NULL AND num_nonnulls(r.approved_at, r.paid_at, r.rejected_at, r.expired_at, r.revoked_at) = 0
                WHEN 'approved' THEN r.approved_at IS NOT NULL AND r.approved_by IS NOT NULL AND num_nonnulls(r.paid_at, r.rejected_at, r.expired_at, r.revoked_at) = 0
                WHEN 'paid' THEN r.paid_at IS NOT NULL AND r.approved_by IS NOT NULL AND num_nonnulls(r.rejected_at, r.expired_at, r.revoked_at) = 0
                WHEN 'rejected' THEN r.rejected_at IS NOT NULL AND r.rejection_reason IS NOT NULL AND r.rejected_by IS NOT NULL AND num_nonnulls(r.approved_at, r.paid_at, r.expired_at, r.revoked_at) = 0
                WHEN 'expired' THEN r.expired_at IS NOT NULL AND num_nonnulls(r.booking_confirmed_at, r.approved_at, r.paid_at, r.rejected_at, r.revoked_at) = 0
                WHEN 'revoked' THEN r.revoked_at IS NOT NULL AND r.booking_confirmed_at IS NOT NULL AND num_nonnulls(r.paid_at, r.rejected_at, r.expired_at) = 0
                ELSE false END
          AND (r.booking_confirmed_at IS NULL) = (r.booking_value_cents IS NULL)
          AND (r.booking_confirmed_at IS NULL) = (r.departure_date IS NULL)
          AND (r.booking_confirmed_at IS NULL OR (r.booking_reference IS NOT NULL AND r.currency = 'EUR' AND r.departure_date > r.booking_confirmed_at::date))
          AND (r.approved_by IS NULL OR NOT r.flagged OR r.approved_by LIKE 'admin:%')
          AND r.flagged = (cardinality(r.flag_reasons) > 0)
          AND r.workflow_id = 'referral-' || r.id
          AND r.reward_amount_cents = 2500
          AND r.new_customer_email = lower(r.new_customer_email)
        ) LIMIT 5`,
    );
    assert.deepEqual(rows, []);
  });

  it('rejects by the rules with emails that really break those rules', async () => {
    const { rows } = await db.raw(
      `SELECT r.rejection_reason, count(*)::int AS n,
              count(*) FILTER (WHERE CASE r.rejection_reason
                WHEN 'self_referral' THEN r.new_customer_email = c.email
                WHEN 'already_customer' THEN EXISTS (SELECT 1 FROM customers x WHERE lower(x.email) = r.new_customer_email AND x.id <> c.id AND x.created_at <= r.submitted_at)
                WHEN 'already_referred' THEN EXISTS (SELECT 1 FROM referrals o WHERE o.new_customer_email = r.new_customer_email AND o.id < r.id AND o.referrer_id <> r.referrer_id AND o.status <> 'rejected')
                ELSE r.rejection_reason IN ('referral_limit_reached', 'booking_reference_required') END)::int AS consistent
         FROM referrals r JOIN customers c ON c.id = r.referrer_id
        WHERE ${referralsInRange()} AND r.rejected_by = 'system:rules'
        GROUP BY 1`,
    );
    assert.ok(rows.length >= 4, JSON.stringify(rows));
    for (const row of rows) assert.equal(row.consistent, row.n, row.rejection_reason);
    const flagged = await db.raw(`SELECT DISTINCT unnest(flag_reasons) AS reason FROM referrals r WHERE ${referralsInRange()} ORDER BY 1`);
    assert.deepEqual(
      flagged.rows.map((r: { reason: string }) => r.reason),
      ['disposable_email_domain', 'high_referral_velocity', 'similar_to_referrer_email'],
    );
  });

  it('pays exactly one reward per paid referral, to its referrer, with a unique voucher', async () => {
    const { rows } = await db.raw(
      `SELECT (SELECT count(*)::int FROM referrals r WHERE ${referralsInRange()} AND r.status = 'paid') AS paid,
              (SELECT count(*)::int FROM rewards w JOIN referrals r ON r.id = w.referral_id
                WHERE ${referralsInRange()} AND r.status = 'paid' AND w.customer_id = r.referrer_id AND w.paid_at = r.paid_at AND w.amount_cents = 2500
                  AND (w.status = 'paid') = (w.clawback_at IS NULL)) AS matching,
              (SELECT count(*)::int FROM rewards w JOIN referrals r ON r.id = w.referral_id WHERE ${referralsInRange()}) AS rewards,
              (SELECT count(DISTINCT voucher_code)::int FROM rewards w WHERE w.id BETWEEN ${result.rewards.first} AND ${result.rewards.last}) AS vouchers`,
    );
    const { paid, matching, rewards, vouchers } = rows[0];
    assert.equal(paid, result.rewards.count);
    assert.equal(matching, paid);
    assert.equal(rewards, paid);
    assert.equal(vouchers, paid);
  });

  it('leaves nothing behind when Postgres refuses a row half way', async () => {
    const beforeFailure = await counts();
    // A negative reward breaks a CHECK constraint in the referrals step, after the customers are in.
    await assert.rejects(
      seedLarge({
        databaseUrl: testEnv.databaseUrl,
        customers: 500,
        referrals: 1000,
        seed: 1,
        now: NOW,
        jobs: 2,
        lifecycle: { rewardAmountCents: -1 },
        log: () => undefined,
      }),
      /reward_amount_cents/,
    );
    assert.deepEqual(await counts(), beforeFailure);
  });

  it('appends on top, avoids values existing rows already hold, and repeats itself for the same seed', async () => {
    // A customer made elsewhere whose code and number are exactly what the next new id would get.
    const [{ id: clashId }] = await db('customers')
      .insert({
        bebsy_customer_id: `clash-${Date.now()}`,
        name: 'Eva Bakker',
        email: `eva.clash${Date.now()}@example.nl`,
        referral_code: 'AAAAAAAA',
      })
      .returning('id');
    cleanups.push(() => db('customers').where({ id: clashId }).delete());
    const nextId = Number(clashId) + 1;
    await db('customers')
      .where({ id: clashId })
      .update({ referral_code: referralCodes.encode(nextId), bebsy_customer_id: `BEB-${String(nextId).padStart(7, '0')}` });

    const run = () =>
      seedLarge({ databaseUrl: testEnv.databaseUrl, customers: 30, referrals: 0, seed: 7, now: NOW, jobs: 1, log: () => undefined });
    const first = await run();
    cleanups.push(removeSeeded(first));
    const second = await run();
    cleanups.push(removeSeeded(second));
    assert.equal(first.customers.first, nextId);
    assert.equal(second.customers.first, first.customers.last + 1);

    const clashing = await db('customers').where({ id: nextId }).first();
    assert.equal(clashing.referral_code, referralCodes.encode(ALT_OFFSET + nextId));
    assert.equal(clashing.bebsy_customer_id, `BEB-${String(nextId).padStart(7, '0')}-1`);

    const names = async (r: SeedResult) =>
      (await db('customers').whereBetween('id', [r.customers.first, r.customers.last]).orderBy('id').select('name', 'created_at')).map(
        (c) => `${c.name} ${c.created_at.toISOString()}`,
      );
    assert.deepEqual(await names(second), await names(first));
  });
});
