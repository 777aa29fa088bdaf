import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { auditTrail, getReferral, listReferrals } from '../../db/repositories/referrals.js';
import { getReward } from '../../db/repositories/rewards.js';
import { isEmail, normaliseEmail } from '../../domain/email.js';
import { isReferralCode, normaliseReferralCode } from '../../domain/referral-code.js';
import { ADMIN_DECISIONS, lacksRejectionReason } from '../../domain/referral-status.js';
import { EMAIL_LOCALES } from '../../emails/messages.js';
import { HttpError, notFound } from '../errors.js';
import { referralJson } from '../serializers.js';
import { workflowWebUrl } from '../services/temporal.js';
import { KeysetPageQuery, ReferralFilterQuery, ReferralStatusSchema, errorReplies, keysetPagination, pageOf } from '../schemas.js';
import type { ApiDeps } from '../app.js';

const MAX_BULK = 500;
const BULK_CONCURRENCY = 8;
const IdParam = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,18}$', description: 'referral id' }) });
const Decision = Type.Enum(ADMIN_DECISIONS);

const referralRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { db, referrals, temporal }) => {
  // Every log line about one referral carries its id (with the request id pino already adds).
  app.addHook('preHandler', async (request, reply) => {
    const { id } = (request.params ?? {}) as { id?: string };
    if (id) reply.log = request.log = request.log.child({ referralId: id });
  });
  app.post(
    '/referrals',
    {
      schema: {
        tags: ['referrals'],
        summary: 'Submit a referral (public). The same submission again answers the same referral with 200.',
        description:
          'The answer says what was received, never what is known about the friend or the booking: no status (rules run ' +
          'afterwards), and a booking reference that another referral holds is accepted like any other (the referral is ' +
          'flagged for a human).',
        body: Type.Object(
          {
            referrer_code: Type.String({ minLength: 1, maxLength: 20 }),
            new_customer_email: Type.String({ minLength: 3, maxLength: 254 }),
            booking_reference: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
            locale: Type.Optional(
              Type.Enum([...EMAIL_LOCALES], { description: "the friend's language (the form's), for their welcome email; default nl" }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          '2xx': Type.Object({
            id: Type.String(),
            referrer_code: Type.String(),
            new_customer_email: Type.String(),
            booking_reference: Type.Union([Type.String(), Type.Null()]),
            submitted_at: Type.String({ format: 'date-time' }),
          }),
          ...errorReplies(400, 404),
        },
      },
    },
    async (request, reply) => {
      const code = normaliseReferralCode(request.body.referrer_code);
      const email = normaliseEmail(request.body.new_customer_email);
      const problems = [
        ...(isReferralCode(code) ? [] : [{ field: 'referrer_code', message: 'must be 8 characters (letters and digits, e.g. ABC23456)' }]),
        ...(isEmail(email) ? [] : [{ field: 'new_customer_email', message: 'is not a valid email address' }]),
      ];
      if (problems.length)
        throw new HttpError(400, 'validation_error', problems.map((p) => `${p.field} ${p.message}`).join('; '), problems);
      const { referral, created } = await referrals.submit({
        referrerCode: code,
        newCustomerEmail: email,
        newCustomerLocale: request.body.locale ?? null,
        bookingReference: request.body.booking_reference?.trim() || null,
      });
      const { id, referrer_code, new_customer_email, submitted_at } = referral;
      const booking_reference = referral.booking_reference ?? referral.claimed_booking_reference;
      return reply
        .status(created ? 201 : 200)
        .send({ id, referrer_code, new_customer_email, booking_reference, submitted_at: submitted_at.toISOString() });
    },
  );

  app.get(
    '/referrals',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['referrals'],
        summary: 'List referrals, newest first; search matches email, booking reference, referrer code or id',
        security: [{ bearerAuth: [] }],
        querystring: Type.Object({ ...KeysetPageQuery, ...ReferralFilterQuery }),
        response: { 200: pageOf(Type.Ref('Referral')), ...errorReplies(400, 401) },
      },
    },
    async (request) => {
      const { period, ...filters } = request.query;
      const result = await listReferrals(db, { ...filters, periodDays: period });
      return { data: result.rows.map(referralJson), pagination: keysetPagination(filters.limit, result) };
    },
  );

  app.get(
    '/referrals/:id',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['referrals'],
        summary: 'One referral: the stored row, its reward, audit trail, and the live workflow state with a Temporal Web link',
        security: [{ bearerAuth: [] }],
        params: IdParam,
        response: { ...errorReplies(400, 401, 404) },
      },
    },
    async (request) => {
      const referral = await getReferral(db, request.params.id);
      if (!referral) throw notFound(`Referral ${request.params.id}`);
      const [live, reward, audit] = await Promise.all([
        referrals.liveState(referral),
        getReward(db, referral.id),
        auditTrail(db, referral.id),
      ]);
      return {
        ...referralJson(referral),
        reward: reward ? { ...reward, amount: reward.amount_cents / 100, amount_cents: undefined } : null,
        audit_log: audit,
        workflow: {
          id: referral.workflow_id,
          url: workflowWebUrl(temporal, referral.workflow_id),
          live: live.state,
          ...(live.error && { live_error: live.error }),
        },
      };
    },
  );

  app.put(
    '/referrals/:id/status',
    {
      onRequest: app.authenticate,
      preHandler: app.requireAdminRole,
      schema: {
        tags: ['referrals'],
        summary: "Approve or reject a referral; answers the workflow update's real outcome (409 when the state does not allow it)",
        security: [{ bearerAuth: [] }],
        params: IdParam,
        body: Type.Object({ status: Decision, reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ id: Type.String(), status: ReferralStatusSchema, actor: Type.String() }),
          ...errorReplies(400, 401, 403, 404, 409, 503),
        },
      },
    },
    async (request) => {
      const { status, reason } = request.body;
      if (lacksRejectionReason(status, reason)) {
        throw new HttpError(400, 'validation_error', 'reason is required when rejecting', [
          { field: 'reason', message: 'is required when rejecting' },
        ]);
      }
      const outcome = await referrals.review(request.params.id, status, `admin:${request.user.username}`, reason?.trim());
      return { id: outcome.referralId, status: outcome.status, actor: outcome.actor };
    },
  );

  app.post(
    '/referrals/bulk-update',
    {
      onRequest: app.authenticate,
      preHandler: app.requireAdminRole,
      schema: {
        tags: ['referrals'],
        summary: `Approve or reject up to ${MAX_BULK} referrals; answers an outcome per id`,
        security: [{ bearerAuth: [] }],
        body: Type.Object(
          {
            // Ids beyond JavaScript's safe integers would lose digits (and overflow Postgres' bigint): send those as strings.
            referralIds: Type.Array(
              Type.Union([Type.String({ pattern: '^[0-9]{1,18}$' }), Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })]),
              { minItems: 1, maxItems: MAX_BULK },
            ),
            status: Decision,
            reason: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { ...errorReplies(400, 401, 403) },
      },
    },
    async (request) => {
      const { status, reason } = request.body;
      if (lacksRejectionReason(status, reason)) {
        throw new HttpError(400, 'validation_error', 'reason is required when rejecting', [
          { field: 'reason', message: 'is required when rejecting' },
        ]);
      }
      const ids = [...new Set(request.body.referralIds.map(String))];
      const results = await mapWithConcurrency(ids, BULK_CONCURRENCY, async (id) => {
        try {
          const outcome = await referrals.review(id, status, `admin:${request.user.username}`, reason?.trim());
          return { id, ok: true, status: outcome.status };
        } catch (error) {
          if (!(error instanceof HttpError)) throw error;
          return { id, ok: false, error: error.code, message: error.message };
        }
      });
      const succeeded = results.filter((r) => r.ok).length;
      return { results, summary: { requested: ids.length, succeeded, failed: ids.length - succeeded } };
    },
  );
};

async function mapWithConcurrency<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export default referralRoutes;
