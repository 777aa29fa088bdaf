import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { dashboardStats } from '../../db/repositories/dashboard.js';
import { centsToEuros } from '../../domain/money.js';
import { errorReplies } from '../schemas.js';
import type { ApiDeps } from '../app.js';
import { DEFINITIONS, PeriodQuery, roi } from './analytics.js';

const dashboardRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { db, config }) => {
  app.get('/dashboard/stats', {
    onRequest: app.authenticate,
    schema: {
      tags: ['dashboard'],
      summary: 'Referral figures for the last 7/30/90/365 days, fresh on every call',
      description:
        `referrals: submitted in the period, by their status now. ${DEFINITIONS.conversion} ` +
        'rewards.pending = referrals approved and in their reward hold now; rewards.paid = rewards paid in the period. ' +
        `revenue_impact: ${DEFINITIONS.revenue} series: per day, referrals submitted, bookings confirmed, rewards paid. ${DEFINITIONS.period}`,
      security: [{ bearerAuth: [] }],
      querystring: PeriodQuery(30),
      response: { ...errorReplies(400, 401) },
    },
  }, async (request) => {
    const stats = await dashboardStats(db, request.query.period, config.referrals.averageBookingValueCents);
    const { booking_value_cents, rewards_cost_cents } = stats.revenue_impact;
    return {
      period_days: stats.period_days,
      from: stats.from,
      to: stats.to,
      referrals: stats.referrals,
      conversion_rate: stats.conversion_rate,
      rewards: {
        pending_amount: centsToEuros(stats.rewards.pending_amount_cents),
        pending_count: stats.rewards.pending_count,
        paid_amount: centsToEuros(stats.rewards.paid_amount_cents),
        paid_count: stats.rewards.paid_count,
      },
      revenue_impact: {
        booking_value: centsToEuros(booking_value_cents),
        rewards_cost: centsToEuros(rewards_cost_cents),
        roi: roi(booking_value_cents, rewards_cost_cents),
      },
      series: stats.series,
    };
  });
};

export default dashboardRoutes;
