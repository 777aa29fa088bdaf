import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDb, type Db } from '../db/knex.js';
import { topReferrers, type TopReferrer } from '../db/repositories/analytics.js';
import { REFERRAL_CODE_ALPHABET } from '../domain/referral-code.js';
import { seedLarge } from '../scripts/seed-large/seed.js';
import { withEmptyDatabase } from './support/system.js';

/**
 * A period's leaderboard (`topReferrers()` with a period) reads the rollups of migration 015 by
 * one of two paths (the month bound or the period's days): whichever runs, it must answer what
 * the referrals table itself ranks, ties and all.
 */

const TZ = 'Europe/Amsterdam';
const PERIODS = [7, 30, 90, 365] as const;
const LIMITS = [1, 2, 3, 10, 100] as const;
const DAY_MS = 86_400_000;

/** The period's ranking straight from `referrals`: what topReferrers answered before migration 015. */
async function rawRanking(db: Db, limit: number, days: number): Promise<TopReferrer[]> {
  const { rows } = await db.raw<{ rows: TopReferrer[] }>(
    `SELECT c.id::text AS customer_id, c.name, c.referral_code, count(*)::int AS referrals, count(r.booking_confirmed_at)::int AS converted,
            count(*) FILTER (WHERE r.status = 'paid')::int AS paid,
            coalesce(sum(r.reward_amount_cents) FILTER (WHERE r.status = 'paid'), 0)::int AS rewards_cents
       FROM referrals r JOIN customers c ON c.id = r.referrer_id
      WHERE r.submitted_at >= ((now() AT TIME ZONE :tz)::date - :days::int + 1)::timestamp AT TIME ZONE :tz
      GROUP BY c.id ORDER BY converted DESC, referrals DESC, c.id LIMIT :limit`,
    { tz: TZ, days, limit },
  );
  return rows;
}

/** Which path each topReferrers call on `db` takes, from its SQL: the month path ends in a list of candidates. */
function pathRecorder(db: Db): () => 'day' | 'month' {
  let last: 'day' | 'month' = 'day';
  db.on('query', (query: { sql: string }) => {
    if (query.sql.includes('WITH ranked AS')) last = query.sql.includes('unnest(') ? 'month' : 'day';
  });
  return () => last;
}

/** Every period and limit against the raw ranking; returns how often each path ran. */
async function assertRankingsExact(db: Db, lastPath: () => 'day' | 'month', label: string): Promise<Record<'day' | 'month', number>> {
  const taken = { day: 0, month: 0 };
  for (const days of PERIODS)
    for (const limit of LIMITS) {
      const expected = await rawRanking(db, limit, days);
      const actual = await topReferrers(db, limit, days);
      taken[lastPath()]++;
      assert.deepEqual(actual, expected, `${label}: top ${limit} of ${days} days`);
    }
  return taken;
}

/** A deterministic PRNG (mulberry32). */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const code = (n: number) =>
  Array.from(
    { length: 8 },
    (_, i) => REFERRAL_CODE_ALPHABET[Math.floor(n / REFERRAL_CODE_ALPHABET.length ** i) % REFERRAL_CODE_ALPHABET.length],
  ).join('');

/**
 * Strong referrers (several referrals a week, in pairs with identical histories: exact ties) and
 * weak ones (a referral or two), over the last 420 days and some weeks ahead, in every status.
 */
