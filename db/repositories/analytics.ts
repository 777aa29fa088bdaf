import { REFERRAL_STATUSES, type ReferralStatus } from '../../domain/referral-status.js';
import type { Db } from '../knex.js';

/**
 * Reads of the analytics rollups that migration 007 keeps exact with triggers (`analytics_daily`
 * per Amsterdam calendar day, `referrer_stats` per referrer). A period of N days is today and the
 * N - 1 days before it, in Europe/Amsterdam. Every read sees the committed writes: no cache.
 */

const TIME_ZONE = 'Europe/Amsterdam';

export interface Period {
  days: number;
  /** Start of the first day (Amsterdam midnight), ISO. */
  from: string;
  /** Now, ISO. */
  to: string;
}

/** One day's figures. `by_status` is a cohort: the referrals submitted that day, by their status now. */
export interface DayFigures {
  date: string;
  by_status: Record<ReferralStatus, number>;
  submitted: number;
  /** Referrals submitted that day whose booking was confirmed (at any time). */
  converted: number;
  /** Bookings confirmed that day; their known values, and how many had no value. */
  confirmed: number;
  confirmed_value_cents: number;
  confirmed_unvalued: number;
  /** Rewards paid that day / marked for clawback that day, with their amounts. */
  paid: number;
  paid_cents: number;
  clawbacks: number;
  clawback_cents: number;
}

export type Totals = Omit<DayFigures, 'date'>;

export interface PeriodFigures {
  period: Period;
  days: DayFigures[];
  totals: Totals;
}

const zeroStatuses = () => Object.fromEntries(REFERRAL_STATUSES.map((s) => [s, 0])) as Record<ReferralStatus, number>;
const blankDay = (date: string): DayFigures => ({
  date,
  by_status: zeroStatuses(),
  submitted: 0,
  converted: 0,
  confirmed: 0,
  confirmed_value_cents: 0,
  confirmed_unvalued: 0,
  paid: 0,
  paid_cents: 0,
  clawbacks: 0,
  clawback_cents: 0,
});

/** An analytics_daily key with its figures (its shards added up): day, metric, status, count, amount_cents, unvalued_count. */
type RollupRow = [string, 'submitted' | 'converted' | 'booked' | 'paid' | 'clawback', string, number, number, number];

/** Calendar dates (YYYY-MM-DD) from `first` to `last`. */
function calendarDays(first: string, last: string): string[] {
  const dates: string[] = [];
  for (let d = new Date(`${first}T00:00:00Z`); d.toISOString().slice(0, 10) <= last; d.setUTCDate(d.getUTCDate() + 1))
    dates.push(d.toISOString().slice(0, 10));
  return dates;
}

/**
 * The period's days (every day, zero when nothing happened) and totals, from the daily rollup
 * in one query: its rows come as one JSON array (at most 365 days × a dozen rows).
 */
export async function periodFigures(db: Db, periodDays: number): Promise<PeriodFigures> {
  const {
    rows: [result],
  } = await db.raw<{ rows: { first_day: string; last_day: string; from: Date; to: Date; rollup: RollupRow[] | null }[] }>(
    `WITH bounds AS (SELECT (now() AT TIME ZONE :tz)::date AS last_day, now() AS now)
     SELECT b.last_day - (:days::int - 1) AS first_day, b.last_day, ((b.last_day - (:days::int - 1))::timestamp AT TIME ZONE :tz) AS "from", b.now AS "to",
            (SELECT json_agg(json_build_array(a.day, a.metric, a.status, a.count, a.amount_cents, a.unvalued_count))
               FROM (SELECT day, metric, status, sum(count) AS count, sum(amount_cents) AS amount_cents, sum(unvalued_count) AS unvalued_count
                       FROM analytics_daily WHERE day BETWEEN b.last_day - (:days::int - 1) AND b.last_day GROUP BY 1, 2, 3) a) AS rollup
       FROM bounds b`,
    { tz: TIME_ZONE, days: periodDays },
  );
  const days = calendarDays(result.first_day, result.last_day).map(blankDay);
  const byDate = new Map(days.map((d) => [d.date, d]));
  const { date: _, ...totals } = blankDay('');
  for (const row of result.rollup ?? []) {
    addRow(byDate.get(row[0])!, row);
    addRow(totals, row);
  }
  return { period: { days: periodDays, from: result.from.toISOString(), to: result.to.toISOString() }, days, totals };
}

function addRow(day: Totals, [, metric, status, count, cents, unvalued]: RollupRow): void {
  switch (metric) {
    case 'submitted':
      day.by_status[status as ReferralStatus] += count;
      day.submitted += count;
      break;
    case 'converted':
      day.converted += count;
      break;
    case 'booked':
      day.confirmed += count;
      day.confirmed_value_cents += cents;
      day.confirmed_unvalued += unvalued;
      break;
    case 'paid':
      day.paid += count;
      day.paid_cents += cents;
      break;
    case 'clawback':
      day.clawbacks += count;
      day.clawback_cents += cents;
      break;
  }
}

/** Referrals submitted whose booking was confirmed / referrals submitted; 0 when none were. */
export const conversionRate = ({ submitted, converted }: Totals) => (submitted === 0 ? 0 : converted / submitted);

/** (value - cost) / cost; null when nothing was paid (no cost to divide by). */
export const roi = (valueCents: number, costCents: number) => (costCents === 0 ? null : (valueCents - costCents) / costCents);

/** Confirmed bookings' value: the known values, plus `averageBookingValueCents` for each booking without one. */
export const bookingValueCents = (totals: Totals, averageBookingValueCents: number) =>
  totals.confirmed_value_cents + totals.confirmed_unvalued * averageBookingValueCents;

