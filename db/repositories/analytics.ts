import { REFERRAL_STATUSES, type ReferralStatus } from '../../domain/referral-status.js';
import type { Db } from '../knex.js';

/**
 * Reads of the analytics rollups that migrations 007 and 015 keep exact with triggers
 * (`analytics_daily` per Amsterdam calendar day, `referrer_stats` per referrer, `referrer_daily`
 * and `referrer_monthly` per referrer and day or month of submission). A period of N days is
 * today and the N - 1 days before it, in Europe/Amsterdam. Every read sees the committed writes:
 * no cache.
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
/** Amsterdam midnight at the start of `day` (SQL of a date). */
const startOf = (day: string) => `(${day})::timestamp AT TIME ZONE :tz`;
/**
 * How many leaders of all time, of this month and of the last are scored first, each (at least;
 * twice the limit when that is more).
 */
const SEEDS = 50;
/**
 * What a row of `referrer_monthly` that passes the month bound costs, in rows of
 * `referrer_daily` with a confirmed booking that the day path would sum instead.
 */
const HIT_COST = 4;

/**
 * The period's figures (from the day `:first` on) of the referrers that `referrers` (SQL of
 * customer_id) selects, each from referrals_referrer_period_idx (index-only).
 */
const perReferrer = (referrers: string) => `
  SELECT s.customer_id, p.* FROM (${referrers}) s
   CROSS JOIN LATERAL (
     SELECT count(*) AS referrals, count(booking_confirmed_at) AS converted, count(*) FILTER (WHERE status = 'paid') AS paid,
            coalesce(sum(reward_amount_cents) FILTER (WHERE status = 'paid'), 0) AS rewards_cents
       FROM referrals r WHERE r.referrer_id = s.customer_id AND r.submitted_at >= ${startOf(':first::date')}) p
   WHERE p.referrals > 0`;

/**
 * The day path: the period's `referrer_daily` rows with a confirmed booking give every
 * referrer's converted count in the period, hence the limit-th best count, and only the
 * referrers at or above it are scored. When fewer than `limit` referrers have any (a quiet
 * period, a small database), every referrer of the period can rank: all its rows, summed.
 */
const dayPath = `
  WITH converted AS MATERIALIZED (
    SELECT customer_id, sum(converted) AS converted FROM referrer_daily WHERE day >= :first::date AND converted > 0 GROUP BY 1
  ), floor AS (SELECT converted FROM converted ORDER BY converted DESC LIMIT 1 OFFSET :limit - 1)
  ${perReferrer('SELECT customer_id FROM converted WHERE converted >= (SELECT converted FROM floor)')}
  UNION ALL
  SELECT customer_id, sum(referrals), sum(converted), sum(paid), sum(rewards_cents) FROM referrer_daily
   WHERE day >= :first::date AND NOT EXISTS (SELECT 1 FROM floor) GROUP BY 1 HAVING sum(referrals) > 0`;

/** The months from `first` to `last` (YYYY-MM), as dates of their first day. */
function monthsBetween(first: string, last: string): string[] {
  const months: string[] = [];
  for (let [y, m] = first.split('-').map(Number); `${y}-${String(m).padStart(2, '0')}` <= last; m === 12 ? ((m = 1), y++) : m++)
    months.push(`${y}-${String(m).padStart(2, '0')}-01`);
  return months;
}

/**
 * The SQL of a period's per-referrer figures that holds the period's top `limit`, and its
 * parameters. Summing all of the period's `referrer_daily` rows per referrer costs what the
 * period holds: about a row per referral, most referrers referring at most once a day (at 2M
 * referrals: 1.36M rows for 365 days, 1.7 s; 169k for 30 days, 0.12 s). Exact either way:
 * - The month path. The period's converted counts of some likely leaders (of all time in
 *   `referrer_stats`, of this month and of the last in `referrer_monthly`) give a floor F for
 *   the limit-th best: each count is the referrer's referrals of the first, partial month
 *   (index-only) plus its `referrer_monthly` rows after it. A referrer reaching F in a period
 *   over m calendar months has at least ceil(F / m) in one of them (an index range per month in
 *   `referrer_monthly_converted_idx`), at least F all time (`referrer_stats`) and at least F in
 *   those months together; the few that pass all three are scored (at 2M referrals: 16 to 33
 *   referrers for 30, 90 and 365 days).
 * - The day path (`dayPath`), when F is 0 or too low for the months (a week: F is 2 or 3, and
 *   40,000 referrers had a booking confirmed in the month): it sums only the period's rows with
 *   a confirmed booking (some 3,600 for 7 days).
 */
