import { createHash } from 'node:crypto';
import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import type { RateLimitConfig, RateLimitSetting } from '../../config/env.js';
import { HttpError } from '../errors.js';

/**
 * Request limits (@fastify/rate-limit), counted per fixed window in Redis when REDIS_URL is set
 * (every API instance shares the counts) or in this process's memory. Which limit a request
 * counts against (docs/operations.md, Rate limits):
 *
 * - `POST /api/referrals`: the public form's own limit per address (RATE_LIMIT_REFERRAL_FORM);
 * - `GET /api/public/referral-codes/:code`: the code lookup's own limit per address
 *   (RATE_LIMIT_CODE_LOOKUP): it tells a code's owner's first name;
 * - `POST /api/webhooks/bookings`: a generous limit per address (RATE_LIMIT_WEBHOOKS): they are
 *   authenticated by their signature and arrive in bursts, and a 429 is retried by the sender,
 *   so nothing is lost; the limit only caps a flood of unsigned requests, each of which costs an
 *   HMAC over up to 1 MB;
 * - every other `/api` request: with a token that verifies, the signed-in user's own limit
 *   (RATE_LIMIT_ADMIN), else the address's (RATE_LIMIT_API, the seed's 100 per 15 minutes);
 * - not counted: `/api/health` (a 429 would take a healthy instance out of its load balancer),
 *   `/api/docs` and the admin UI's files (a page load fetches a dozen of them).
 *
 * Sign-ins also count their failures (`loginThrottle`): per address (RATE_LIMIT_LOGIN_IP, the
 * seed's 5 per 15 minutes) and per username (RATE_LIMIT_LOGIN_ACCOUNT); successful ones are not
 * counted. Exceeded: 429 `{ error: 'rate_limited', message }` with Retry-After and the IETF
 * draft's RateLimit-Limit / -Remaining / -Reset headers (as on every counted answer).
 *
 * When Redis cannot be reached the limits are skipped (logged), rather than failing every request.
 */

/** Failed sign-ins, checked before a sign-in and counted after a failed one. */
export interface LoginThrottle {
  /** 429 when the address or the username has used up its failed sign-ins. */
  check(request: FastifyRequest, reply: FastifyReply, username: string): Promise<void>;
  recordFailure(request: FastifyRequest, username: string): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    loginThrottle: LoginThrottle;
  }
}

/** What a key counts against: its prefix names the limit. */
type LimitName = 'api' | 'user' | 'form' | 'lookup' | 'webhook' | 'login-ip' | 'login-account';

/** Routes with a limit of their own (null: not limited); `HEAD` counts as `GET`. */
const ROUTE_LIMITS: Record<string, LimitName | null> = {
  'POST /api/referrals': 'form',
  'GET /api/public/referral-codes/:code': 'lookup',
  'POST /api/webhooks/bookings': 'webhook',
  'GET /api/health': null,
};

/** Which limit a request counts against, or null: a route with its own, the API's, or none (see above). */
export function limitFor(method: string, routeUrl: string | undefined, path: string): 'api' | LimitName | null {
  const route = `${method === 'HEAD' ? 'GET' : method} ${routeUrl}`;
  if (routeUrl !== undefined && route in ROUTE_LIMITS) return ROUTE_LIMITS[route];
  if (path === '/api/docs' || path.startsWith('/api/docs/')) return null;
  return path === '/api' || path.startsWith('/api/') ? 'api' : null;
}

const KEY = Symbol('rate limit key');
type Keyed = FastifyRequest & { [KEY]?: string };

/** The username as a key: lower case, hashed (a password typed into the username field stays out of Redis). */
const accountKey = (username: string) =>
  `login-account:${createHash('sha256').update(username.trim().toLowerCase()).digest('base64url').slice(0, 22)}`;

const NO_THROTTLE: LoginThrottle = { check: async () => undefined, recordFailure: async () => undefined };