/** Referrals approved and in their reward hold now (any submission date): count and reward amounts. */
export async function pendingRewards(db: Db): Promise<{ count: number; amount_cents: number }> {
  const row = await db('analytics_daily')
    .where({ metric: 'submitted', status: 'approved' })
    .first(db.raw('coalesce(sum(count), 0)::bigint AS count'), db.raw('coalesce(sum(amount_cents), 0)::bigint AS amount_cents'));
  return { count: Number(row.count), amount_cents: Number(row.amount_cents) };
}

/** All referrals a customer made, exactly (`referrer_stats`, kept by the rollup triggers). */
export async function referralCountOf(db: Db, customerId: string): Promise<number> {
  const row = await db('referrer_stats').where({ customer_id: customerId }).first('referrals');
  return row?.referrals ?? 0;
}

export interface TopReferrer {
  customer_id: string;
  name: string;
  referral_code: string;
  referrals: number;
  converted: number;
  paid: number;
  rewards_cents: number;
}

const RANKING = 'ORDER BY converted DESC, referrals DESC, customer_id LIMIT :limit';
const PERIOD_START = `((now() AT TIME ZONE :tz)::date - :days::int + 1)::timestamp AT TIME ZONE :tz`;
const PERIOD_STATS = `count(*) AS referrals, count(booking_confirmed_at) AS converted, count(*) FILTER (WHERE status = 'paid') AS paid,
  coalesce(sum(reward_amount_cents) FILTER (WHERE status = 'paid'), 0) AS rewards_cents`;
/** How many all-time leaders are scored first. */
const SEEDS = 100;
/**
 * Scoring one candidate (an index descent) costs about as much as this many referrals of a
 * whole-period scan (measured at 2M referrals: some 6 µs against 1 µs).
 */
const CANDIDATE_COST = 6;

/** The period's figures of the referrers that `referrers` (SQL of customer_id) selects, each from referrals_referrer_period_idx. */
const perReferrer = (referrers: string) => `
  SELECT s.customer_id, p.* FROM (${referrers}) s
   CROSS JOIN LATERAL (SELECT ${PERIOD_STATS} FROM referrals r WHERE r.referrer_id = s.customer_id AND r.submitted_at >= ${PERIOD_START}) p
   WHERE p.referrals > 0`;
const wholePeriod = `SELECT referrer_id AS customer_id, ${PERIOD_STATS} FROM referrals WHERE submitted_at >= ${PERIOD_START} GROUP BY referrer_id`;

/**
 * The SQL of a period's per-referrer figures that holds the period's top `limit`. Scoring every
 * referral of the period costs what the period holds (at 2M referrals about 40 ms for 7 days,
 * 0.15 s for 30, 2 s for 365). Cheaper when it applies: the period scores of the all-time
 * leaders give a floor for the limit-th best score, and a referrer whose all-time converted
 * count (referrer_stats) is below that floor cannot reach it in the period, so when few
 * referrers are at or above it only they are scored, index-only. Exact either way.
 */
async function periodRankingSql(db: Db, limit: number, days: number): Promise<string> {
  const params = { tz: TIME_ZONE, days, limit, seeds: SEEDS };
  const { rows: seeds } = await db.raw<{ rows: { converted: string }[] }>(
    `${perReferrer('SELECT customer_id FROM referrer_stats ORDER BY converted DESC, referrals DESC, customer_id LIMIT :seeds')} ${RANKING}`,
    params,
  );
  const floor = seeds.length === limit ? Number(seeds[limit - 1].converted) : 0;
  if (floor === 0) return wholePeriod;
  const {
    rows: [worth],
  } = await db.raw<{ rows: { candidates: string; affordable: string }[] }>(
    `WITH period AS (
       SELECT ceil(coalesce(sum(count), 0) / :cost)::bigint AS affordable FROM analytics_daily
        WHERE metric = 'submitted' AND day >= (now() AT TIME ZONE :tz)::date - :days::int + 1
     )
     SELECT (SELECT count(*) FROM (SELECT 1 FROM referrer_stats WHERE converted >= :floor LIMIT (SELECT affordable FROM period)) c) AS candidates,
            (SELECT affordable FROM period) AS affordable`,
    { tz: TIME_ZONE, days, floor, cost: CANDIDATE_COST },
  );
  return Number(worth.candidates) < Number(worth.affordable)
    ? perReferrer(`SELECT customer_id FROM referrer_stats WHERE converted >= ${floor}`)
    : wholePeriod;
}

/**
 * The referrers with the most referrals whose booking was confirmed (then the most referrals).
 * All time (`periodDays` undefined): an index scan of `referrer_stats`. For a period: the
 * referrals submitted in it, per referrer (see periodRankingSql for the cost).
 */
export async function topReferrers(db: Db, limit: number, periodDays?: number): Promise<TopReferrer[]> {
  const ranked =
    periodDays === undefined
      ? 'SELECT customer_id, referrals, converted, paid, rewards_cents FROM referrer_stats WHERE referrals > 0'
      : await periodRankingSql(db, limit, periodDays);
  const { rows } = await db.raw<{ rows: Record<string, string>[] }>(
    `WITH ranked AS (${ranked} ${RANKING})
     SELECT r.*, c.name, c.referral_code FROM ranked r JOIN customers c ON c.id = r.customer_id
      ORDER BY r.converted DESC, r.referrals DESC, r.customer_id`,
    { tz: TIME_ZONE, days: periodDays ?? 0, limit },
  );
  return rows.map((r) => ({
    customer_id: String(r.customer_id),
    name: r.name,
    referral_code: r.referral_code,
    referrals: Number(r.referrals),
    converted: Number(r.converted),
    paid: Number(r.paid),
    rewards_cents: Number(r.rewards_cents),
  }));
}
