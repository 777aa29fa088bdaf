import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../app.js';

const CHECK_TIMEOUT_MS = 2_000;

async function check(probe: () => Promise<unknown>): Promise<{ status: 'up' | 'down'; latency_ms: number; error?: string }> {
  const started = performance.now();
  try {
    const probing = probe();
    probing.catch(() => undefined); // a probe that loses the race may still fail later
    await Promise.race([probing, new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref())]);
    return { status: 'up', latency_ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { status: 'down', latency_ms: Math.round(performance.now() - started), error: (error as Error).message };
  }
}

const healthRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { db, temporal }) => {
  app.get('/health', { schema: { tags: ['health'], summary: 'Database and Temporal status; 503 when either is down' } }, async (_request, reply) => {
    const [database, temporalStatus] = await Promise.all([
      check(() => db.raw('select 1')),
      check(() => temporal.client.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => temporal.client.workflowService.getSystemInfo({}))),
    ]);
    const healthy = database.status === 'up' && temporalStatus.status === 'up';
    return reply.status(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'degraded', database, temporal: temporalStatus });
  });
};

export default healthRoutes;
