import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { createCustomer, getCustomer, listCustomers } from '../../db/repositories/customers.js';
import { referralCountOf } from '../../db/repositories/analytics.js';
import { listReferrals } from '../../db/repositories/referrals.js';
import { isEmail, normaliseEmail } from '../../domain/email.js';
import { HttpError, notFound } from '../errors.js';
import { referralJson } from '../serializers.js';
import { EmailAddress, KeysetPageQuery, Query, errorReplies, keysetPagination, pageOf } from '../schemas.js';
import type { ApiDeps } from '../app.js';

const CUSTOMER_REFERRALS_SHOWN = 100;

const customerRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { db }) => {
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/customers',
    {
      schema: {
        tags: ['customers'],
        summary: 'List customers, newest first; search matches name, email, customer id or referral code',
        security: [{ bearerAuth: [] }],
        querystring: Query(KeysetPageQuery),
        response: { 200: pageOf(Type.Ref('Customer')), ...errorReplies(400, 401) },
      },
    },
    async (request) => {
      const result = await listCustomers(db, request.query);
      return { data: result.rows, pagination: keysetPagination(request.query.limit, result) };
    },
  );

  app.post(
    '/customers',
    {
      preHandler: app.requireAdminRole,
      schema: {
        tags: ['customers'],
        summary: 'Create a customer; answers it with its new referral code',
        security: [{ bearerAuth: [] }],
        body: Type.Object(
          {
            bebsy_customer_id: Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' }),
            name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
            email: EmailAddress("the customer's"),
            locale: Type.Optional(Type.Union([Type.Literal('nl'), Type.Literal('en')])),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Ref('Customer'), ...errorReplies(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const email = normaliseEmail(request.body.email);
      if (!isEmail(email))
        throw new HttpError(400, 'validation_error', `email "${request.body.email}" is not a valid email address`, [
          { field: 'email', message: 'is not a valid email address' },
        ]);
      const result = await createCustomer(db, {
        bebsy_customer_id: request.body.bebsy_customer_id.trim(),
        name: request.body.name.trim(),
        email,
        locale: request.body.locale ?? 'nl',
      });
      if (result.kind === 'conflict') {
        throw new HttpError(409, 'customer_exists', `A customer with this ${result.field} already exists`, [
          { field: result.field, message: 'is already taken' },
        ]);
      }
      return reply.status(201).send(result.customer);
    },
  );

  app.get(
    '/customers/:id',
    {
      schema: {
        tags: ['customers'],
        summary: 'One customer with their referrals (the most recent 100)',
        security: [{ bearerAuth: [] }],
        params: Type.Object({ id: Type.String({ pattern: '^[0-9]{1,18}$' }) }),
        response: {
          200: Type.Intersect([
            Type.Ref('Customer'),
            Type.Object({ referrals: Type.Array(Type.Ref('Referral')), referral_count: Type.Integer() }),
          ]),
          ...errorReplies(400, 401, 404),
        },
      },
    },
    async (request) => {
      const customer = await getCustomer(db, request.params.id);
      if (!customer) throw notFound(`Customer ${request.params.id}`);
      const { rows, total, totalExact } = await listReferrals(db, { referrerId: customer.id, page: 1, limit: CUSTOMER_REFERRALS_SHOWN });
      // the list's total is the planner's estimate above COUNT_CAP; the rollup keeps the exact count
      const referralCount = totalExact ? total : await referralCountOf(db, customer.id);
      return { ...customer, referrals: rows.map(referralJson), referral_count: referralCount };
    },
  );
};

export default customerRoutes;
