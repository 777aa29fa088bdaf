import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';

/**
 * A local HTTP server that speaks the part of Resend's API the SDK uses to send:
 * `POST /emails` with `Authorization: Bearer <key>`, JSON body (from, to, subject, html, text,
 * tags, ...) and an optional `Idempotency-Key` header. It answers `{ id }`, or errors as Resend
 * does: `{ statusCode, name, message }` with that HTTP status. A repeated idempotency key gets
 * the first answer's id back and delivers nothing new (Resend keeps keys for 24 hours).
 */
export interface FakeResendRequest {
  headers: { authorization?: string; idempotencyKey?: string; userAgent?: string; contentType?: string };
  body: Record<string, unknown>;
}

export interface DeliveredEmail {
  id: string;
  idempotencyKey: string | null;
  body: Record<string, unknown>;
}

export interface FakeResend {
  /** Base URL to pass as RESEND_BASE_URL. */
  url: string;
  apiKey: string;
  /** Every request received, failed or not. */
  requests: FakeResendRequest[];
  /** Messages accepted (one per idempotency key). */
  delivered: DeliveredEmail[];
  /** The next request answers this error instead of sending. */
  failNext(kind: 'server_error' | 'invalid_to' | 'rate_limit'): void;
  reset(): void;
  close(): Promise<void>;
}

const failures = {
  server_error: { statusCode: 500, name: 'internal_server_error', message: 'An unexpected error occurred.' },
  rate_limit: { statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many requests. You can only make 2 requests per second.' },
  invalid_to: {
    statusCode: 422,
    name: 'validation_error',
    message: 'Invalid `to` field. The email address needs to follow the `email@example.com` format.',
  },
} as const;

export async function startFakeResend({ apiKey = 're_test_fake_key' } = {}): Promise<FakeResend> {
  const app: FastifyInstance = Fastify({ logger: false });
  const requests: FakeResendRequest[] = [];
  const delivered: DeliveredEmail[] = [];
  const byKey = new Map<string, DeliveredEmail>();
  const pendingFailures: Array<keyof typeof failures> = [];

  app.post('/emails', async (request, reply) => {
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const body = (request.body ?? {}) as Record<string, unknown>;
    const idempotencyKey = header('idempotency-key');
    requests.push({
      headers: {
        authorization: header('authorization'),
        idempotencyKey,
        userAgent: header('user-agent'),
        contentType: header('content-type'),
      },
      body,
    });

    if (header('authorization') !== `Bearer ${apiKey}`) {
      return reply.code(401).send({ statusCode: 401, name: 'invalid_api_key', message: 'API key is invalid' });
    }
    const failure = pendingFailures.shift();
    if (failure) return reply.code(failures[failure].statusCode).send(failures[failure]);

    for (const field of ['from', 'to', 'subject']) {
      if (!body[field])
        return reply.code(422).send({ statusCode: 422, name: 'missing_required_field', message: `Missing \`${field}\` field.` });
    }
    if (idempotencyKey) {
      const earlier = byKey.get(idempotencyKey);
      if (earlier) {
        if (JSON.stringify(earlier.body) !== JSON.stringify(body)) {
          return reply.code(409).send({
            statusCode: 409,
            name: 'invalid_idempotent_request',
            message: 'Same idempotency key used with a different request payload.',
          });
        }
        return reply.code(200).send({ id: earlier.id });
      }
    }
    const email: DeliveredEmail = { id: randomUUID(), idempotencyKey: idempotencyKey ?? null, body };
    delivered.push(email);
    if (idempotencyKey) byKey.set(idempotencyKey, email);
    return reply.code(200).send({ id: email.id });
  });

  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: address,
    apiKey,
    requests,
    delivered,
    failNext(kind) {
      pendingFailures.push(kind);
    },
    reset() {
      requests.length = 0;
      delivered.length = 0;
      byKey.clear();
      pendingFailures.length = 0;
    },
    close: () => app.close(),
  };
}
