import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';
import type { Config } from '../../config/env.js';
import type { PageFallback } from '../errors.js';

export const uiDistDir = fileURLToPath(new URL('../../ui/dist/', import.meta.url));

/**
 * Security headers for every answer, with a CSP that lets the UI talk to its own API and,
 * when configured, to the Faro collector; and the built admin UI (ui/dist) served from the
 * same origin as /api. Answers the SPA fallback (index.html) for the router's unknown pages,
 * or undefined when the UI has not been built (`npm run build`).
 */
export async function adminUi(app: FastifyInstance, config: Config): Promise<PageFallback | undefined> {
  const collectorOrigin = config.faro ? new URL(config.faro.collectorUrl).origin : null;
  // helmet's middleware built once: @fastify/helmet builds it again for every request (parsing
  // the CSP each time), a twentieth of a millisecond of every answer for the same headers
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        connectSrc: ["'self'", ...(collectorOrigin ? [collectorOrigin] : [])],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
        upgradeInsecureRequests: config.isProduction ? [] : null,
      },
    },
    crossOriginEmbedderPolicy: false,
  });
  app.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, () => done()));
  if (!existsSync(`${uiDistDir}index.html`)) return undefined;
  // wildcard: files are looked up per request, so a rebuilt UI is served without a restart
  await app.register(fastifyStatic, { root: uiDistDir, prefix: '/', wildcard: true, index: ['index.html'], maxAge: '1h' });
  return (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html');
}
