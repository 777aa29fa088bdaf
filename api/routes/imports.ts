import { Readable } from 'node:stream';
import fastifyMultipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WorkflowNotFoundError } from '@temporalio/client';
import { stringify } from 'csv-stringify';
import { Type, type Static } from 'typebox';
import {
  firstImportErrors,
  getImport,
  listImports,
  requestCancel,
  streamImportErrors,
  type ImportRow,
} from '../../db/repositories/imports.js';
import {
  IMPORT_PHASES,
  IMPORT_STATUSES,
  NOT_TEXT_KINDS,
  REJECTION_REASONS,
  isFinished,
  type RejectionReason,
} from '../../domain/csv-import/index.js';
import { HttpError, notFound } from '../errors.js';
import { Defaulted, Nullable, PageQuery, Query, Timestamp, errorReplies, pageOf, pagination } from '../schemas.js';
import { ImportService } from '../services/imports.js';
import type { ApiDeps } from '../app.js';

const importFields = {
  id: Type.String(),
  status: Type.Enum(IMPORT_STATUSES),
  phase: Type.Enum(IMPORT_PHASES),
  file_name: Type.String(),
  file_bytes: Type.Integer(),
  encoding: Nullable(Type.String()),
  delimiter: Nullable(Type.String()),
  rows_processed: Type.Integer({ description: 'data rows read from the file so far' }),
  percent: Type.Union([Type.Integer({ minimum: 0, maximum: 100 }), Type.Null()], {
    description: 'null while the phase cannot tell (validating, or ended early)',
  }),
  inserted: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  rejected: Type.Integer({ description: 'rows in the error report (known once staging has read them)' }),
  error: Nullable(Type.String({ description: 'the technical message, in English (for the logs)' })),
  failure: Nullable(
    Type.Object(
      {
        code: Type.Enum(['file_missing', 'unreadable_csv', 'unrecognised_header', 'internal']),
        line: Type.Optional(Type.Integer({ description: 'unreadable_csv: near this line' })),
        missing_columns: Type.Optional(Type.Array(Type.String())),
        columns_found: Type.Optional(Type.Array(Type.String())),
      },
      { description: 'why a failed import failed, as a code and its facts: what the admin UI words in its language' },
    ),
  ),
  created_by: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  started_at: Timestamp,
  finished_at: Timestamp,
};
const CustomerImport = Type.Object(importFields);

/** How many rejected rows the import's detail shows; the error report has them all. */
const FIRST_REJECTIONS = 10;
const CustomerImportDetail = Type.Object({
  ...importFields,
  first_rejections: Type.Array(
    Type.Object({
      line: Type.Integer(),
      reason: Type.Enum(Object.keys(REJECTION_REASONS) as RejectionReason[]),
      bebsy_customer_id: Type.String(),
    }),
    { description: `the first ${FIRST_REJECTIONS} rejected rows in file order (line number, reason code, the row's customer number)` },
  ),
});

/** An import as the API answers it; its detail (GET /imports/:id) adds the first rejected rows. */
export type ImportJson = Static<typeof CustomerImport>;
export type ImportDetailJson = Static<typeof CustomerImportDetail>;

/**
 * What the multipart parser (busboy) throws is about the request: a body without its boundary,
 * cut off, or a part without headers is a plain Error, answered 400 instead of 500. The
 * plugin's own errors (limits: 413) and ours keep their status.
 */
function unreadableUpload(error: unknown): unknown {
  if (error instanceof HttpError || typeof (error as { statusCode?: unknown })?.statusCode === 'number') return error;
  return new HttpError(400, 'invalid_multipart', `The upload is not readable multipart/form-data: ${(error as Error)?.message ?? error}`);
}

/** Form fields an upload may carry besides its file (ignored; more are a 413). */
const FORM_FIELDS = 10;

const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,18}$' }) });

