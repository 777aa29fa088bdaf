import { REFERRAL_STATUSES, type ReferralStatus } from '../../domain/referral-status.js';
import type { Db } from '../knex.js';

export interface DashboardStats {
  period_days: number;
  from: string;
  to: string;
  referrals: { total: number; by_status: Record<ReferralStatus, number> };
  conversion_rate: number;
  rewards: { pending_amount_cents: number; pending_count: number; paid_amount_cents: number; paid_count: number };
  revenue_impact: { booking_value_cents: number; rewards_cost_cents: number };
  series: { date: string; submitted: number; confirmed: number; paid: number }[];
}

const TIME_ZONE = 'Europe/Amsterdam';

/**
 * The dashboard's figures for the last `periodDays` days, computed from the read model on
 * each call (fresh, no cache). Definitions (also in the API docs):
 * - conversion: referrals submitted in the period whose booking was confirmed / referrals submitted;
 * - rewards pending: referrals approved and in their hold now (any submission date);
 *   rewards paid: rewards paid in the period;
 * - revenue impact: value of bookings confirmed in the period (AVERAGE_BOOKING_VALUE where a
 *   booking has no value) against the rewards paid in the period.
 * Days are calendar days in Europe/Amsterdam.
 */
export async function dashboardStats(db: Db, periodDays: number, averageBookingValueCents: number): Promise<DashboardStats> {
  const { rows: [bounds] } = await db.raw<{ rows: { from: Date; to: Date }[] }>(
    `SELECT (date_trunc('day', now() AT TIME ZONE ?) - make_interval(days => ? - 1)) AT TIME ZONE ? AS "from", now() AS "to"`,
    [TIME_ZONE, periodDays, TIME_ZONE],
  );
  const from = bounds.from;
  const [statusRows, converted, pending, paid, confirmed, series] = await Promise.all([
    db('referrals').select('status').count<{ status: ReferralStatus; count: string }[]>({ count: '*' }).where('submitted_at', '>=', from).groupBy('status'),
    db('referrals').where('submitted_at', '>=', from).whereNotNull('booking_confirmed_at').select(db.raw('count(*)::int AS count')).first(),
    db('referrals').where({ status: 'approved' }).select(db.raw('count(*)::int AS count'), db.raw('coalesce(sum(reward_amount_cents), 0)::bigint AS amount')).first(),
    db('rewards').where('paid_at', '>=', from).select(db.raw('count(*)::int AS count'), db.raw('coalesce(sum(amount_cents), 0)::bigint AS amount')).first(),
    db('referrals')
      .where('booking_confirmed_at', '>=', from)
      .select(db.raw('coalesce(sum(coalesce(booking_value_cents, ?)), 0)::bigint AS value', [averageBookingValueCents]))
      .first(),
    db.raw<{ rows: { date: string; submitted: number; confirmed: number; paid: number }[] }>(
      `WITH days AS (
         SELECT d::date AS day FROM generate_series((?::timestamptz AT TIME ZONE ?)::date, (now() AT TIME ZONE ?)::date, interval '1 day') d
       ),
       submitted AS (SELECT (submitted_at AT TIME ZONE ?)::date AS day, count(*) AS n FROM referrals WHERE submitted_at >= ? GROUP BY 1),
       confirmed AS (SELECT (booking_confirmed_at AT TIME ZONE ?)::date AS day, count(*) AS n FROM referrals WHERE booking_confirmed_at >= ? GROUP BY 1),
       paid AS (SELECT (paid_at AT TIME ZONE ?)::date AS day, count(*) AS n FROM rewards WHERE paid_at >= ? GROUP BY 1)
       SELECT to_char(days.day, 'YYYY-MM-DD') AS date,
              coalesce(submitted.n, 0)::int AS submitted, coalesce(confirmed.n, 0)::int AS confirmed, coalesce(paid.n, 0)::int AS paid
         FROM days LEFT JOIN submitted USING (day) LEFT JOIN confirmed USING (day) LEFT JOIN paid USING (day)
        ORDER BY days.day`,
      [from, TIME_ZONE, TIME_ZONE, TIME_ZONE, from, TIME_ZONE, from, TIME_ZONE, from],
    ),
  ]);

  const byStatus = Object.fromEntries(REFERRAL_STATUSES.map((s) => [s, 0])) as Record<ReferralStatus, number>;
  for (const row of statusRows) byStatus[row.status] = Number(row.count);
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  return {
    period_days: periodDays,
    from: from.toISOString(),
    to: bounds.to.toISOString(),
    referrals: { total, by_status: byStatus },
    conversion_rate: total === 0 ? 0 : converted.count / total,
    rewards: {
      pending_amount_cents: Number(pending.amount),
      pending_count: pending.count,
      paid_amount_cents: Number(paid.amount),
      paid_count: paid.count,
    },
    revenue_impact: { booking_value_cents: Number(confirmed.value), rewards_cost_cents: Number(paid.amount) },
    series: series.rows,
  };
}
