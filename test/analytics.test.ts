import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import argon2 from 'argon2';
import type { Db } from '../db/knex.js';
import { createDb } from '../db/knex.js';
import { payReward, recordClawback, recordTransition } from '../db/repositories/lifecycle.js';
import { seedLarge } from '../scripts/seed-large/seed.js';
import { assertError, bookingBody, detailFields, freshFriend, sendBookingWebhook, submitReferral } from './support/http.js';
import { adminToken, createCustomer, eventually, startTestSystem, unique, withEmptyDatabase, type TestSystem } from './support/system.js';

const TZ = 'Europe/Amsterdam';
const DAY = (column: string) => `(${column} AT TIME ZONE '${TZ}')::date`;

/** The rollups as they should be, aggregated straight from the raw tables. */
async function assertRollupsExact(db: Db): Promise<void> {
  const { rows: expected } = await db.raw(`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, metric, status, count::bigint, amount_cents::bigint, unvalued_count::bigint FROM (
      SELECT ${DAY('submitted_at')} AS day, 'submitted' AS metric, status, count(*) AS count, sum(reward_amount_cents) AS amount_cents, 0 AS unvalued_count
        FROM referrals GROUP BY 1, 3
      UNION ALL SELECT ${DAY('submitted_at')}, 'converted', '', count(*), 0, 0 FROM referrals WHERE booking_confirmed_at IS NOT NULL GROUP BY 1
      UNION ALL SELECT ${DAY('booking_confirmed_at')}, 'booked', '', count(*), coalesce(sum(booking_value_cents), 0), count(*) - count(booking_value_cents)
        FROM referrals WHERE booking_confirmed_at IS NOT NULL GROUP BY 1
      UNION ALL SELECT ${DAY('paid_at')}, 'paid', '', count(*), sum(amount_cents), 0 FROM rewards GROUP BY 1
      UNION ALL SELECT ${DAY('clawback_at')}, 'clawback', '', count(*), sum(amount_cents), 0 FROM rewards WHERE clawback_at IS NOT NULL GROUP BY 1
    ) raw ORDER BY 1, 2, 3`);
  const { rows: rollup } = await db.raw(`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, metric, status, sum(count)::bigint AS count, sum(amount_cents)::bigint AS amount_cents,
           sum(unvalued_count)::bigint AS unvalued_count
      FROM analytics_daily GROUP BY day, metric, status
    HAVING sum(count) <> 0 OR sum(amount_cents) <> 0 OR sum(unvalued_count) <> 0 ORDER BY 1, 2, 3`);
  assert.deepEqual(rollup, expected, 'analytics_daily differs from the raw tables');

  const { rows: referrers } = await db.raw(`
    SELECT referrer_id AS customer_id, count(*)::int AS referrals, count(booking_confirmed_at)::int AS converted,
           count(*) FILTER (WHERE status = 'paid')::int AS paid, coalesce(sum(reward_amount_cents) FILTER (WHERE status = 'paid'), 0)::bigint AS rewards_cents
      FROM referrals GROUP BY 1 ORDER BY 1`);
  const { rows: stats } = await db.raw(
    `SELECT customer_id, referrals, converted, paid, rewards_cents FROM referrer_stats WHERE referrals <> 0 ORDER BY 1`,
  );
  assert.deepEqual(stats, referrers, 'referrer_stats differs from the raw tables');

  const { rows: referrerDays } = await db.raw(`
    SELECT to_char(${DAY('submitted_at')}, 'YYYY-MM-DD') AS day, referrer_id AS customer_id, count(*)::int AS referrals,
           count(booking_confirmed_at)::int AS converted, count(*) FILTER (WHERE status = 'paid')::int AS paid,
           coalesce(sum(reward_amount_cents) FILTER (WHERE status = 'paid'), 0)::bigint AS rewards_cents
      FROM referrals GROUP BY 1, 2 ORDER BY 1, 2`);
  const { rows: daily } = await db.raw(`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, customer_id, referrals, converted, paid, rewards_cents FROM referrer_daily
     WHERE referrals <> 0 OR converted <> 0 OR paid <> 0 OR rewards_cents <> 0 ORDER BY 1, 2`);
  assert.deepEqual(daily, referrerDays, 'referrer_daily differs from the raw tables');

  const { rows: referrerMonths } = await db.raw(`
    SELECT referrer_id AS customer_id, to_char(date_trunc('month', ${DAY('submitted_at')}), 'YYYY-MM-DD') AS month, count(*)::int AS converted
      FROM referrals WHERE booking_confirmed_at IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2`);
  const { rows: monthly } = await db.raw(
    `SELECT customer_id, to_char(month, 'YYYY-MM-DD') AS month, converted FROM referrer_monthly WHERE converted <> 0 ORDER BY 1, 2`,
  );
  assert.deepEqual(monthly, referrerMonths, 'referrer_monthly differs from the raw tables');
}

