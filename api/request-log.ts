import type { FastifyInstance } from 'fastify';

/**
 * For a developer's terminal (LOG_FORMAT pretty): one line per API request, `POST
 * /api/referrals 201 12 ms`, at warn for 4xx and error for 5xx. Successful health probes and
 * the UI's static files are left out: they would bury the lines that matter.
 */
export function terminalRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    const routine = status < 400 && (!request.url.startsWith('/api/') || request.url.startsWith('/api/health'));
    if (routine) return;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    request.log[level](`${request.method} ${request.url} ${status} ${Math.round(reply.elapsedTime)} ms`);
  });
}
