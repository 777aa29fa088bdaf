import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { dashboardStats } from '../../db/repositories/dashboard.js';
import { centsToEuros } from '../../domain/money.js';
import { REPORT_PERIODS } from '../../domain/periods.js';
import { errorReplies } from '../schemas.js';
import type { ApiDeps } from '../app.js';

const dashboardRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { db, config }) => {
  app.get('/dashboard/stats', {
    onRequest: app.authenticate,
    schema: {
      tags: ['dashboard'],
      summary: 'Referral figures for the last 7/30/90/365 days, fresh on every call',
      description:
        'conversion_rate = referrals submitted in the period whose booking was confirmed / referrals submitted in the period. ' +
        'rewards.pending = referrals approved and in their reward hold now; rewards.paid = rewards paid in the period. ' +
        'revenue_impact.booking_value = value of bookings confirmed in the period (AVERAGE_BOOKING_VALUE where unknown); ' +
        'rewards_cost = rewards paid in the period; roi = (booking_value - rewards_cost) / rewards_cost (null without cost). ' +
        'Amounts in EUR; days are calendar days in Europe/Amsterdam.',
      security: [{ bearerAuth: [] }],
      querystring: Type.Object({ period: Type.Union(REPORT_PERIODS.map((p) => Type.Literal(p)), { default: 30 }) }),
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
        roi: rewards_cost_cents === 0 ? null : (booking_value_cents - rewards_cost_cents) / rewards_cost_cents,
      },
      series: stats.series,
    };
  });
};

export default dashboardRoutes;
