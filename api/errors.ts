import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/pg-errors.js';
import { isTemporalUnavailable } from '../temporal-config/unavailable.js';

/** Seconds a client should wait before retrying a 503 (a dependency restarting, an update nobody took yet). */
export const RETRY_AFTER_SECONDS = 5;

/** Answers a browser's GET for a page the router does not know (the single-page app). */
export type PageFallback = (request: FastifyRequest, reply: FastifyReply) => FastifyReply | Promise<FastifyReply>;

/** An error the client caused or can act on: answered as `{ error, message, details? }`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown[],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} does not exist`);

interface ValidationIssue {
  keyword?: string;
  instancePath?: string;
  params?: Record<string, unknown>;
  message?: string;
}

/**
 * One detail per field: Ajv reports a failed union once per branch (and once more for the
 * `anyOf`), which would name the same field three times and never say what is allowed.
 */
function describeValidation(error: FastifyError): { message: string; details: unknown[] } {
  const issues = (error.validation ?? []) as ValidationIssue[];
  const byField = new Map<string, { messages: string[]; allowed: unknown[] }>();
  for (const issue of issues) {
    const missing = issue.params?.missingProperty as string | undefined;
    const extra = issue.params?.additionalProperty as string | undefined;
    const field = [issue.instancePath?.replace(/^\//, '').replace(/\//g, '.'), missing].filter(Boolean).join('.') || extra || '(body)';
    const entry = byField.get(field) ?? { messages: [], allowed: [] };
    byField.set(field, entry);
    if (issue.keyword === 'enum') entry.allowed.push(...((issue.params?.allowedValues as unknown[]) ?? []));
    else if (issue.keyword === 'const') entry.allowed.push(issue.params?.allowedValue);
    else if (issue.keyword !== 'anyOf') {
      const message = missing ? 'is required' : extra ? 'is not a known field' : (issue.message ?? 'is invalid');
      if (!entry.messages.includes(message)) entry.messages.push(message);
    }
  }
  const details = [...byField].map(([field, { messages, allowed }]) => {
    const oneOf = allowed.length ? [`must be one of: ${allowed.map((v) => JSON.stringify(v)).join(', ')}`] : [];
    return { field, message: [...oneOf, ...messages].join(' or ') || 'is invalid' };
  });
  const where = error.validationContext ?? 'request';
  const message = details.length ? details.map((d) => `${d.field} ${d.message}`).join('; ') : error.message;
  return { message: `Invalid ${where}: ${message}`, details };
}

/** One error shape for the whole API; 5xx answers never carry internals. */
export function installErrorHandler(app: FastifyInstance, pageFallback?: PageFallback): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpError && error.statusCode === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    if (error instanceof HttpError) {
      return reply
        .status(error.statusCode)
        .send({ error: error.code, message: error.message, ...(error.details && { details: error.details }) });
    }
    if (error.validation) {
      const { message, details } = describeValidation(error);
      return reply.status(400).send({ error: 'validation_error', message, details });
    }
    const unavailable = isDatabaseUnavailable(error)
      ? 'The database'
      : isTemporalUnavailable(error)
        ? 'The workflow service (Temporal)'
        : null;
    if (unavailable) {
      // Nothing about the request was wrong and nothing was acknowledged: the same request again later is safe.
      request.log.warn({ err: error }, `${unavailable} is unavailable`);
      return reply
        .status(503)
        .header('retry-after', String(RETRY_AFTER_SECONDS))
        .send({ error: 'service_unavailable', message: `${unavailable} is not reachable right now; try again in a few seconds.` });
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      return reply.status(status).send({ error: clientErrorCode(status, error.code), message: error.message });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(status).send({ error: 'internal_error', message: 'Something went wrong on our side; it has been logged.' });
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    // a page of the UI's router, not an API call or a missing file such as a stale /assets chunk
    const isPage = request.method === 'GET' && !path.startsWith('/api') && !/\.[a-z0-9]+$/i.test(path) && pageFallback;
    if (isPage) return pageFallback(request, reply);
    return reply.status(404).send({ error: 'not_found', message: `No route for ${request.method} ${request.url.split('?')[0]}` });
  });
}

function clientErrorCode(status: number, fastifyCode: string | undefined): string {
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  // our own client errors carry their code in lower case (Fastify's are FST_ERR_...)
  if (fastifyCode && /^[a-z_]+$/.test(fastifyCode)) return fastifyCode;
  if (fastifyCode === 'FST_ERR_CTP_INVALID_JSON_BODY' || fastifyCode === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'invalid_json';
  return 'bad_request';
}
