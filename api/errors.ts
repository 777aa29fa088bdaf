import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
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
    /** Headers the answer carries, e.g. a 405's Allow. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} does not exist`);

interface ValidationIssue {
  keyword?: string;
  instancePath?: string;
  schemaPath?: string;
  params?: Record<string, unknown>;
  message?: string;
}

/**
 * A failed union (`anyOf`) comes with the issues of every branch. A branch whose own const or
 * enum failed is one the value did not mean (`{"status": "rejected"}` is not the approving
 * branch): when some branch passed its consts, only those branches' issues are kept ("reason is
 * required"); when none did, only the consts ("status must be one of: approved, rejected").
 * A union without consts (a string or an integer) keeps every branch's issue.
 */
function issuesOfMeantBranches(issues: ValidationIssue[]): ValidationIssue[] {
  let kept = issues;
  const unions = issues.filter((i) => i.keyword === 'anyOf' && i.schemaPath).map((i) => i.schemaPath!);
  // the outermost union first: a branch it drops takes the unions inside it along
  for (const union of unions.sort((a, b) => a.length - b.length)) {
    const branchOf = (issue: ValidationIssue) => issue.schemaPath?.match(new RegExp(`^${escapeRegExp(union)}/(\\d+)/`))?.[1];
    const branches = new Map<string, ValidationIssue[]>();
    for (const issue of kept) {
      const branch = branchOf(issue);
      if (branch !== undefined) branches.set(branch, [...(branches.get(branch) ?? []), issue]);
    }
    const isConst = (issue: ValidationIssue) => issue.keyword === 'const' || issue.keyword === 'enum';
    const notMeant = new Set([...branches].filter(([, branchIssues]) => branchIssues.some(isConst)).map(([branch]) => branch));
    if (notMeant.size === 0) continue;
    const allMissed = notMeant.size === branches.size;
    kept = kept.filter((issue) => {
      const branch = branchOf(issue);
      if (branch === undefined) return true;
      return allMissed ? isConst(issue) : !notMeant.has(branch);
    });
  }
  return kept;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The pattern of a string that must not be white space alone (a rejection's reason). */
export const NOT_BLANK = '\\S';

/**
 * One detail per field: Ajv reports a failed union once per branch (and once more for the
 * `anyOf`), which would name the same field three times and never say what is allowed.
 */
function describeValidation(error: FastifyError): { message: string; details: unknown[] } {
  const issues = issuesOfMeantBranches((error.validation ?? []) as ValidationIssue[]);
  const byField = new Map<string, { messages: string[]; allowed: unknown[] }>();
  for (const issue of issues) {
    if (issue.keyword === 'anyOf') continue; // its branches say what failed
    const missing = issue.params?.missingProperty as string | undefined;
    const extra = issue.params?.additionalProperty as string | undefined;
    const field = [issue.instancePath?.replace(/^\//, '').replace(/\//g, '.'), missing].filter(Boolean).join('.') || extra || '(body)';
    const entry = byField.get(field) ?? { messages: [], allowed: [] };
    byField.set(field, entry);
    if (issue.keyword === 'enum') entry.allowed.push(...((issue.params?.allowedValues as unknown[]) ?? []));
    else if (issue.keyword === 'const') entry.allowed.push(issue.params?.allowedValue);
    else {
      const blank = issue.keyword === 'pattern' && issue.params?.pattern === NOT_BLANK;
      const message = missing
        ? 'is required'
        : extra
          ? 'is not a known field'
          : blank
            ? 'must not be blank'
            : (issue.message ?? 'is invalid');
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
    // An /api path that no API route took reached the admin UI's file server (the router leaves a
    // path parameter longer than its 100 characters unmatched), which refuses odd paths (403): not found.
    // Only the file server's own refusals: a limiter's 429 (or any other answer) on such a path stays what it is.
    const fileServerRefusal = !(error instanceof HttpError) && (error.statusCode === 403 || error.statusCode === 404);
    if (request.routeOptions.url === '/*' && pathOf(request).startsWith('/api/') && fileServerRefusal)
      error = undeclaredMethod(request) ?? noRoute(request);
    // `GET /api/customers/import` reaches `GET /api/customers/:id` and fails its id: the path is the import's (POST)
    if (error.validationContext === 'params') error = undeclaredMethod(request) ?? error;
    if (error instanceof HttpError && error.statusCode === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    if (error instanceof HttpError) {
      if (error.headers) reply.headers(error.headers);
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
  // before the body is read: an undeclared method is refused whatever it carries
  app.addHook('onRequest', async (request) => {
    if (!request.is404) return;
    const refused = undeclaredMethod(request);
    if (refused) throw refused;
  });
  app.setNotFoundHandler((request, reply) => {
    // the UI's file server hands on what it does not have, whatever the method of the path's routes
    const refused = undeclaredMethod(request);
    if (refused) throw refused;
    const path = pathOf(request);
    // a page of the UI's router, not an API call or a missing file such as a stale /assets chunk
    const isPage = request.method === 'GET' && !path.startsWith('/api') && !/\.[a-z0-9]+$/i.test(path) && pageFallback;
    if (isPage) return pageFallback(request, reply);
    throw noRoute(request);
  });
}

const pathOf = (request: FastifyRequest) => request.url.split('?')[0];
const noRoute = (request: FastifyRequest) => new HttpError(404, 'not_found', `No route for ${request.method} ${pathOf(request)}`);

/** The methods a router may have routes for (HEAD comes with every GET). */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * The methods the path has routes for: the routes that match it with the fewest path
 * parameters (`/api/customers/import` is the import's path, not a customer whose id is
 * "import"). The admin UI's files are a `GET /*` route that matches every path: a path it alone
 * answers is not a known one.
 */
function allowedMethods(app: FastifyInstance, path: string): string[] {
  const matches = METHODS.flatMap((method) => {
    const route = app.findRoute({ method: method as HTTPMethods, url: path });
    if (!route) return [];
    const params = route.params as Record<string, string | undefined>;
    if (params['*'] !== undefined && `/${params['*']}` === decodeURIComponentSafe(path)) return [];
    return [{ method, params: Object.keys(params).length }];
  });
  const fewest = Math.min(...matches.map((m) => m.params));
  return matches.filter((m) => m.params === fewest).map((m) => m.method);
}

const decodeURIComponentSafe = (path: string) => {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
};

/**
 * 405 for a path with routes, none of them for this method: the error to answer, its Allow
 * header set; null for a path without routes (404).
 */
function undeclaredMethod(request: FastifyRequest): HttpError | null {
  const path = pathOf(request);
  const allowed = allowedMethods(request.server, path);
  if (allowed.length === 0 || allowed.includes(request.method)) return null;
  return new HttpError(405, 'method_not_allowed', `${request.method} is not allowed on ${path}: use ${allowed.join(', ')}`, undefined, {
    allow: allowed.join(', '),
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
