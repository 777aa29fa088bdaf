import fastifyJwt from '@fastify/jwt';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../errors.js';

export interface AdminToken {
  sub: string;
  username: string;
  role: 'admin' | 'viewer';
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AdminToken;
    user: AdminToken;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler for admin routes: a valid `Authorization: Bearer` token or 401. */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** preHandler for changes: the signed-in user must have the `admin` role (viewers read only), or 403. */
    requireAdminRole: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

export default fp<{ secret: string; expiresIn: string }>(async (app, { secret, expiresIn }) => {
  await app.register(fastifyJwt, { secret, sign: { expiresIn } });
  app.decorate('authenticate', async (request: FastifyRequest) => {
    if (!request.headers.authorization) {
      throw new HttpError(
        401,
        'unauthorized',
        'Sign in first: send the token from POST /api/auth/login as "Authorization: Bearer <token>"',
      );
    }
    try {
      await request.jwtVerify();
    } catch {
      throw new HttpError(401, 'unauthorized', 'The token is invalid or has expired; sign in again');
    }
  });
  app.decorate('requireAdminRole', async (request: FastifyRequest) => {
    if (request.user?.role !== 'admin') {
      throw new HttpError(403, 'forbidden', `Your role (${request.user?.role ?? 'none'}) may view but not change; ask an admin`);
    }
  });
});