async function periodRanking(db: Db, limit: number, days: number): Promise<{ sql: string; params: Record<string, unknown> }> {
  const {
    rows: [period],
  } = await db.raw<{ rows: { first: string; last_month: string; floor: number | null; converted: string }[] }>(
    `WITH d AS (SELECT (now() AT TIME ZONE :tz)::date - :days::int + 1 AS first),
          p AS (SELECT first, (date_trunc('month', first) + interval '1 month')::date AS next_month,
                       date_trunc('month', now() AT TIME ZONE :tz)::date AS this_month FROM d)
     SELECT to_char(p.first, 'YYYY-MM-DD') AS first,
            to_char(greatest((now() AT TIME ZONE :tz)::date, (SELECT max(month) FROM referrer_monthly)), 'YYYY-MM') AS last_month,
            (SELECT c.converted FROM (
               SELECT (SELECT count(booking_confirmed_at)::int FROM referrals r
                        WHERE r.referrer_id = s.customer_id AND r.submitted_at >= ${startOf('p.first')} AND r.submitted_at < ${startOf('p.next_month')})
                      + coalesce((SELECT sum(m.converted)::int FROM referrer_monthly m WHERE m.customer_id = s.customer_id AND m.month >= p.next_month), 0)
                      AS converted
                 FROM (
                   (SELECT customer_id FROM referrer_stats ORDER BY converted DESC, referrals DESC, customer_id LIMIT :seeds)
                   UNION (SELECT customer_id FROM referrer_monthly WHERE month = p.this_month ORDER BY converted DESC LIMIT :seeds)
                   UNION (SELECT customer_id FROM referrer_monthly WHERE month = p.this_month - interval '1 month' ORDER BY converted DESC LIMIT :seeds)
                 ) s
             ) c ORDER BY c.converted DESC LIMIT 1 OFFSET :limit - 1) AS floor,
            (SELECT coalesce(sum(count), 0) FROM analytics_daily WHERE metric = 'converted' AND day >= p.first) AS converted
       FROM p`,
    { tz: TIME_ZONE, days, limit, seeds: Math.max(SEEDS, 2 * limit) },
  );
  const params = { tz: TIME_ZONE, limit, first: period.first };
  const floor = period.floor ?? 0;
  const months = monthsBetween(period.first.slice(0, 7), period.last_month);
  const least = Math.ceil(floor / months.length);
  const affordable = Math.ceil(Number(period.converted) / HIT_COST);
  // With a bound of 1, every referrer with a booking confirmed in the months is a hit: more than the day path sums.
  if (least <= 1) return { sql: dayPath, params };
  const {
    rows: [bound],
  } = await db.raw<{ rows: { hits: number; candidates: string[] | null }[] }>(
    `WITH hits AS MATERIALIZED (
       SELECT customer_id FROM referrer_monthly WHERE month = ANY (:months::date[]) AND converted >= :least LIMIT :affordable
     )
     SELECT (SELECT count(*)::int FROM hits) AS hits,
            CASE WHEN (SELECT count(*) FROM hits) < :affordable THEN (
              SELECT array_agg(h.customer_id) FROM (SELECT DISTINCT customer_id FROM hits) h
               WHERE (SELECT s.converted FROM referrer_stats s WHERE s.customer_id = h.customer_id) >= :floor
                 AND (SELECT sum(m.converted) FROM referrer_monthly m WHERE m.customer_id = h.customer_id AND m.month >= :firstMonth::date) >= :floor
            ) END AS candidates`,
    { months, firstMonth: months[0], least, floor, affordable },
  );
  if (bound.hits >= affordable) return { sql: dayPath, params };
  return {
    sql: perReferrer('SELECT unnest(:candidates::bigint[]) AS customer_id'),
    params: { ...params, candidates: bound.candidates ?? [] },
  };
}

/**
 * The referrers with the most referrals whose booking was confirmed (then the most referrals).
 * All time (`periodDays` undefined): an index scan of `referrer_stats`. For a period: the
 * referrals submitted in it, per referrer, with the rollups of migration 015 (see periodRanking).
 */
export async function topReferrers(db: Db, limit: number, periodDays?: number): Promise<TopReferrer[]> {
  const { sql: ranked, params } =
    periodDays === undefined
      ? { sql: 'SELECT customer_id, referrals, converted, paid, rewards_cents FROM referrer_stats WHERE referrals > 0', params: { limit } }
      : await periodRanking(db, limit, periodDays);
  const { rows } = await db.raw<{ rows: Record<string, string>[] }>(
    `WITH ranked AS (${ranked} ${RANKING})
     SELECT r.*, c.name, c.referral_code FROM ranked r JOIN customers c ON c.id = r.customer_id
      ORDER BY r.converted DESC, r.referrals DESC, r.customer_id`,
    { ...params, limit },
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
