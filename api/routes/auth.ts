import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { DEFAULT_ADMIN_PASSWORD } from '../../config/env.js';
import {
  changeAdminPassword,
  endAdminSessions,
  prepareLoginTiming,
  verifyAdminLogin,
  type AdminUser,
} from '../../db/repositories/admin-users.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordProblem } from '../../domain/password-policy.js';
import { HttpError } from '../errors.js';
import { errorReplies } from '../schemas.js';
import type { ApiDeps } from '../app.js';

const User = Type.Object({ id: Type.String(), username: Type.String(), role: Type.String(), must_change_password: Type.Boolean() });

/** The account as answers show it (no token version). */
const publicUser = ({ id, username, role, must_change_password }: AdminUser): Static<typeof User> => ({
  id,
  username,
  role,
  must_change_password,
});

const authRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { db, config }) => {
  // the hash an unknown username is checked against, made now rather than in the first sign-in
  await prepareLoginTiming();

  app.post(
    '/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in as an admin; answers a bearer token (failed attempts are limited per address and per username)',
        body: Type.Object({
          username: Type.String({ minLength: 1, maxLength: 100 }),
          password: Type.String({ minLength: 1, maxLength: 200 }),
        }),
        response: { 200: Type.Object({ token: Type.String(), user: User }), ...errorReplies(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      reply.header('cache-control', 'no-store');
      await app.loginThrottle.check(request, reply, username);
      // production never lets the default password in, whatever the stored hash says
      const refused = config.isProduction && password === DEFAULT_ADMIN_PASSWORD;
      const account = refused ? null : await verifyAdminLogin(db, username, password);
      if (!account) {
        await app.loginThrottle.recordFailure(request, username);
        throw new HttpError(401, 'invalid_credentials', 'Unknown username or wrong password');
      }
      return { token: app.signSession(account), user: publicUser(account) };
    },
  );

  app.post(
    '/auth/change-password',
    {
      onRequest: app.authenticate,
      config: { allowWhilePasswordChangeRequired: true },
      schema: {
        tags: ['auth'],
        summary:
          'Set a new password (required when must_change_password is true); every earlier session ends, the answer carries a new token',
        description: `At least ${PASSWORD_MIN_LENGTH} characters, not a common password and not easy to guess (400 weak_password says why).`,
        security: [{ bearerAuth: [] }],
        body: Type.Object({
          current_password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
          new_password: Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH }),
        }),
        response: { 200: Type.Object({ token: Type.String(), user: User }), ...errorReplies(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const { current_password: current, new_password: next } = request.body;
      const { username } = request.user;
      // a stolen token must not become a way to guess the password: failures count as failed sign-ins
      await app.loginThrottle.check(request, reply, username);
      const verified = await verifyAdminLogin(db, username, current);
      if (!verified) {
        await app.loginThrottle.recordFailure(request, username);
        throw new HttpError(401, 'invalid_credentials', 'The current password is wrong');
      }
      if (next === current) throw new HttpError(400, 'validation_error', 'new_password must differ from the current password');
      const problem = passwordProblem(next, [username]);
      if (problem) {
        throw new HttpError(400, 'weak_password', `new_password ${problem}`, [{ field: 'new_password', message: problem }]);
      }
      const account = await changeAdminPassword(db, verified.id, next);
      return { token: app.signSession(account!), user: publicUser(account!) };
    },
  );

  app.post(
    '/auth/logout',
    {
      onRequest: app.authenticate,
      config: { allowWhilePasswordChangeRequired: true },
      schema: {
        tags: ['auth'],
        summary: "Sign out: every session of the account ends (this token and the account's other devices)",
        security: [{ bearerAuth: [] }],
        response: { 204: Type.Null(), ...errorReplies(401) },
      },
    },
    async (request, reply) => {
      await endAdminSessions(db, request.user.sub);
      return reply.status(204).send(null);
    },
  );
};

export default authRoutes;
