import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * Fastify's request log lines for a developer's terminal (LOG_FORMAT pretty): one short line
 * per API request, `POST /api/referrals 201 12 ms`, at warn for 4xx and error for 5xx, instead
 * of an 'incoming request' and a 'request completed' object. Successful health probes and
 * the UI's static files are left out: they would bury the lines that matter.
 */
export class TerminalLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const status = reply.statusCode;
    const routine = !error && status < 400 && (!request.url.startsWith('/api/') || request.url.startsWith('/api/health'));
    if (routine) return;
    const line = `${request.method} ${request.url} ${status} ${Math.round(reply.elapsedTime)} ms`;
    if (error) reply.log.error({ err: error }, line);
    else reply.log[status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info'](line);
  }
}
