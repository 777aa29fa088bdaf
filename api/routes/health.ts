import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { pingDatabase } from '../../db/connect.js';
import { countUndelivered } from '../../db/repositories/email-outbox.js';
import type { ApiDeps } from '../app.js';

const CHECK_TIMEOUT_MS = 2_000;

/** The probe's answer, or a rejection after CHECK_TIMEOUT_MS. */
function withinTimeout<T>(probe: () => Promise<T>): Promise<T> {
  const probing = probe();
  probing.catch(() => undefined); // a probe that loses the race may still fail later
  return Promise.race([
    probing,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref(),
    ),
  ]);
}

async function check(probe: () => Promise<unknown>): Promise<{ status: 'up' | 'down'; latency_ms: number; error?: string }> {
  const started = performance.now();
  try {
    await withinTimeout(probe);
    return { status: 'up', latency_ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { status: 'down', latency_ms: Math.round(performance.now() - started), error: (error as Error).message };
  }
}

const healthRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { db, readDb, temporal, config }) => {
  /** The read replica's check (DATABASE_READ_URL), in the answer only when there is a replica apart from the primary. */
  const replicaCheck = readDb === db ? async () => undefined : () => check(() => pingDatabase(readDb));

  app.get(
    '/health',
    {
      schema: {
        tags: ['health'],
        summary:
          'Database and Temporal status (503 when either is down; with DATABASE_READ_URL the read replica too, as `replica`), and the email transport with the messages not delivered: queued, retrying (queued after a failed attempt), failed (permanently); null counts when the database cannot tell',
      },
    },
    async (_request, reply) => {
      const [database, temporalStatus, undelivered, replica] = await Promise.all([
        check(() => pingDatabase(db)),
        check(() =>
          temporal.client.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => temporal.client.workflowService.getSystemInfo({})),
        ),
        withinTimeout(() => countUndelivered(db)).catch(() => ({ queued: null, retrying: null, failed: null })),
        replicaCheck(),
      ]);
      const healthy = database.status === 'up' && temporalStatus.status === 'up' && replica?.status !== 'down';
      const emails = { transport: config.email.transport.kind, ...undelivered };
      return reply
        .status(healthy ? 200 : 503)
        .send({ status: healthy ? 'ok' : 'degraded', database, ...(replica && { replica }), temporal: temporalStatus, emails });
    },
  );

  // Kubernetes' two questions, answered apart: live restarts a stuck process, ready takes a pod
  // out of the Service while Postgres or Temporal is out of its reach (restarting would not help).
  app.get(
    '/health/live',
    { schema: { tags: ['health'], summary: 'Liveness: 200 while the process answers; checks nothing else' }, logLevel: 'warn' },
    async () => ({ status: 'live' }),
  );
  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        summary:
          'Readiness: 200 when Postgres and Temporal answer, else 503 naming the one that does not. The read replica (DATABASE_READ_URL) is reported as `replica` but does not decide: with it down only the reports and exports answer 503, and taking every pod out of service would stop submissions and booking webhooks too',
      },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      const [database, temporalStatus, replica] = await Promise.all([
        check(() => pingDatabase(db)),
        check(() =>
          temporal.client.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => temporal.client.workflowService.getSystemInfo({})),
        ),
        replicaCheck(),
      ]);
      const ready = database.status === 'up' && temporalStatus.status === 'up';
      return reply
        .status(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not_ready', database, ...(replica && { replica }), temporal: temporalStatus });
    },
  );
};

export default healthRoutes;
