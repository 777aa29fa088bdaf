import type { ReferralStatus } from '../../domain/referral-status.js';
import type { Db } from '../knex.js';
import { bookingValueCents, pendingRewards, periodFigures } from './analytics.js';

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

/**
 * The dashboard's figures for the last `periodDays` days, read from the analytics rollups
 * (exact and current: triggers keep them in the writers' transactions). Definitions (also in
 * the API docs):
 * - conversion: referrals submitted in the period whose booking was confirmed / referrals submitted;
 * - rewards pending: referrals approved and in their hold now (any submission date);
 *   rewards paid: rewards paid in the period;
 * - revenue impact: value of bookings confirmed in the period (AVERAGE_BOOKING_VALUE where a
 *   booking has no value) against the rewards paid in the period.
 * Days are calendar days in Europe/Amsterdam.
 */
export async function dashboardStats(db: Db, periodDays: number, averageBookingValueCents: number): Promise<DashboardStats> {
  const [{ period, days, totals }, pending] = await Promise.all([periodFigures(db, periodDays), pendingRewards(db)]);
  return {
    period_days: period.days,
    from: period.from,
    to: period.to,
    referrals: { total: totals.submitted, by_status: totals.by_status },
    conversion_rate: totals.submitted === 0 ? 0 : totals.converted / totals.submitted,
    rewards: {
      pending_amount_cents: pending.amount_cents,
      pending_count: pending.count,
      paid_amount_cents: totals.paid_cents,
      paid_count: totals.paid,
    },
    revenue_impact: { booking_value_cents: bookingValueCents(totals, averageBookingValueCents), rewards_cost_cents: totals.paid_cents },
    series: days.map((d) => ({ date: d.date, submitted: d.submitted, confirmed: d.confirmed, paid: d.paid })),
  };
}
