import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { verifyStandardWebhooks } from '../plugins/webhook-signature.js';
import { receiveBookingWebhook } from '../services/booking-webhooks.js';
import { errorReplies } from '../schemas.js';
import type { ApiDeps } from '../app.js';

/** EUR 10 million: far above any trip, well within the integer cents the read model stores. */
const MAX_BOOKING_VALUE = 10_000_000;

const webhookRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { db, temporal, config }) => {
  verifyStandardWebhooks(app, config.webhooks.bookingSecret);

  app.post(
    '/webhooks/bookings',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Booking systems confirm or cancel bookings (Standard Webhooks signature, deduplicated on webhook-id)',
        description:
          'Signed per the Standard Webhooks spec with BOOKING_WEBHOOK_SECRET: headers webhook-id, webhook-timestamp (at most 5 minutes off) ' +
          'and webhook-signature over `${id}.${timestamp}.${raw body}`. Answers 200 when applied or already received, 202 when no referral ' +
          'matches yet (the event is kept and applied when the referral appears).',
        headers: Type.Object({ 'webhook-id': Type.String({ minLength: 1, maxLength: 200 }) }),
        body: Type.Object({
          type: Type.Union([Type.Literal('booking.confirmed'), Type.Literal('booking.cancelled')]),
          data: Type.Object({
            booking_reference: Type.String({ minLength: 1, maxLength: 64 }),
            customer_email: Type.Optional(Type.String({ maxLength: 254 })),
            // At most what the read model stores (integer cents): a larger value would fail the workflow's write forever.
            booking_value: Type.Optional(
              Type.Number({ minimum: 0, maximum: MAX_BOOKING_VALUE, description: 'in the booking currency, e.g. 1299.00' }),
            ),
            currency: Type.Optional(Type.String({ pattern: '^[A-Za-z]{3}$' })),
            departure_date: Type.Optional(Type.String({ format: 'date' })),
          }),
        }),
        response: {
          200: Type.Object({
            outcome: Type.Enum(['applied', 'ended', 'duplicate'], {
              description:
                "applied: the referral's workflow has it; ended: the referral's workflow had already ended (kept, not applied); duplicate: this webhook-id was received before",
            }),
            referral_id: Type.Optional(Type.String()),
            message: Type.Optional(Type.String()),
          }),
          202: Type.Object({
            outcome: Type.Literal('pending', { description: 'no referral matches yet: the event is kept and applied when one does' }),
            message: Type.String(),
          }),
          ...errorReplies(400, 401, 415),
        },
      },
    },
    async (request, reply) => {
      const result = await receiveBookingWebhook(db, temporal, request.headers['webhook-id'], request.body);
      return reply.status(result.outcome === 'pending' ? 202 : 200).send(result);
    },
  );
};

export default webhookRoutes;