async function craft(db: Db): Promise<string[]> {
  const strong = 24;
  const weak = 150;
  const ids: string[] = (
    await db('customers')
      .insert(
        Array.from({ length: strong + weak }, (_, i) => ({
          bebsy_customer_id: `lb-${i}`,
          name: `Referrer ${i}`,
          email: `referrer-${i}@example.nl`,
          referral_code: code(1_000_003 * (i + 7)),
        })),
      )
      .returning('id')
  ).map((r: { id: string }) => String(r.id));
  const rows: Record<string, unknown>[] = [];
  const add = (referrer: string, submitted: number, random: () => number) => {
    const n = rows.length;
    const roll = random();
    const [status, confirmed] =
      roll < 0.15
        ? ['awaiting_booking', false]
        : roll < 0.25
          ? ['expired', false]
          : roll < 0.32
            ? ['rejected', random() < 0.5]
            : roll < 0.4
              ? ['pending_approval', true]
              : roll < 0.5
                ? ['approved', true]
                : roll < 0.56
                  ? ['revoked', true]
                  : ['paid', true];
    rows.push({
      referrer_id: referrer,
      new_customer_email: `friend-${n}@example.nl`,
      status,
      reward_amount_cents: random() < 0.5 ? 1500 : 2500,
      workflow_id: `lb-wf-${n}`,
      submitted_at: new Date(submitted),
      booking_confirmed_at: confirmed ? new Date(submitted + 3_600_000) : null,
    });
  };
  const now = Date.now();
  for (let i = 0; i < strong; i++) {
    const random = prng(Math.floor(i / 2)); // pairs: the same history for two referrers
    const perDay = 0.15 + (Math.floor(i / 2) % 6) * 0.2;
    for (let day = -40; day < 420; day++)
      for (let k = 0; k < 3; k++) if (random() < perDay / 3) add(ids[i], now - day * DAY_MS - random() * DAY_MS, random);
  }
  const random = prng(99);
  for (let i = strong; i < ids.length; i++)
    for (let k = 0; k < 1 + Math.floor(random() * 2); k++) add(ids[i], now - random() * 400 * DAY_MS, random);
  await db.batchInsert('referrals', rows, 500);
  // At each period's first instant (Amsterdam midnight) and a millisecond before it.
  for (const days of PERIODS)
    for (const [offset, referrer] of [
      [0, ids[strong]],
      [-1, ids[strong + 1]],
    ] as const)
      await db.raw(
        `INSERT INTO referrals (referrer_id, new_customer_email, status, reward_amount_cents, workflow_id, submitted_at, booking_confirmed_at)
         SELECT :referrer, :email, 'paid', 2500, :workflow, t, t FROM (
           SELECT ((now() AT TIME ZONE :tz)::date - :days::int + 1)::timestamp AT TIME ZONE :tz + :offset * interval '1 millisecond' AS t) s`,
        { referrer, email: `edge-${days}-${offset}@example.nl`, workflow: `lb-edge-${days}-${offset}`, tz: TZ, days, offset },
      );
  return ids;
}

describe('top referrers of a period from the rollups', () => {
  it('rank as the referrals table does, by either path, before and after transitions, moves and deletes', async () => {
    await withEmptyDatabase(async (url) => {
      const db = createDb(url);
      const lastPath = pathRecorder(db);
      try {
        const empty = await assertRankingsExact(db, lastPath, 'empty');
        assert.equal(empty.month, 0, 'no month path without referrals');

        const ids = await craft(db);
        const taken = await assertRankingsExact(db, lastPath, 'crafted');
        assert.ok(taken.month >= 4 && taken.day >= 4, `both paths ran: ${JSON.stringify(taken)}`);
        const {
          rows: [{ quiet }],
        } = await db.raw(`SELECT count(DISTINCT referrer_id)::int AS quiet FROM referrals
          WHERE booking_confirmed_at IS NOT NULL AND submitted_at >= ((now() AT TIME ZONE '${TZ}')::date - 6)::timestamp AT TIME ZONE '${TZ}'`);
        assert.ok(quiet < 100, 'fewer referrers than the limit converted in a week: the day path sums all of its rows');

        // Transitions, a referral moved into and out of periods, a new top referrer today, deletes.
        await db('referrals').whereIn('status', ['approved']).update({ status: 'paid', paid_at: db.fn.now() });
        await db('referrals')
          .where({ status: 'awaiting_booking' })
          .whereRaw('id % 3 = 0')
          .update({ status: 'pending_approval', booking_confirmed_at: db.fn.now() });
        await db('referrals').where({ status: 'pending_approval' }).whereRaw('id % 2 = 0').update({ status: 'revoked' });
        await db.raw(`UPDATE referrals SET submitted_at = submitted_at - interval '200 days' WHERE id % 17 = 0`);
        await db.raw(`UPDATE referrals SET submitted_at = now() - interval '1 hour' WHERE id % 23 = 0`);
        await db('referrals').whereRaw('id % 13 = 0').delete();
        await db('referrals').insert(
          Array.from({ length: 40 }, (_, n) => ({
            referrer_id: ids.at(-1),
            new_customer_email: `burst-${n}@example.nl`,
            status: 'pending_approval',
            reward_amount_cents: 2500,
            workflow_id: `lb-burst-${n}`,
            booking_confirmed_at: db.fn.now(),
          })),
        );
        await assertRankingsExact(db, lastPath, 'after changes');
      } finally {
        await db.destroy();
      }
    });
  });

  it('rank as the referrals table does after a seed:large run (parallel COPY streams)', async () => {
    await withEmptyDatabase(async (url) => {
      const db = createDb(url);
      try {
        await seedLarge({ databaseUrl: url, customers: 1500, referrals: 4000, seed: 11, jobs: 2, log: () => undefined });
        await assertRankingsExact(db, pathRecorder(db), 'seed:large');
      } finally {
        await db.destroy();
      }
    });
  });
});
