import fastifyJwt from '@fastify/jwt';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { DEFAULT_ADMIN_PASSWORD } from '../../config/env.js';
import type { Db } from '../../db/knex.js';
import { accountsWithPassword, findAdminSession, type AdminSession } from '../../db/repositories/admin-users.js';
import { HttpError } from '../errors.js';

/** Who a request acts for: the account as stored now (not as it was when the token was issued). */
export interface AdminToken {
  sub: string;
  username: string;
  role: 'admin' | 'viewer';
}

/** What a session token carries: the account, and the account's token version when it was issued. */
export interface SessionClaims extends AdminToken {
  /** Missing in tokens issued before versions existed: they count as version 0. */
  ver?: number;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: SessionClaims;
    user: AdminToken;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * onRequest for admin routes: a valid `Authorization: Bearer` token of an account that exists,
     * is not disabled and has not ended the token's session (401 otherwise); an account that must
     * change its password reaches only the routes that allow it (403 otherwise). Its answers are
     * never cached (`Cache-Control: no-store`).
     */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** preHandler for changes: the signed-in user must have the `admin` role (viewers read only), or 403. */
    requireAdminRole: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** A session token for the account, at its current token version. */
    signSession: (account: AdminSession) => string;
  }
  interface FastifyContextConfig {
    /** The route works for an account that must change its password first (the change itself, signing out). */
    allowWhilePasswordChangeRequired?: boolean;
  }
}

export default fp<{ secret: string; expiresIn: string; db: Db }>(
  async (app, { secret, expiresIn, db }) => {
    await app.register(fastifyJwt, { secret, sign: { expiresIn } });
    app.decorate('signSession', (account: AdminSession) =>
      app.jwt.sign({ sub: account.id, username: account.username, role: account.role, ver: account.token_version }),
    );
    app.decorate('authenticate', async (request: FastifyRequest, reply: FastifyReply) => {
      // personal data and tokens: kept out of browser and proxy caches, error answers too
      reply.header('cache-control', 'no-store');
      if (!request.headers.authorization) {
        throw new HttpError(
          401,
          'unauthorized',
          'Sign in first: send the token from POST /api/auth/login as "Authorization: Bearer <token>"',
        );
      }
      let claims: SessionClaims;
      try {
        claims = await request.jwtVerify<SessionClaims>();
      } catch {
        throw new HttpError(401, 'unauthorized', 'The token is invalid or has expired; sign in again');
      }
      const account = await findAdminSession(db, String(claims.sub));
      if (!account || account.token_version !== (claims.ver ?? 0)) {
        throw new HttpError(
          401,
          'unauthorized',
          'This session has ended (signed out, a new password, or the account was disabled); sign in again',
        );
      }
      request.user = { sub: account.id, username: account.username, role: account.role };
      if (account.must_change_password && !request.routeOptions.config.allowWhilePasswordChangeRequired) {
        throw new HttpError(
          403,
          'password_change_required',
          'Set a new password first (POST /api/auth/change-password); until then nothing else is allowed but signing out',
        );
      }
    });
    app.decorate('requireAdminRole', async (request: FastifyRequest) => {
      if (request.user?.role !== 'admin') {
        throw new HttpError(403, 'forbidden', `Your role (${request.user?.role ?? 'none'}) may view but not change; ask an admin`);
      }
    });
  },
  { name: 'auth' },
);

/**
 * Production must not serve while an account still has the default password (a database first
 * created in development has `admin` / admin123): the sentence that says which and what to do,
 * or null when none has.
 */
export async function defaultPasswordRefusal(db: Db): Promise<string | null> {
  const accounts = await accountsWithPassword(db, DEFAULT_ADMIN_PASSWORD);
  if (accounts.length === 0) return null;
  const names = accounts.map((name) => `"${name}"`).join(', ');
  return (
    `${accounts.length === 1 ? `The admin account ${names} still has` : `The admin accounts ${names} still have`} the default password, ` +
    'which production does not serve with: start once with NODE_ENV=development, sign in as that account and change its password, then start again.'
  );
}
