import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static, type TObject } from 'typebox';
import type { ExportEntity, ExportQuery } from '../../db/repositories/exports.js';
import { HttpError } from '../errors.js';
import { Defaulted, PageQuery, Query, ReferralFilterQuery, errorReplies } from '../schemas.js';
import { DownloadTokens, downloadTarget } from '../services/exports/download-tokens.js';
import { exportStream } from '../services/exports/export-stream.js';
import { EXPORT_FORMATS, FORMAT_SPECS, exportFilename } from '../services/exports/formats.js';
import type { ApiDeps } from '../app.js';

const ExportOptions = {
  format: Defaulted(
    Type.Enum(EXPORT_FORMATS, {
      default: 'csv',
      description: 'csv (RFC 4180), excel-csv (BOM, `;`, decimal comma), json (one array) or ndjson (a row a line)',
    }),
  ),
  download_token: Type.Optional(
    Type.String({ maxLength: 1000, description: 'a one-time token from POST .../link, instead of the Authorization header' }),
  ),
};

/** The list endpoints' filters, with the same validation. */
const CustomerExportQuery = Query({ search: PageQuery.search, ...ExportOptions });
const ReferralExportQuery = Query({ ...ReferralFilterQuery, ...ExportOptions });

/** The file, by `format`: its rows are the list's (GET /customers, GET /referrals), streamed. */
const ExportFile = {
  description: 'the export as a file (Content-Disposition: attachment), in the format asked for',
  content: {
    'text/csv': { schema: Type.String({ description: 'csv and excel-csv: a header line, then a row a line' }) },
    'application/json': { schema: Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'json: one array' }) },
    'application/x-ndjson': { schema: Type.String({ description: 'ndjson: a JSON object a line' }) },
  },
};

const LinkReply = Type.Object({
  url: Type.String({ description: 'the export with a one-time download token; GET it within a minute' }),
  expires_at: Type.String({ format: 'date-time' }),
});

/** Request logs show the URL without its download token. */
const logSerializers = {
  req: (request: FastifyRequest) => ({
    method: request.method,
    url: request.url.replace(/(download_token=)[^&]*/, '$1[redacted]'),
    remoteAddress: request.ip,
  }),
};

/**
 * Destroys a download that has not moved for `stallMs` (checked every `stallMs`): a client that
 * stops reading but keeps its connection open would otherwise hold the export's database
 * connection and its query for as long as the TCP connection lives.
 */
function cutOffWhenStalled(response: ServerResponse, stallMs: number): void {
  let written = -1;
  const watchdog = setInterval(() => {
    const now = response.socket?.bytesWritten ?? written;
    if (now === written) response.destroy(new Error(`export download stalled for ${stallMs} ms`));
    written = now;
  }, stallMs);
  watchdog.unref();
  response.once('close', () => clearInterval(watchdog));
}

/**
 * `GET /api/export/{customers|referrals}`: the whole filtered list as a streamed file, for
 * admins and viewers, its rows read from `readDb` (the read replica when DATABASE_READ_URL is
 * set). `POST .../link` answers the same export's URL with a one-time download token, so a
 * browser downloads it natively instead of buffering it in a blob.
 */
const exportRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { db, readDb, config }) => {
  // a token's redemption is a write (its nonce, once across instances): the primary's
  const tokens = new DownloadTokens(db, config.auth.jwtSecret);

  function routes<Q extends TObject>(entity: ExportEntity, querystring: Q, toExportQuery: (query: Static<Q>) => ExportQuery) {
    const authenticate = async (request: FastifyRequest, reply: FastifyReply) => {
      const { download_token: token } = request.query as { download_token?: string };
      if (token === undefined) return app.authenticate(request, reply);
      const redeemed = await tokens.redeem(token, downloadTarget(entity, request.url));
      if (!redeemed.ok) throw new HttpError(401, 'unauthorized', redeemed.reason);
      request.user = redeemed.user;
    };

    app.get(
      `/export/${entity}`,
      {
        onRequest: authenticate,
        logSerializers,
        schema: {
          tags: ['exports'],
          summary: `Export the ${entity} that match the list's filters, streamed, as CSV, Excel CSV, JSON or NDJSON`,
          security: [{ bearerAuth: [] }],
          querystring,
          response: { 200: ExportFile, ...errorReplies(400, 401) },
        },
      },
      async (request, reply) => {
        const query = request.query as Static<Q> & { format: (typeof EXPORT_FORMATS)[number] };
        // a long read: from the replica when there is one (DATABASE_READ_URL), a second of lag is fine
        const stream = await exportStream(readDb, toExportQuery(query), query.format);
        // the first bytes (or the query's error, answered as a 500) before the headers go out
        await once(stream, 'readable');
        cutOffWhenStalled(reply.raw, config.exports.stallTimeoutMs);
        return (
          reply
            .header('content-type', FORMAT_SPECS[query.format].contentType)
            .header('content-disposition', `attachment; filename="${exportFilename(entity, query.format)}"`)
            .header('cache-control', 'no-store')
            // a stream goes out as it is: the 200 schema documents the file, it does not serialise it
            .send(stream as unknown as string)
        );
      },
    );

    app.post(
      `/export/${entity}/link`,
      {
        onRequest: app.authenticate,
        schema: {
          tags: ['exports'],
          summary: `A one-time URL (valid for a minute) of the ${entity} export with these filters, for a native browser download`,
          security: [{ bearerAuth: [] }],
          querystring,
          response: { 200: LinkReply, ...errorReplies(400, 401) },
        },
      },
      async (request) => {
        const target = downloadTarget(entity, request.url);
        const { token, expiresAt } = tokens.issue(request.user, target);
        const query = new URLSearchParams(target.split('?')[1]);
        query.set('download_token', token);
        return { url: `/api/export/${entity}?${query}`, expires_at: expiresAt.toISOString() };
      },
    );
  }

  routes('customers', CustomerExportQuery, ({ search }) => ({ entity: 'customers', filters: { search } }));
  routes('referrals', ReferralExportQuery, ({ search, status, flagged, period, sort }) => ({
    entity: 'referrals',
    filters: { search, status, flagged, periodDays: period },
    sort,
  }));
};

export default exportRoutes;