function percent(row: ImportRow): number | null {
  if (row.status === 'completed') return 100;
  if (row.status === 'queued') return 0;
  if (row.phase !== 'staging' || Number(row.file_bytes) === 0) return null;
  return Math.min(99, Math.floor((Number(row.bytes_processed) / Number(row.file_bytes)) * 100));
}

function importJson(row: ImportRow) {
  const { workflow_id: _w, file_path: _f, bytes_processed: _b, rows_staged: _s, updated_at: _u, ...visible } = row;
  const iso = (d: Date | null) => d && d.toISOString();
  return {
    ...visible,
    file_bytes: Number(row.file_bytes),
    percent: percent(row),
    created_at: row.created_at.toISOString(),
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
  };
}

const REPORT_HEADERS = {
  nl: ['regel', 'klantnummer', 'naam', 'e-mail', 'code', 'reden'],
  en: ['line', 'customer_id', 'name', 'email', 'code', 'reason'],
};

/**
 * Customer CSV import: the upload is streamed to IMPORT_STORAGE_DIR, then the
 * `customer-import-<id>` workflow stages, validates and applies it; these routes show its
 * progress, its error report, and cancel it. Multipart is registered here only, with the
 * IMPORT_MAX_BYTES limit, so the rest of the API keeps its 1 MB body limit.
 */
const importRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { db, config, temporal }) => {
  await app.register(fastifyMultipart, {
    limits: { fileSize: config.imports.maxBytes, files: 1, fields: FORM_FIELDS, parts: FORM_FIELDS + 1 },
  });
  const imports = new ImportService(db, temporal, config.imports);
  app.addHook('onRequest', app.authenticate);

  app.post(
    '/customers/import',
    {
      preHandler: app.requireAdminRole,
      // The handler streams the file (request.file()); multipart never fills request.body, so
      // the body schema documents the form and is not checked against a body that is not there.
      validatorCompiler: () => () => true,
      schema: {
        tags: ['imports'],
        summary: 'Upload a customer CSV (multipart field `file`); answers the queued import',
        description: `Comma, semicolon or tab separated; UTF-8 (with or without BOM) or Windows-1252. Columns by Dutch or English header name: klantnummer/customer_id, naam/name, e-mail/email, taal/locale (optional); others are ignored. At most ${config.imports.maxBytes} bytes (413 above). Refused, nothing stored: an empty file (422 empty_file); a file that is not text, such as an image or an .xlsx workbook (415 not_a_text_file, details [{detected}]: ${NOT_TEXT_KINDS.join(', ')}); a header without the required columns (422 unrecognised_header, details [{missing_columns, columns_found}]); a body that is not readable multipart (400 invalid_multipart).`,
        consumes: ['multipart/form-data'],
        body: Type.Object(
          { file: Type.String({ format: 'binary', description: 'the CSV file' }) },
          {
            // one part each: the parser counts parts, and a repeated field is as many parts
            additionalProperties: Type.String(),
            maxProperties: FORM_FIELDS + 1,
            description: `the file, and at most ${FORM_FIELDS} other fields, which are ignored (more: 413)`,
          },
        ),
        security: [{ bearerAuth: [] }],
        response: { 202: CustomerImport, ...errorReplies(400, 401, 403, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart())
        throw new HttpError(415, 'unsupported_media_type', 'Upload the file as multipart/form-data in the field "file"');
      const part = await request.file().catch((error: unknown) => {
        throw unreadableUpload(error);
      });
      if (!part) throw new HttpError(400, 'file_missing', 'No file uploaded: send the CSV in the multipart field "file"');
      if (part.fieldname !== 'file') {
        part.file.resume();
        throw new HttpError(400, 'file_missing', `The file must be sent in the multipart field "file", not "${part.fieldname}"`);
      }
      const row = await imports.queue({ file: part.file, filename: part.filename }, request.user.username).catch((error: unknown) => {
        // the file's own stream failed: the parser's, a body cut off in the middle of the file
        throw error === part.file.errored ? unreadableUpload(error) : error;
      });
      request.log.info({ importId: row.id, bytes: Number(row.file_bytes) }, 'customer import queued');
      return reply.status(202).send(importJson(row));
    },
  );

  app.get(
    '/imports',
    {
      schema: {
        tags: ['imports'],
        summary: 'Recent customer imports, newest first',
        security: [{ bearerAuth: [] }],
        querystring: Query({ page: PageQuery.page, limit: PageQuery.limit }),
        response: { 200: pageOf(CustomerImport), ...errorReplies(400, 401) },
      },
    },
    async (request) => {
      const { page, limit } = request.query;
      const { rows, total } = await listImports(db, { page, limit });
      return { data: rows.map(importJson), pagination: pagination(page, limit, total) };
    },
  );

  app.get(
    '/imports/:id',
    {
      schema: {
        tags: ['imports'],
        summary: 'One import with its live progress, counts and first rejected rows',
        security: [{ bearerAuth: [] }],
        params: IdParams,
        response: { 200: CustomerImportDetail, ...errorReplies(400, 401, 404) },
      },
    },
    async (request) => {
      const row = await getImport(db, request.params.id);
      if (!row) throw notFound(`Import ${request.params.id}`);
      const rejections = row.rejected > 0 ? await firstImportErrors(db, row.id, FIRST_REJECTIONS) : [];
      return { ...importJson(row), first_rejections: rejections };
    },
  );

  app.get(
    '/imports/:id/errors.csv',
    {
      schema: {
        tags: ['imports'],
        summary: 'The error report: each rejected row with its line number and reason (semicolon CSV, UTF-8 with BOM, for Excel)',
        security: [{ bearerAuth: [] }],
        params: IdParams,
        querystring: Query({
          lang: Defaulted(
            Type.Union([Type.Literal('nl'), Type.Literal('en')], {
              default: 'nl',
              description: 'the headers and reasons in Dutch or English',
            }),
          ),
        }),
        response: {
          200: {
            description: 'the error report (Content-Disposition: attachment)',
            content: { 'text/csv': { schema: Type.String({ description: 'semicolon separated, UTF-8 with BOM, CRLF line ends' }) } },
          },
          ...errorReplies(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      const row = await getImport(db, request.params.id);
      if (!row) throw notFound(`Import ${request.params.id}`);
      const { lang } = request.query;
      const lines = Readable.from(
        (async function* () {
          for await (const e of streamImportErrors(db, row.id)) {
            yield [
              e.line,
              e.bebsy_customer_id,
              e.name,
              e.email,
              e.reason,
              REJECTION_REASONS[e.reason as RejectionReason]?.[lang] ?? e.reason,
            ];
          }
        })(),
      );
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="import-${row.id}-${lang === 'nl' ? 'fouten' : 'errors'}.csv"`);
      const report = lines.pipe(
        stringify({ delimiter: ';', bom: true, header: true, columns: REPORT_HEADERS[lang], record_delimiter: 'windows' }),
      );
      // a stream goes out as it is: the 200 schema documents the file, it does not serialise it
      return reply.send(report as unknown as string);
    },
  );

  app.post(
    '/imports/:id/cancel',
    {
      preHandler: app.requireAdminRole,
      schema: {
        tags: ['imports'],
        summary: 'Cancel a running import; customers stay as they were (409 when it has already ended)',
        security: [{ bearerAuth: [] }],
        params: IdParams,
        response: { 202: CustomerImport, ...errorReplies(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const row = await getImport(db, request.params.id);
      if (!row) throw notFound(`Import ${request.params.id}`);
      const finished = () =>
        new HttpError(409, 'import_finished', `Import ${row.id} has already ended (${row.status}); there is nothing to cancel`);
      if (isFinished(row.status)) throw finished();
      const cancelling = await requestCancel(db, row.id);
      if (!cancelling) throw finished();
      try {
        await temporal.client.workflow.getHandle(row.workflow_id).cancel();
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        throw finished();
      }
      return reply.status(202).send(importJson(cancelling));
    },
  );
};

export default importRoutes;
