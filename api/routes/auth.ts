import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { changeAdminPassword, verifyAdminLogin } from '../../db/repositories/admin-users.js';
import { HttpError } from '../errors.js';
import { errorReplies } from '../schemas.js';
import type { ApiDeps } from '../app.js';

const User = Type.Object({ id: Type.String(), username: Type.String(), role: Type.String(), must_change_password: Type.Boolean() });

const authRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { db }) => {
  app.post(
    '/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in as an admin; answers a bearer token',
        body: Type.Object({
          username: Type.String({ minLength: 1, maxLength: 100 }),
          password: Type.String({ minLength: 1, maxLength: 200 }),
        }),
        response: { 200: Type.Object({ token: Type.String(), user: User }), ...errorReplies(400, 401) },
      },
    },
    async (request) => {
      const user = await verifyAdminLogin(db, request.body.username, request.body.password);
      if (!user) throw new HttpError(401, 'invalid_credentials', 'Unknown username or wrong password');
      const token = await app.jwt.sign({ sub: user.id, username: user.username, role: user.role });
      return { token, user };
    },
  );

  app.post(
    '/auth/change-password',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['auth'],
        summary: 'Set a new password (required when must_change_password is true)',
        security: [{ bearerAuth: [] }],
        body: Type.Object({
          current_password: Type.String({ minLength: 1 }),
          new_password: Type.String({ minLength: 12, maxLength: 200 }),
        }),
        response: { 200: Type.Object({ user: User }), ...errorReplies(400, 401) },
      },
    },
    async (request) => {
      const verified = await verifyAdminLogin(db, request.user.username, request.body.current_password);
      if (!verified) throw new HttpError(401, 'invalid_credentials', 'The current password is wrong');
      if (request.body.new_password === request.body.current_password) {
        throw new HttpError(400, 'validation_error', 'new_password must differ from the current password');
      }
      const user = await changeAdminPassword(db, verified.id, request.body.new_password);
      return { user: user! };
    },
  );
};

export default authRoutes;
