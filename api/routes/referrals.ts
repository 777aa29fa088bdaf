import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TProperties } from 'typebox';
import { auditTrail, getReferral, listReferrals } from '../../db/repositories/referrals.js';
import { getReward } from '../../db/repositories/rewards.js';
import { isEmail, normaliseEmail } from '../../domain/email.js';
import { isReferralCode, normaliseReferralCode } from '../../domain/referral-code.js';
import { lacksRejectionReason } from '../../domain/referral-status.js';
import { EMAIL_LOCALES } from '../../emails/messages.js';
import { HttpError, NOT_BLANK, notFound } from '../errors.js';
import { referralJson } from '../serializers.js';
import { workflowWebUrl } from '../services/temporal.js';
import {
  EmailAddress,
  KeysetPageQuery,
  Nullable,
  Query,
  ReferralCodeInput,
  ReferralFilterQuery,
  ReferralStatusSchema,
  Timestamp,
  errorReplies,
  keysetPagination,
  pageOf,
} from '../schemas.js';
import type { ApiDeps } from '../app.js';

const MAX_BULK = 500;
const BULK_CONCURRENCY = 8;
const IdParam = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,18}$', description: 'referral id' }) });
const REASON_MAX_LENGTH = 500;

/**
 * An admin's decision: approving takes an optional reason, rejecting requires one that is not
 * only white space (`lacksRejectionReason`). Two branches on `status`, so the document says it
 * and Ajv refuses a reasonless rejection before the handler (errors.ts names the branch meant).
 */
function decisionBody<T extends TProperties>(fields: T) {
  return Type.Union([
    Type.Object(
      {
        ...fields,
        status: Type.Literal('approved'),
        reason: Type.Optional(Type.String({ maxLength: REASON_MAX_LENGTH, description: 'optional when approving' })),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        ...fields,
        status: Type.Literal('rejected'),
        reason: Type.String({
          maxLength: REASON_MAX_LENGTH,
          pattern: NOT_BLANK,
          description: 'required when rejecting: shown to admins and in the audit trail; white space alone is no reason',
        }),
      },
      { additionalProperties: false },
    ),
  ]);
}

/** A referral's detail: the row, its reward, its audit trail and the workflow's live state. */
const Transition = Type.Object({
  seq: Type.Integer(),
  from: Nullable(ReferralStatusSchema),
  to: ReferralStatusSchema,
  at: Type.String({ format: 'date-time' }),
  actor: Type.String(),
  reason: Type.Optional(Type.String()),
});
const LiveState = Type.Object(
  {
    referralId: Type.String(),
    status: ReferralStatusSchema,
    flagged: Type.Boolean(),
    flagReasons: Type.Array(Type.String()),
    rejectionReason: Nullable(Type.String()),
    booking: Nullable(
      Type.Object({
        reference: Type.String(),
        valueCents: Nullable(Type.Integer()),
        currency: Type.String(),
        departureDate: Nullable(Type.String({ format: 'date' })),
      }),
    ),
    holdUntil: Nullable(Type.String({ format: 'date-time', description: 'when the reward hold ends, while approved' })),
    voucherCode: Nullable(Type.String()),
    clawback: Type.Boolean(),
    history: Type.Array(Transition),
  },
  { description: "the workflow's referralState query" },
);
const ReferralDetail = Type.Intersect([
  Type.Ref('Referral'),
  Type.Object({
    new_customer_locale: Nullable(Type.String({ description: "the friend's language, from the form; null when not said" })),
    reward: Nullable(
      Type.Object({
        amount: Type.Number({ description: 'EUR' }),
        currency: Type.String(),
        status: Type.Enum(['paid', 'clawback_due']),
        voucher_code: Type.String(),
        paid_at: Type.String({ format: 'date-time' }),
        clawback_at: Timestamp,
      }),
    ),
    audit_log: Type.Array(
      Type.Object({
        actor: Type.String(),
        action: Type.String(),
        before: Nullable(Type.Object({}, { additionalProperties: true })),
        after: Nullable(Type.Object({}, { additionalProperties: true })),
        changed_at: Type.String({ format: 'date-time' }),
      }),
    ),
    workflow: Type.Object({
      id: Type.String(),
      url: Type.String({ description: 'the workflow in Temporal Web' }),
      live: Nullable(LiveState),
      live_error: Type.Optional(Type.String({ description: 'why the live state could not be read (live is then null)' })),
    }),
  }),
]);

const referralRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { db, referrals, temporal, config }) => {
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
            referrer_code: ReferralCodeInput,
            new_customer_email: EmailAddress("the referred friend's"),
            // REQUIRE_BOOKING_REFERENCE: required, and not blank; else optional, and a blank one is none
            booking_reference: config.referrals.requireBookingReference
              ? Type.String({ maxLength: 64, pattern: NOT_BLANK, description: 'required (REQUIRE_BOOKING_REFERENCE)' })
              : Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()], { description: 'blank or null: none' })),
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
        querystring: Query({ ...KeysetPageQuery, ...ReferralFilterQuery }),
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
        response: { 200: ReferralDetail, ...errorReplies(400, 401, 404) },
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
      const { new_customer_locale = null } = referral as typeof referral & { new_customer_locale?: string | null };
      return {
        ...referralJson(referral),
        new_customer_locale,
        reward: reward
          ? {
              amount: reward.amount_cents / 100,
              currency: reward.currency,
              status: reward.status,
              voucher_code: reward.voucher_code,
              paid_at: reward.paid_at.toISOString(),
              clawback_at: reward.clawback_at?.toISOString() ?? null,
            }
          : null,
        audit_log: audit.map((entry) => ({ ...entry, changed_at: new Date(entry.changed_at).toISOString() })),
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
        body: decisionBody({}),
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
        body: decisionBody({
          // Ids beyond JavaScript's safe integers would lose digits (and overflow Postgres' bigint): send those as strings.
          referralIds: Type.Array(
            Type.Union([Type.String({ pattern: '^[0-9]{1,18}$' }), Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })]),
            { minItems: 1, maxItems: MAX_BULK },
          ),
        }),
        response: {
          200: Type.Object({
            results: Type.Array(
              Type.Object({
                id: Type.String(),
                ok: Type.Boolean(),
                status: Type.Optional(ReferralStatusSchema),
                error: Type.Optional(Type.String({ description: 'when not ok: the error code a single decision would answer' })),
                message: Type.Optional(Type.String()),
              }),
            ),
            summary: Type.Object({ requested: Type.Integer(), succeeded: Type.Integer(), failed: Type.Integer() }),
          }),
          ...errorReplies(400, 401, 403),
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