export default fp<{ config: RateLimitConfig }>(
  async (app, { config }) => {
    if (!config.enabled) {
      app.decorate('loginThrottle', NO_THROTTLE);
      return;
    }
    const settings: Record<LimitName, RateLimitSetting | null> = {
      api: config.api,
      user: config.admin,
      form: config.referralForm,
      lookup: config.codeLookup,
      webhook: config.webhooks,
      'login-ip': config.loginIp,
      'login-account': config.loginAccount,
    };
    const settingOf = (key: string) => settings[key.slice(0, key.indexOf(':')) as LimitName]!;
    const redis = config.redisUrl ? connectRedis(app, config.redisUrl) : undefined;

    await app.register(fastifyRateLimit, {
      global: false,
      ...(redis && { redis, nameSpace: config.redisPrefix }),
      cache: 100_000, // in memory: the most recently seen keys kept
      skipOnError: true,
      enableDraftSpec: true,
      keyGenerator: (request) => (request as Keyed)[KEY]!,
      max: (_request, key) => settingOf(key).max,
      timeWindow: (_request, key) => settingOf(key).windowMs,
      errorResponseBuilder: (_request, context) => new HttpError(429, 'rate_limited', `Too many requests; try again in ${context.after}`),
    });

    const clientAddress = (request: FastifyRequest) => normalizeIP(request.ip);
    /** The key a request counts under, or undefined when that limit is off or the request is not limited. */
    const requestKey = (request: FastifyRequest): string | undefined => {
      const limit = limitFor(request.method, request.routeOptions.url, request.url.split('?')[0]);
      if (!limit) return undefined;
      const user = limit === 'api' ? signedInUser(request) : undefined;
      if (user) return settings.user ? `user:${user}` : undefined;
      return settings[limit] ? `${limit}:${clientAddress(request)}` : undefined;
    };
    /** A token that verifies names its user (a revoked one too: it is counted, then refused by authenticate). */
    const signedInUser = (request: FastifyRequest): string | undefined => {
      const [scheme, token] = request.headers.authorization?.split(' ') ?? [];
      if (scheme?.toLowerCase() !== 'bearer' || !token) return undefined;
      try {
        return String(app.jwt.verify<{ sub: string }>(token).sub);
      } catch {
        return undefined;
      }
    };

    const limit = app.rateLimit();
    app.addHook('onRequest', async (request, reply) => {
      const key = requestKey(request);
      if (!key) return;
      (request as Keyed)[KEY] = key;
      await limit.call(app, request, reply);
    });

    const counter = app.createRateLimit();
    const count = async (request: FastifyRequest, key: string, increment: boolean) => {
      (request as Keyed)[KEY] = key;
      return counter(request, { increment });
    };
    const loginKeys = (request: FastifyRequest, username: string) =>
      [settings['login-ip'] && `login-ip:${clientAddress(request)}`, settings['login-account'] && accountKey(username)].filter(
        (key): key is string => Boolean(key),
      );
    app.decorate('loginThrottle', {
      async check(request, reply, username) {
        for (const key of loginKeys(request, username)) {
          const status = await count(request, key, false);
          if (status.isAllowed || status.remaining > 0) continue;
          request.log.info({ rateLimit: key.slice(0, key.indexOf(':')) }, 'sign-in refused: too many failed attempts');
          reply
            .header('ratelimit-limit', status.max)
            .header('ratelimit-remaining', 0)
            .header('ratelimit-reset', status.ttlInSeconds)
            .header('retry-after', status.ttlInSeconds);
          const minutes = Math.max(1, Math.ceil(status.ttlInSeconds / 60));
          throw new HttpError(429, 'rate_limited', `Too many failed sign-ins; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`);
        }
      },
      async recordFailure(request, username) {
        for (const key of loginKeys(request, username)) await count(request, key, true);
      },
    } satisfies LoginThrottle);
  },
  { name: 'rate-limit', dependencies: ['auth'] },
);

/**
 * A Redis client for the counts that fails fast: no queue while disconnected and a short
 * command timeout, so a Redis outage skips the limits instead of holding every request.
 */
function connectRedis(app: FastifyInstance, url: string): Redis {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 1_000 });
  let failing = false;
  redis.on('error', (error: Error) => {
    if (failing) return;
    failing = true;
    app.log.warn({ err: error }, 'rate limits: Redis is not reachable; requests are not limited until it is');
  });
  redis.on('ready', () => {
    if (failing) app.log.info('rate limits: Redis is reachable again');
    failing = false;
  });
  app.addHook('onClose', async () => {
    redis.disconnect();
  });
  return redis;
}