describe('analytics rollups stay equal to the raw tables', () => {
  let system: TestSystem;
  let token: string;
  before(async () => {
    system = await startTestSystem({ REWARD_HOLD_DAYS: '0', AUTO_APPROVE_REFERRALS: 'false', AVERAGE_BOOKING_VALUE: '1000' });
    token = await adminToken(system.app);
  });
  after(() => system.close());
  const auth = () => ({ authorization: `Bearer ${token}` });
  const statusOf = async (id: string) => (await system.db('referrals').where({ id }).first()).status;

  it('after workflow transitions, admin decisions, payouts, clawbacks, repository calls, edits and deletes', async () => {
    const referrer = await createCustomer(system.app, token);
    const submit = async () => {
      const friend = freshFriend();
      const res = await submitReferral(system.app, {
        referrer_code: referrer.referral_code,
        new_customer_email: friend.email,
        booking_reference: friend.bookingReference,
      });
      assert.equal(res.statusCode, 201, res.body);
      const { id } = res.json() as { id: string };
      await eventually(async () => (await statusOf(id)) === 'awaiting_booking');
      return { id, friend };
    };
    const confirm = async ({ id, friend }: { id: string; friend: ReturnType<typeof freshFriend> }, value?: number) => {
      const res = await sendBookingWebhook(
        system,
        bookingBody('booking.confirmed', { booking_reference: friend.bookingReference, booking_value: value }),
      );
      assert.deepEqual([res.statusCode, res.json()], [200, { outcome: 'applied', referral_id: id }]);
      await eventually(async () => (await statusOf(id)) === 'pending_approval');
    };
    const decide = async (id: string, status: 'approved' | 'rejected') => {
      const res = await system.app.inject({
        method: 'PUT',
        url: `/api/referrals/${id}/status`,
        headers: auth(),
        payload: { status, reason: 'test' },
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { id, status, actor: 'admin:admin' });
    };

    // Through the workflows: approved by an admin and paid, then cancelled (clawback); rejected by an admin; still waiting.
    const paid = await submit();
    await confirm(paid, 640);
    await decide(paid.id, 'approved');
    await eventually(async () => (await statusOf(paid.id)) === 'paid');
    const cancelled = await sendBookingWebhook(
      system,
      bookingBody('booking.cancelled', { booking_reference: paid.friend.bookingReference }),
    );
    assert.deepEqual([cancelled.statusCode, cancelled.json()], [200, { outcome: 'applied', referral_id: paid.id }]);
    await eventually(async () => (await system.db('rewards').where({ referral_id: paid.id }).first())?.status === 'clawback_due');
    const rejected = await submit();
    await confirm(rejected);
    await decide(rejected.id, 'rejected');
    await submit();
    await assertRollupsExact(system.db);

    // Through the lifecycle repository, on a row without a workflow; then raw edits and deletes.
    const [{ id }] = await system
      .db('referrals')
      .insert({
        referrer_id: referrer.id,
        new_customer_email: `${unique('r')}@example.nl`,
        reward_amount_cents: 2500,
        workflow_id: unique('wf'),
        submitted_at: new Date(Date.now() - 40 * 86_400_000),
      })
      .returning('id');
    const at = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString();
    const steps = [
      ['submitted', 'awaiting_booking', 39],
      ['awaiting_booking', 'pending_approval', 30],
      ['pending_approval', 'approved', 29],
      ['approved', 'paid', 10],
    ] as const;
    for (const [seq, [from, to, daysAgo]] of steps.entries()) {
      await recordTransition(system.db, {
        referralId: String(id),
        seq: seq + 1,
        from,
        to,
        at: at(daysAgo),
        actor: 'test',
        booking:
          to === 'pending_approval' ? { reference: unique('BK'), valueCents: null, currency: 'EUR', departureDate: null } : undefined,
      });
    }
    await recordTransition(system.db, { referralId: String(id), seq: 4, from: 'approved', to: 'paid', at: at(10), actor: 'test' }); // a retry: no change
    await payReward(system.db, String(id), 2500);
    await payReward(system.db, String(id), 2500); // once only
    await system
      .db('rewards')
      .where({ referral_id: id })
      .update({ paid_at: at(10) });
    await recordClawback(system.db, String(id), unique('wh'), at(2));
    // Approved, then revoked (its booking cancelled before the payout): still converted, never paid.
    const [{ id: revoked }] = await system
      .db('referrals')
      .insert({
        referrer_id: referrer.id,
        new_customer_email: `${unique('r')}@example.nl`,
        reward_amount_cents: 2500,
        workflow_id: unique('wf'),
        submitted_at: new Date(Date.now() - 70 * 86_400_000),
      })
      .returning('id');
    const revokedSteps = [
      ['submitted', 'awaiting_booking', 69],
      ['awaiting_booking', 'pending_approval', 60],
      ['pending_approval', 'approved', 59],
      ['approved', 'revoked', 50],
    ] as const;
    for (const [seq, [from, to, daysAgo]] of revokedSteps.entries())
      await recordTransition(system.db, {
        referralId: String(revoked),
        seq: seq + 1,
        from,
        to,
        at: at(daysAgo),
        actor: 'test',
        booking:
          to === 'pending_approval' ? { reference: unique('BK'), valueCents: 9_900, currency: 'EUR', departureDate: null } : undefined,
      });
    assert.equal((await system.db('referrals').where({ id: revoked }).first()).status, 'revoked');
    await assertRollupsExact(system.db);

    await system
      .db('referrals')
      .where({ id })
      .update({ submitted_at: at(400), reward_amount_cents: 3000 });
    await system.db('referrals').where({ id: rejected.id }).update({ booking_value_cents: 12_345 });
    await system.db('rewards').where({ referral_id: id }).delete();
    await system.db('referrals').where({ id }).delete();
    await assertRollupsExact(system.db);
  });

  it('after a seed:large run into a fresh database (parallel COPY streams)', async () => {
    await withEmptyDatabase(async (url) => {
      const db = createDb(url);
      try {
        const result = await seedLarge({ databaseUrl: url, customers: 1500, referrals: 3000, seed: 7, jobs: 2, log: () => undefined });
        assert.ok(result.rewards.count > 50);
        await assertRollupsExact(db);
        const {
          rows: [{ n }],
        } = await db.raw(`SELECT count(*)::int AS n FROM analytics_daily WHERE metric = 'clawback'`);
        assert.ok(n > 0, 'the seeded data includes clawbacks');
      } finally {
        await db.destroy();
      }
    });
  });
});

describe('analytics endpoints on a known data set', () => {
  let system: TestSystem;
  let token: string;
  let viewer: string;
  before(async () => {
    system = await startTestSystem({ AVERAGE_BOOKING_VALUE: '1000' }, { worker: false });
    token = await adminToken(system.app);
    const username = unique('viewer');
    await system.db('admin_users').insert({ username, password_hash: await argon2.hash('viewer-password-1'), role: 'viewer' });
    viewer = await adminToken(system.app, username, 'viewer-password-1');
  });
  after(() => system.close());

  const get = async (url: string, as = token) => {
    const res = await system.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${as}` } });
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    return res.json();
  };
  const ago = (days: number, hours = 0) => new Date(Date.now() - days * 86_400_000 - hours * 3_600_000);
  const amsterdamDate = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(d);

  /** Referrals of one referrer, submitted `daysAgo`, with a booking confirmed a day later (or none) and a reward paid. */
  async function addReferrals(
    referrerId: string,
    rows: Array<{ daysAgo: number; status: string; value?: number | null; paidDaysAgo?: number; clawbackDaysAgo?: number }>,
  ) {
    for (const r of rows) {
      const booked = r.value !== undefined;
      const [{ id }] = await system
        .db('referrals')
        .insert({
          referrer_id: referrerId,
          new_customer_email: `${unique('k')}@example.nl`,
          status: r.status,
          reward_amount_cents: 2500,
          workflow_id: unique('wf'),
          submitted_at: ago(r.daysAgo, 2),
          booking_confirmed_at: booked ? ago(r.daysAgo - 1, 2) : null,
          booking_value_cents: booked ? r.value : null,
        })
        .returning('id');
      if (r.paidDaysAgo !== undefined) {
        await system.db('rewards').insert({
          referral_id: id,
          customer_id: referrerId,
          amount_cents: 2500,
          voucher_code: unique('V'),
          paid_at: ago(r.paidDaysAgo, 1),
          ...(r.clawbackDaysAgo !== undefined && { status: 'clawback_due', clawback_at: ago(r.clawbackDaysAgo, 0.5) }),
        });
      }
    }
  }

  it('answer conversion, revenue impact with ROI, the time series and the leaderboard', async () => {
    const periods = [7, 30, 90, 365] as const;
    const snapshot = async () =>
      Object.fromEntries(
        await Promise.all(
          periods.map(async (p) => [
            p,
            {
              conversion: await get(`/api/analytics/conversion-rate?period=${p}`),
              revenue: await get(`/api/analytics/revenue-impact?period=${p}`),
            },
          ]),
        ),
      ) as Record<number, { conversion: Record<string, number>; revenue: Record<string, number> }>;
    const beforeFigures = await snapshot();
    const seriesBefore = await get('/api/analytics/timeseries?period=30');

    const a = await createCustomer(system.app, token, { name: 'Anouk Jansen' });
    const b = await createCustomer(system.app, token, { name: 'Bram de Boer' });
    // A, 3 days ago: 6 referrals, 4 booked (2 at EUR 500, 2 without value), 2 of those paid yesterday, 1 of which clawed back today.
    await addReferrals(a.id, [
      { daysAgo: 3, status: 'paid', value: 50_000, paidDaysAgo: 1, clawbackDaysAgo: 0 },
      { daysAgo: 3, status: 'paid', value: null, paidDaysAgo: 1 },
      { daysAgo: 3, status: 'approved', value: 50_000 },
      { daysAgo: 3, status: 'pending_approval', value: null },
      { daysAgo: 3, status: 'awaiting_booking' },
      { daysAgo: 3, status: 'rejected' },
    ]);
    // B, 20 days ago: 8 referrals, all booked at EUR 200; 200 days ago: 1 expired; 500 days ago: 1 booked (outside every period).
    await addReferrals(b.id, [
      ...Array.from({ length: 8 }, () => ({ daysAgo: 20, status: 'approved', value: 20_000 })),
      { daysAgo: 200, status: 'expired' },
      { daysAgo: 500, status: 'pending_approval', value: 20_000 },
    ]);

    const afterFigures = await snapshot();
    const delta = (p: number, part: 'conversion' | 'revenue', key: string) =>
      Math.round((afterFigures[p][part][key] - beforeFigures[p][part][key]) * 100) / 100;
    const expected = {
      7: { submitted: 6, converted: 4, bookings: 4, value: 2 * 500 + 2 * 1000 },
      30: { submitted: 14, converted: 12, bookings: 12, value: 3000 + 8 * 200 },
      90: { submitted: 14, converted: 12, bookings: 12, value: 3000 + 8 * 200 },
      365: { submitted: 15, converted: 12, bookings: 12, value: 3000 + 8 * 200 },
    };
    for (const p of periods) {
      assert.equal(delta(p, 'conversion', 'submitted'), expected[p].submitted, `submitted, ${p} days`);
      assert.equal(delta(p, 'conversion', 'converted'), expected[p].converted, `converted, ${p} days`);
      assert.equal(delta(p, 'revenue', 'bookings_confirmed'), expected[p].bookings, `bookings, ${p} days`);
      assert.equal(delta(p, 'revenue', 'bookings_without_value'), 2, `bookings without value, ${p} days`);
      assert.equal(delta(p, 'revenue', 'booking_value'), expected[p].value, `booking value, ${p} days`);
      assert.equal(delta(p, 'revenue', 'rewards_paid'), 2);
      assert.equal(delta(p, 'revenue', 'rewards_cost'), 50);
      assert.equal(delta(p, 'revenue', 'clawbacks'), 1);
      assert.equal(delta(p, 'revenue', 'clawback_amount'), 25);
      const { conversion, revenue } = afterFigures[p];
      assert.equal(conversion.conversion_rate, conversion.converted / conversion.submitted);
      assert.equal(revenue.net, Math.round((revenue.booking_value - revenue.rewards_cost) * 100) / 100);
      assert.ok(
        Math.abs(revenue.roi - (revenue.booking_value - revenue.rewards_cost) / revenue.rewards_cost) < 1e-9,
        'roi = (value - cost) / cost',
      );
      assert.equal(revenue.average_booking_value, 1000);
    }

    const series = await get('/api/analytics/timeseries?period=30');
    assert.equal(series.days.length, 30);
    assert.equal(series.days.at(-1).date, amsterdamDate(new Date()));
    const day = (date: Date, body = series) => body.days.find((d: { date: string }) => d.date === amsterdamDate(date));
    const dayDelta = (date: Date, key: string) => day(date)[key] - day(date, seriesBefore)[key];
    assert.equal(dayDelta(ago(3, 2), 'submitted'), 6);
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(day(ago(3, 2)).by_status).map(([s, n]) => [s, (n as number) - day(ago(3, 2), seriesBefore).by_status[s]]),
      ),
      { submitted: 0, awaiting_booking: 1, pending_approval: 1, approved: 1, paid: 2, rejected: 1, expired: 0, revoked: 0 },
    );
    assert.equal(dayDelta(ago(2, 2), 'confirmed'), 4);
    assert.equal(dayDelta(ago(2, 2), 'booking_value'), 3000);
    assert.equal(dayDelta(ago(1, 1), 'paid'), 2);
    assert.equal(dayDelta(ago(1, 1), 'paid_amount'), 50);
    assert.equal(dayDelta(ago(20, 2), 'submitted'), 8);

    // Other suites' referrers are in the shared database too: look at A and B and their order.
    type Board = { period_days: number | null; data: { rank: number; customer_id: string; referrals: number }[] };
    const entry = (board: Board, id: string) => board.data.find((r) => r.customer_id === id);
    const allTime: Board = await get('/api/analytics/top-referrers?limit=100', viewer);
    assert.equal(allTime.period_days, null);
    assert.deepEqual(
      allTime.data.map((r) => r.rank),
      allTime.data.map((_, i) => i + 1),
    );
    const [rankA, rankB] = [entry(allTime, a.id)!.rank, entry(allTime, b.id)!.rank];
    assert.ok(rankB < rankA, 'B (9 converted) above A (4)');
    assert.deepEqual(entry(allTime, b.id), {
      rank: rankB,
      customer_id: b.id,
      name: 'Bram de Boer',
      referral_code: b.referral_code,
      referrals: 10,
      converted: 9,
      paid: 0,
      rewards_amount: 0,
    });
    assert.deepEqual(entry(allTime, a.id), {
      rank: rankA,
      customer_id: a.id,
      name: 'Anouk Jansen',
      referral_code: a.referral_code,
      referrals: 6,
      converted: 4,
      paid: 2,
      rewards_amount: 50,
    });
    const week: Board = await get('/api/analytics/top-referrers?period=7&limit=100');
    assert.equal(week.period_days, 7);
    assert.deepEqual(entry(week, a.id), { ...entry(allTime, a.id), rank: entry(week, a.id)!.rank });
    assert.equal(entry(week, b.id), undefined, 'B referred nobody this week');
    const month: Board = await get('/api/analytics/top-referrers?period=30&limit=100');
    assert.ok(entry(month, b.id)!.rank < entry(month, a.id)!.rank);
    assert.equal(entry(month, b.id)!.referrals, 8, 'the referrals of the 30 days only');
  });

  it("answers the dashboard's revenue impact and series in its one read, equal to the analytics endpoints", async () => {
    for (const period of [7, 90]) {
      const dashboard = await get(`/api/dashboard/stats?period=${period}`);
      const { period_days, from, to, ...impact } = await get(`/api/analytics/revenue-impact?period=${period}`);
      assert.deepEqual([period_days, from], [dashboard.period_days, dashboard.from]);
      assert.ok(Date.parse(to) >= Date.parse(dashboard.to));
      assert.deepEqual(dashboard.revenue_impact, impact);
      assert.deepEqual(dashboard.series, (await get(`/api/analytics/timeseries?period=${period}`)).days);
    }
  });

  it('refuses an unknown period on every endpoint, naming the allowed ones', async () => {
    for (const path of [
      '/api/dashboard/stats',
      '/api/analytics/conversion-rate',
      '/api/analytics/revenue-impact',
      '/api/analytics/timeseries',
      '/api/analytics/top-referrers',
    ]) {
      const res = await system.app.inject({ method: 'GET', url: `${path}?period=14`, headers: { authorization: `Bearer ${viewer}` } });
      const body = assertError(res, 400, 'validation_error', /period must be one of: 7, 30, 90, 365/);
      assert.deepEqual(detailFields(body), ['period'], path);
    }
  });
});
