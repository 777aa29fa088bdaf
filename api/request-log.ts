import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * Fastify's request log for JSON lines (LOG_FORMAT json): one 'request completed' line per
 * request with the request (method, url, addresses), the status and the response time, as an
 * access log has it, instead of Fastify's two lines ('incoming request' and 'request
 * completed') that split one request over two lines joined by reqId. Half the lines is half
 * the logging work on the hottest endpoint (`npm run bench -- --cpu-profile`: the two lines were
 * ~0.2 ms of a submission's ~2 ms of API CPU) and half the volume to ship. A request that never
 * completes is not logged here; its handler's own lines and the metrics still show it.
 */
export class JsonLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

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
