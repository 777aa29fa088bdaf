import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { findCustomerByReferralCode } from '../../db/repositories/customers.js';
import { isReferralCode, normaliseReferralCode } from '../../domain/referral-code.js';
import { HttpError } from '../errors.js';
import { errorReplies } from '../schemas.js';
import type { ApiDeps } from '../app.js';

/** What the browser needs before sign-in: runtime config and the public referral landing page. */
const publicRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { db, config, temporal }) => {
  app.get(
    '/config',
    {
      schema: {
        tags: ['public'],
        summary: 'Runtime configuration for the browser (Faro collector, form rules, where friends book)',
        response: {
          200: Type.Object({
            faro: Type.Union([Type.Object({ url: Type.String(), app_name: Type.String(), environment: Type.String() }), Type.Null()]),
            require_booking_reference: Type.Boolean(),
            temporal_web_url: Type.String(),
            booking_site_url: Type.String({ description: 'BOOKING_SITE_URL: the public page links a referred friend there' }),
          }),
        },
      },
    },
    async () => ({
      faro: config.faro ? { url: config.faro.collectorUrl, app_name: config.faro.appName, environment: config.env } : null,
      require_booking_reference: config.referrals.requireBookingReference,
      temporal_web_url: temporal.webUrl,
      booking_site_url: config.http.bookingSiteUrl,
    }),
  );

  app.get(
    '/public/referral-codes/:code',
    {
      schema: {
        tags: ['public'],
        summary: 'Who owns a referral code (first name only), for the landing page /r/:code',
        params: Type.Object({ code: Type.String({ minLength: 1, maxLength: 20 }) }),
        response: { 200: Type.Object({ referral_code: Type.String(), referrer_first_name: Type.String() }), ...errorReplies(400, 404) },
      },
    },
    async (request) => {
      const code = normaliseReferralCode(request.params.code);
      const customer = isReferralCode(code) ? await findCustomerByReferralCode(db, code) : undefined;
      if (!customer) throw new HttpError(404, 'unknown_referral_code', `No customer has the referral code ${code}`);
      return { referral_code: customer.referral_code, referrer_first_name: customer.name.trim().split(/\s+/)[0] };
    },
  );
};

export default publicRoutes;
