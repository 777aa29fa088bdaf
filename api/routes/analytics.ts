import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  bookingValueCents,
  conversionRate,
  pendingRewards,
  periodFigures,
  roi,
  topReferrers,
  type DayFigures,
  type PeriodFigures,
  type Totals,
} from '../../db/repositories/analytics.js';
import { centsToEuros } from '../../domain/money.js';
import { REFERRAL_STATUSES } from '../../domain/referral-status.js';
import { Defaulted, Nullable, Query, errorReplies, reportPeriod } from '../schemas.js';
import type { ApiDeps } from '../app.js';

/** The definitions the analytics answer by; they are in the API docs (/api/docs) word for word. */
const DEFINITIONS = {
  period:
    'A period of N days is today and the N - 1 days before it, calendar days in Europe/Amsterdam. ' +
    "Figures are read from rollups that database triggers keep exact in every write's transaction: fresh on every call, no cache.",
  conversion:
    'conversion_rate = referrals submitted in the period whose booking was confirmed (at any time since) / referrals submitted in the period; 0 when none were submitted.',
  revenue:
    'booking_value = value of the bookings confirmed in the period, AVERAGE_BOOKING_VALUE for a booking without a value; ' +
    'rewards_cost = rewards paid in the period; net = booking_value - rewards_cost; roi = net / rewards_cost, null when no reward was paid (no cost to divide by). ' +
    'Clawbacks (rewards marked for clawback in the period after their booking was cancelled) are reported, not deducted. Amounts in EUR.',
};

/** `?period=` of the dashboard and analytics reads: one of REPORT_PERIODS. */
const PeriodQuery = (defaultPeriod: number) => Query({ period: Defaulted(reportPeriod('days', defaultPeriod)) });

const PeriodFields = {
  period_days: Type.Integer(),
  from: Type.String({ format: 'date-time', description: 'start of the first day (Amsterdam midnight)' }),
  to: Type.String({ format: 'date-time', description: 'now' }),
};
const StatusCounts = Type.Object(Object.fromEntries(REFERRAL_STATUSES.map((s) => [s, Type.Integer()])));

const RevenueImpactFields = {
  bookings_confirmed: Type.Integer(),
  bookings_without_value: Type.Integer({ description: 'counted at average_booking_value' }),
  average_booking_value: Type.Number(),
  booking_value: Type.Number(),
  rewards_paid: Type.Integer(),
  rewards_cost: Type.Number(),
  clawbacks: Type.Integer(),
  clawback_amount: Type.Number(),
  net: Type.Number(),
  roi: Nullable(Type.Number({ description: '(booking_value - rewards_cost) / rewards_cost; null when rewards_cost is 0' })),
};

const Day = Type.Object({
  date: Type.String({ format: 'date' }),
  submitted: Type.Integer(),
  by_status: StatusCounts,
  converted: Type.Integer(),
  confirmed: Type.Integer(),
  booking_value: Type.Number(),
  paid: Type.Integer(),
  paid_amount: Type.Number(),
  clawbacks: Type.Integer(),
});

const periodOf = ({ period }: PeriodFigures) => ({ period_days: period.days, from: period.from, to: period.to });

function revenueImpact(totals: Totals, averageCents: number) {
  const value = bookingValueCents(totals, averageCents);
  return {
    bookings_confirmed: totals.confirmed,
    bookings_without_value: totals.confirmed_unvalued,
    average_booking_value: centsToEuros(averageCents),
    booking_value: centsToEuros(value),
    rewards_paid: totals.paid,
    rewards_cost: centsToEuros(totals.paid_cents),
    clawbacks: totals.clawbacks,
    clawback_amount: centsToEuros(totals.clawback_cents),
    net: centsToEuros(value - totals.paid_cents),
    roi: roi(value, totals.paid_cents),
  };
}

const dayJson = (d: DayFigures, averageCents: number) => ({
  date: d.date,
  submitted: d.submitted,
  by_status: d.by_status,
  converted: d.converted,
  confirmed: d.confirmed,
  booking_value: centsToEuros(bookingValueCents(d, averageCents)),
  paid: d.paid,
  paid_amount: centsToEuros(d.paid_cents),
  clawbacks: d.clawbacks,
});

/**
 * The dashboard's figures and the analytics reads, all from the rollups (`periodFigures`). The
 * dashboard answers in one read everything its page shows, the time series by status and the
 * revenue impact included; the /analytics routes answer each part on its own. Every one of them
 * only reads, and may lag a second or so: they read `readDb` (the read replica when
 * DATABASE_READ_URL is set, else the primary).
 */
const analyticsRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { readDb, config }) => {
  app.addHook('onRequest', app.authenticate);
  const average = config.referrals.averageBookingValueCents;

  app.get(
    '/dashboard/stats',
    {
      schema: {
        tags: ['dashboard'],
        summary: 'Referral figures for the last 7/30/90/365 days, fresh on every call',
        description:
          `referrals: submitted in the period, by their status now. ${DEFINITIONS.conversion} ` +
          'rewards.pending = referrals approved and in their reward hold now; rewards.paid = rewards paid in the period. ' +
          `revenue_impact: as GET /analytics/revenue-impact. ${DEFINITIONS.revenue} series: per day, as GET /analytics/timeseries. ${DEFINITIONS.period}`,
        security: [{ bearerAuth: [] }],
        querystring: PeriodQuery(30),
        response: {
          200: Type.Object({
            ...PeriodFields,
            referrals: Type.Object({ total: Type.Integer(), by_status: StatusCounts }),
            conversion_rate: Type.Number(),
            rewards: Type.Object({
              pending_amount: Type.Number(),
              pending_count: Type.Integer(),
              paid_amount: Type.Number(),
              paid_count: Type.Integer(),
            }),
            revenue_impact: Type.Object(RevenueImpactFields),
            series: Type.Array(Day),
          }),
          ...errorReplies(400, 401),
        },
      },
    },
    async (request) => {
      const [figures, pending] = await Promise.all([periodFigures(readDb, request.query.period), pendingRewards(readDb)]);
      const { totals } = figures;
      return {
        ...periodOf(figures),
        referrals: { total: totals.submitted, by_status: totals.by_status },
        conversion_rate: conversionRate(totals),
        rewards: {
          pending_amount: centsToEuros(pending.amount_cents),
          pending_count: pending.count,
          paid_amount: centsToEuros(totals.paid_cents),
          paid_count: totals.paid,
        },
        revenue_impact: revenueImpact(totals, average),
        series: figures.days.map((d) => dayJson(d, average)),
      };
    },
  );

  app.get(
    '/analytics/conversion-rate',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Conversion of the referrals submitted in the period',
        description: `${DEFINITIONS.conversion} ${DEFINITIONS.period}`,
        security: [{ bearerAuth: [] }],
        querystring: PeriodQuery(90),
        response: {
          200: Type.Object({ ...PeriodFields, submitted: Type.Integer(), converted: Type.Integer(), conversion_rate: Type.Number() }),
          ...errorReplies(400, 401),
        },
      },
    },
    async (request) => {
      const figures = await periodFigures(readDb, request.query.period);
      const { submitted, converted } = figures.totals;
      return { ...periodOf(figures), submitted, converted, conversion_rate: conversionRate(figures.totals) };
    },
  );

  app.get(
    '/analytics/revenue-impact',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Confirmed booking value against the rewards paid, with ROI',
        description: `${DEFINITIONS.revenue} ${DEFINITIONS.period}`,
        security: [{ bearerAuth: [] }],
        querystring: PeriodQuery(30),
        response: {
          200: Type.Object({ ...PeriodFields, ...RevenueImpactFields }),
          ...errorReplies(400, 401),
        },
      },
    },
    async (request) => {
      const figures = await periodFigures(readDb, request.query.period);
      return { ...periodOf(figures), ...revenueImpact(figures.totals, average) };
    },
  );

  app.get(
    '/analytics/timeseries',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Per day of the period: referrals submitted by their status now, bookings confirmed, rewards paid',
        description:
          'One entry per day, oldest first, every day present. submitted / by_status: the referrals submitted that day, by their status now; ' +
          'converted: of those, the ones whose booking was confirmed; confirmed / booking_value: bookings confirmed that day (AVERAGE_BOOKING_VALUE where unknown); ' +
          `paid / paid_amount: rewards paid that day; clawbacks: rewards marked for clawback that day. ${DEFINITIONS.period}`,
        security: [{ bearerAuth: [] }],
        querystring: PeriodQuery(30),
        response: {
          200: Type.Object({
            ...PeriodFields,
            days: Type.Array(Day),
          }),
          ...errorReplies(400, 401),
        },
      },
    },
    async (request) => {
      const figures = await periodFigures(readDb, request.query.period);
      return {
        ...periodOf(figures),
        days: figures.days.map((d) => dayJson(d, average)),
      };
    },
  );

  app.get(
    '/analytics/top-referrers',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Leaderboard: the referrers with the most referrals whose booking was confirmed',
        description:
          'Ranked by converted (referrals whose booking was confirmed), then referrals, then customer id. Without period: all time, from per-referrer ' +
          'counters kept by triggers (an index scan). With period: the referrals submitted in the period, from per-referrer day and month ' +
          'counters kept by the same triggers (only the referrers who can still reach the top are scored). ' +
          `paid / rewards_amount: referrals paid out and their rewards. ${DEFINITIONS.period}`,
        security: [{ bearerAuth: [] }],
        querystring: Query({
          period: Type.Optional(reportPeriod('days; all time when absent')),
          limit: Defaulted(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
        }),
        response: {
          200: Type.Object({
            period_days: Nullable(Type.Integer({ description: 'null: all time' })),
            data: Type.Array(
              Type.Object({
                rank: Type.Integer(),
                customer_id: Type.String(),
                name: Type.String(),
                referral_code: Type.String(),
                referrals: Type.Integer(),
                converted: Type.Integer(),
                paid: Type.Integer(),
                rewards_amount: Type.Number(),
              }),
            ),
          }),
          ...errorReplies(400, 401),
        },
      },
    },
    async (request) => {
      const { period, limit } = request.query;
      const rows = await topReferrers(readDb, limit, period);
      return {
        period_days: period ?? null,
        data: rows.map(({ rewards_cents, ...row }, i) => ({ rank: i + 1, ...row, rewards_amount: centsToEuros(rewards_cents) })),
      };
    },
  );
};

export default analyticsRoutes;
