import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { getOutboxMessage, listOutbox, OUTBOX_STATUSES, type OutboxSummary } from '../../db/repositories/email-outbox.js';
import { EMAIL_KINDS, EMAIL_LOCALES, type EmailKind } from '../../emails/messages.js';
import { sampleMessage } from '../../emails/samples.js';
import { HttpError, notFound } from '../errors.js';
import type { EmailTransportConfig } from '../../config/env.js';
import { PageQuery, Pagination, Query, errorReplies, pagination } from '../schemas.js';
import type { ApiDeps } from '../app.js';

/**
 * The email outbox for admins (every message the platform sent or tried to send) and previews
 * of every template with sample data. Message bodies are answered, never logged.
 */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Timestamp = Type.String({ format: 'date-time' });

const OutboxStatusSchema = Type.Enum([...OUTBOX_STATUSES]);
const LocaleSchema = Type.Enum([...EMAIL_LOCALES]);
const TRANSPORTS: EmailTransportConfig['kind'][] = ['outbox', 'resend', 'smtp'];

const summaryFields = {
  id: Type.String(),
  idempotency_key: Type.String(),
  kind: Type.String(),
  to_address: Type.String(),
  locale: Type.String(),
  subject: Type.String(),
  status: OutboxStatusSchema,
  provider: Nullable(Type.String()),
  provider_message_id: Nullable(Type.String()),
  error: Nullable(Type.String()),
  attempts: Type.Integer(),
  created_at: Timestamp,
  sent_at: Nullable(Timestamp),
};
const EmailSummary = Type.Object(summaryFields, { $id: 'EmailSummary' });
const EmailDetail = Type.Object({ ...summaryFields, html: Type.String(), text: Type.String() });
const IdParam = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,18}$', description: 'outbox message id' }) });

function summaryJson(row: OutboxSummary) {
  return {
    id: String(row.id),
    idempotency_key: row.idempotency_key,
    kind: row.kind,
    to_address: row.to_address,
    locale: row.locale,
    subject: row.subject,
    status: row.status,
    provider: row.provider,
    provider_message_id: row.provider_message_id,
    error: row.error,
    attempts: row.attempts,
    created_at: row.created_at.toISOString(),
    sent_at: row.sent_at ? row.sent_at.toISOString() : null,
  };
}

const isEmailKind = (value: string): value is EmailKind => (EMAIL_KINDS as readonly string[]).includes(value);

const emailRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { db, config }) => {
  app.addSchema(EmailSummary);

  app.get(
    '/emails',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['emails'],
        summary:
          'The email outbox, newest first, without the message bodies, and the transport in use; search matches recipient, subject or idempotency key',
        security: [{ bearerAuth: [] }],
        querystring: Query({
          ...PageQuery,
          status: Type.Optional(OutboxStatusSchema),
          kind: Type.Optional(Type.Enum([...EMAIL_KINDS])),
        }),
        response: {
          200: Type.Object({
            data: Type.Array(Type.Ref('EmailSummary')),
            pagination: Pagination,
            transport: Type.Enum(TRANSPORTS, {
              description: 'how new messages leave the platform (EMAIL_TRANSPORT): outbox stores them without sending',
            }),
          }),
          ...errorReplies(400, 401),
        },
      },
    },
    async (request) => {
      const { page, limit, status, kind, search } = request.query;
      const { rows, total } = await listOutbox(db, { page, limit, status, kind, search });
      return { data: rows.map(summaryJson), pagination: pagination(page, limit, total), transport: config.email.transport.kind };
    },
  );

  app.get(
    '/emails/preview/:template',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['emails'],
        summary: 'One template rendered with sample data in the given language (default nl)',
        security: [{ bearerAuth: [] }],
        params: Type.Object({ template: Type.String({ maxLength: 100 }) }),
        querystring: Query({ locale: Type.Optional(LocaleSchema) }),
        response: {
          200: Type.Object({
            template: Type.String(),
            locale: LocaleSchema,
            subject: Type.String(),
            html: Type.String(),
            text: Type.String(),
          }),
          ...errorReplies(400, 401, 404),
        },
      },
    },
    async (request) => {
      const { template } = request.params;
      const locale = request.query.locale ?? 'nl';
      if (!isEmailKind(template)) {
        throw new HttpError(
          404,
          'not_found',
          `Email template ${template} does not exist; known templates: ${EMAIL_KINDS.join(', ')}`,
          EMAIL_KINDS.map((kind) => ({ template: kind })),
        );
      }
      // React and the email components load on the first preview: an API that never renders
      // one (previews are the API's only rendering) keeps some 30 MB less resident memory
      const { renderEmail } = await import('../../emails/render.js');
      const rendered = await renderEmail(sampleMessage(template, locale), { frontendUrl: config.email.frontendUrl });
      return { template, locale, ...rendered };
    },
  );

  app.get(
    '/emails/:id',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['emails'],
        summary: 'One outbox message with its HTML and text parts',
        security: [{ bearerAuth: [] }],
        params: IdParam,
        response: { 200: EmailDetail, ...errorReplies(400, 401, 404) },
      },
    },
    async (request) => {
      const row = await getOutboxMessage(db, request.params.id);
      if (!row) throw notFound(`Email ${request.params.id}`);
      return { ...summaryJson(row), html: row.html, text: row.text };
    },
  );
};

export default emailRoutes;
