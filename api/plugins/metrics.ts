/**
 * GET /metrics: the API's Prometheus metrics (text format), on the API's port, outside /api (the
 * UI's nginx proxies /api only, so the public never reaches it; Prometheus scrapes the pods).
 *
 * - bebsy_http_request_duration_seconds{method,route,status_code}: a histogram per route pattern
 *   (`/api/referrals/:id`, never the raw URL: the label set stays small);
 * - bebsy_http_requests_in_flight;
 * - bebsy_db_pool_connections{state}: the knex pool's used, idle and waiting (pending acquires);
 * - process_* and nodejs_* (memory, CPU, event loop lag, GC, handles): prom-client's defaults.
 *
 * One registry per app: tests build several apps in one process.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from '../../db/knex.js';

export interface MetricsPluginOptions {
  db: Db;
}

/** Seconds: from 5 ms to 10 s, the range between a health check and an export's first byte. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

const STARTED = Symbol('metricsStarted');
type Timed = FastifyRequest & { [STARTED]?: bigint };

declare module 'fastify' {
  interface FastifyInstance {
    metricsRegistry: Registry;
  }
}

async function metricsPlugin(app: FastifyInstance, { db }: MetricsPluginOptions) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'bebsy_http_request_duration_seconds',
    help: 'API request duration by route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const inFlight = new Gauge({ name: 'bebsy_http_requests_in_flight', help: 'API requests being answered', registers: [registry] });
  const aborted = new Counter({
    name: 'bebsy_http_requests_aborted_total',
    help: 'Requests whose client went away before the answer',
    labelNames: ['method', 'route'],
    registers: [registry],
  });
  new Gauge({
    name: 'bebsy_db_pool_connections',
    help: 'Postgres pool connections: used, idle, waiting (acquires waiting for a connection), creating',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const pool = (db.client as { pool?: TarnPool }).pool;
      if (!pool) return;
      this.set({ state: 'used' }, pool.numUsed());
      this.set({ state: 'idle' }, pool.numFree());
      this.set({ state: 'waiting' }, pool.numPendingAcquires());
      this.set({ state: 'creating' }, pool.numPendingCreates());
    },
  });

  const routeOf = (request: FastifyRequest) => request.routeOptions.url ?? '(unmatched)';
  const finish = (request: Timed) => {
    if (request[STARTED] === undefined) return false;
    delete request[STARTED];
    inFlight.dec();
    return true;
  };
  app.addHook('onRequest', async (request: Timed) => {
    request[STARTED] = process.hrtime.bigint();
    inFlight.inc();
  });
  app.addHook('onResponse', async (request: Timed, reply) => {
    const started = request[STARTED];
    if (started === undefined || !finish(request)) return;
    duration.observe(
      { method: request.method, route: routeOf(request), status_code: String(reply.statusCode) },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
  });
  app.addHook('onRequestAbort', async (request: Timed) => {
    if (finish(request)) aborted.inc({ method: request.method, route: routeOf(request) });
  });

  app.decorate('metricsRegistry', registry);
  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}

export default fp(metricsPlugin, { name: 'metrics', fastify: '5.x' });
