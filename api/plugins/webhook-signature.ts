import type { FastifyInstance } from 'fastify';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { HttpError } from '../errors.js';

/**
 * Standard Webhooks verification on the raw body: every request of the scope it is
 * registered in, whatever its content type (or without a body), first has its `webhook-id`,
 * `webhook-timestamp` (5 minutes tolerance, the library's) and `webhook-signature` checked
 * (401 otherwise); only then is the body required to be JSON (415) and parsed (400).
 * Register it inside the webhook routes' own plugin so no other route is affected.
 */
export function verifyStandardWebhooks(app: FastifyInstance, secret: string): void {
  const webhook = new Webhook(secret);
  // Keep every body as the raw string it came in: the signature covers those exact bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, rawBody, done) => done(null, rawBody));

  app.addHook('preValidation', async (request) => {
    const rawBody = typeof request.body === 'string' ? request.body : '';
    const headers = {
      'webhook-id': String(request.headers['webhook-id'] ?? ''),
      'webhook-timestamp': String(request.headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(request.headers['webhook-signature'] ?? ''),
    };
    let parsed: unknown;
    try {
      // verify() checks the signature, then JSON-parses the payload it verified.
      parsed = webhook.verify(rawBody, headers);
    } catch (error) {
      if (error instanceof WebhookVerificationError) {
        throw new HttpError(401, 'invalid_signature', `Webhook signature rejected: ${error.message}`);
      }
      if (!isJsonContentType(request.headers['content-type'])) throw unsupportedMediaType();
      throw new HttpError(400, 'invalid_json', 'The body is not valid JSON');
    }
    if (!isJsonContentType(request.headers['content-type'])) throw unsupportedMediaType();
    request.body = parsed;
  });
}

function isJsonContentType(contentType: string | undefined): boolean {
  return contentType?.split(';')[0].trim().toLowerCase() === 'application/json';
}

const unsupportedMediaType = () =>
  new HttpError(415, 'unsupported_media_type', 'Booking webhooks are JSON: send Content-Type: application/json');
