import type { FastifyInstance } from 'fastify';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { HttpError } from '../errors.js';

/**
 * Standard Webhooks verification on the raw body: the JSON parser of the scope it is
 * registered in checks `webhook-id`, `webhook-timestamp` (5 minutes tolerance, the
 * library's) and `webhook-signature` before it parses anything. Register it inside the
 * webhook routes' own plugin so no other route is affected.
 */
export function verifyStandardWebhooks(app: FastifyInstance, secret: string): void {
  const webhook = new Webhook(secret);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, rawBody, done) => {
    const headers = {
      'webhook-id': String(request.headers['webhook-id'] ?? ''),
      'webhook-timestamp': String(request.headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(request.headers['webhook-signature'] ?? ''),
    };
    try {
      webhook.verify(rawBody as string, headers);
    } catch (error) {
      const reason = error instanceof WebhookVerificationError ? error.message : 'verification failed';
      done(new HttpError(401, 'invalid_signature', `Webhook signature rejected: ${reason}`), undefined);
      return;
    }
    try {
      done(null, JSON.parse(rawBody as string));
    } catch {
      done(new HttpError(400, 'invalid_json', 'The body is not valid JSON'), undefined);
    }
  });
}
