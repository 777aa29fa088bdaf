import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyServerOptions } from 'fastify';
import pino from 'pino';
import type { Config } from '../config/env.js';
import { createDb, type Db } from '../db/knex.js';
import { installErrorHandler } from './errors.js';
import { refuseUnstorableValues } from './plugins/refuse-unstorable-values.js';
import { JsonLogController, TerminalLogController } from './request-log.js';
import { adminUi } from './plugins/admin-ui.js';
import authPlugin from './plugins/auth.js';
import metricsPlugin from './plugins/metrics.js';
import rateLimitPlugin from './plugins/rate-limit.js';
import analyticsRoutes from './routes/analytics.js';
import backupRoutes from './routes/backups.js';
import authRoutes from './routes/auth.js';
import customerRoutes from './routes/customers.js';
import emailRoutes from './routes/emails.js';
import exportRoutes from './routes/exports.js';
import publicRoutes from './routes/public.js';
import healthRoutes from './routes/health.js';
import importRoutes from './routes/imports.js';
import referralRoutes from './routes/referrals.js';
import webhookRoutes from './routes/webhooks.js';
import { sharedSchemas, validatorsByRequestPart } from './schemas.js';
import { ReferralService } from './services/referrals.js';
import type { TemporalDeps } from './services/temporal.js';

export interface ApiDeps {
  config: Config;
  /** The primary: every write, and every read that must see the writes before it. */
  db: Db;
  /**
   * The reads that may lag a second or so behind the primary, and only those: the exports and
   * the dashboard / analytics reads. DATABASE_READ_URL's replica when set, else `db` itself.
   */
  readDb: Db;
  temporal: TemporalDeps;
  referrals: ReferralService;
}

export interface BuildApiOptions {
  config: Config;
  db: Db;
  /** The pool of ApiDeps.readDb; unset: opened from DATABASE_READ_URL (and closed with the app), or `db` without one. */
  readDb?: Db;
  temporal: TemporalDeps;
  logger?: FastifyServerOptions['logger'];
}

/**
 * The API's pino options at the configured level, secrets redacted: JSON lines, or on a
 * developer's terminal (LOG_FORMAT pretty) pino-pretty's one coloured line per event.
 */
export function apiLoggerOptions(level: string, format: Config['logFormat'] = 'json') {
  return {
    level,
    redact: [
      'req.headers.authorization',
      'req.headers["webhook-signature"]',
      'req.body.password',
      'req.body.current_password',
      'req.body.new_password',
    ],
    ...(format === 'pretty' && {
      transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname,reqId', translateTime: 'SYS:HH:MM:ss', singleLine: true } },
    }),
  };
}

const LOG_BATCH_BYTES = 4096;
const LOG_FLUSH_INTERVAL_MS = 1000;

/**
 * Where the API's JSON log lines go (stdout, or a file for the benchmarks), written
 * asynchronously and in batches: lines collect until 4 KiB are waiting (about 15 request lines)
 * or a second has passed, then go out in one write (`npm run bench -- --cpu-profile`: one write
 * per line cost a submission 0.15 ms of the API's main thread, two blocking writes before that
 * 0.34 ms). What is still buffered is written out when the process exits, also on a crash
 * (pino's exit handler); only a SIGKILL can lose it: at most the last second of lines.
 */
export const apiLogDestination = (dest: number | string = 1) =>
  pino.destination({ dest, sync: false, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_INTERVAL_MS });

/** A client's X-Request-Id for the logs: the first one, only characters that cannot forge a log line, at most 64; undefined when nothing is left. */
export function clientRequestIdOf(header: string | string[] | undefined): string | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.replace(/[^A-Za-z0-9._:-]/g, '').slice(0, 64);
  return value || undefined;
}

/** TRUST_PROXY as Fastify takes it: a hop count becomes "the n proxies nearest to us". */
function trustedProxies(setting: Config['http']['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting;
}

/** Builds the Fastify app (without listening): plugins, shared schemas, routes under /api. */
export async function buildApi({ config, db, readDb, temporal, logger }: BuildApiOptions) {
  const app = Fastify({
    logger: logger ?? {
      ...apiLoggerOptions(config.logLevel, config.logFormat),
      ...(config.logFormat === 'json' && { stream: apiLogDestination() }),
    },
    logController: config.logFormat === 'pretty' ? new TerminalLogController() : new JsonLogController(),
    bodyLimit: 1024 * 1024,
    // a `__proto__` / `constructor.prototype` key in a JSON body is dropped like any unknown field
    // (Schemathesis sent one to the login): still never on an object's prototype, and not a 400
    // that calls valid JSON invalid
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: true } },
    // JSON bodies are validated as sent, without the query strings' coercion
    schemaController: { compilersFactory: { buildValidator: validatorsByRequestPart() } },
    // our own id for every request; a client's X-Request-Id is logged beside it (clientRequestId), never as it
    genReqId: () => crypto.randomUUID(),
    childLoggerFactory: (logger, bindings, options, rawRequest) => {
      const clientRequestId = clientRequestIdOf(rawRequest.headers['x-request-id']);
      return logger.child(clientRequestId ? { ...bindings, clientRequestId } : bindings, options);
    },
    // behind a proxy or load balancer: whose X-Forwarded-For to believe for the client's address (rate limits, logs)
    trustProxy: trustedProxies(config.http.trustProxy),
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(metricsPlugin, { db });
  installErrorHandler(app, await adminUi(app, config));
  refuseUnstorableValues(app);
  for (const schema of sharedSchemas) app.addSchema(schema);

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Bebsy Referral API',
        version: '0.1.0',
        description: 'Referrals as durable Temporal workflows. Errors answer `{ error, message, details? }`.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string) ?? `def-${i}` },
  });
  // API_DOCS: the interactive documentation and the OpenAPI document, off by default in production
  if (config.http.apiDocs) await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });
  await app.register(authPlugin, { secret: config.auth.jwtSecret, expiresIn: config.auth.jwtExpiresIn, db });
  await app.register(rateLimitPlugin, { config: config.rateLimit });

  // the read replica's pool, when DATABASE_READ_URL names one and the caller did not hand one in
  const ownReadDb = !readDb && config.database.readUrl ? createDb(config.database.readUrl, config.database) : null;
  if (ownReadDb) app.addHook('onClose', () => ownReadDb.destroy());
  const deps: ApiDeps = {
    db,
    readDb: readDb ?? ownReadDb ?? db,
    temporal,
    config,
    referrals: new ReferralService(db, temporal, config.referrals),
  };
  await app.register(
    async (api) => {
      await api.register(healthRoutes, deps);
      await api.register(authRoutes, deps);
      await api.register(customerRoutes, deps);
      await api.register(referralRoutes, deps);
      await api.register(webhookRoutes, deps);
      await api.register(publicRoutes, deps);
      await api.register(analyticsRoutes, deps);
      await api.register(emailRoutes, deps);
      await api.register(exportRoutes, deps);
      await api.register(importRoutes, deps);
      await api.register(backupRoutes, deps);
    },
    { prefix: '/api' },
  );
  return app;
}

export type ApiApp = Awaited<ReturnType<typeof buildApi>>;
