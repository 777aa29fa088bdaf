import type { Readable } from 'node:stream';
import type pg from 'pg';
import QueryStream from 'pg-query-stream';
import { CsvCopyOut } from '../csv-copy-out.js';
import type { Db } from '../knex.js';
import { estimateRows } from './keyset.js';
import { filteredCustomers, type CustomerFilters } from './customers.js';
import { REFERRAL_COLUMNS, filteredReferrals, referralOrder, type ReferralFilters } from './referrals.js';

/**
 * The queries behind the customer and referral exports: the list filters (imported, so an
 * export always selects what the list shows), the list order, and every field of the list API.
 * CSV is produced by Postgres itself (`COPY (SELECT ...) TO STDOUT`): a million rows never pass
 * through JavaScript objects.
 */

export type ExportEntity = 'customers' | 'referrals';

/** How a field is written as CSV text; `text` fields are guarded against formula injection. */
type FieldKind = 'id' | 'text' | 'list' | 'money' | 'timestamp' | 'date' | 'boolean';

interface ExportField {
  /** The name in the list API, the CSV header and the JSON export. */
  name: string;
  /** SQL for the stored value (the query aliases referrals `r`, their referrer `c`). */
  source: string;
  kind: FieldKind;
}

const field = (name: string, kind: FieldKind, source: string): ExportField => ({ name, kind, source });

const CUSTOMER_FIELDS: ExportField[] = [
  field('id', 'id', 'id'),
  field('bebsy_customer_id', 'text', 'bebsy_customer_id'),
  field('name', 'text', 'name'),
  field('email', 'text', 'email'),
  field('referral_code', 'text', 'referral_code'),
  field('locale', 'text', 'locale'),
  field('created_at', 'timestamp', 'created_at'),
  field('updated_at', 'timestamp', 'updated_at'),
];

const referralField = (name: string, kind: FieldKind) => field(name, kind, `r.${name}`);
const REFERRAL_FIELDS: ExportField[] = [
  referralField('id', 'id'),
  referralField('referrer_id', 'id'),
  field('referrer_code', 'text', 'c.referral_code'),
  field('referrer_name', 'text', 'c.name'),
  referralField('new_customer_email', 'text'),
  referralField('booking_reference', 'text'),
  referralField('claimed_booking_reference', 'text'),
  referralField('status', 'text'),
  field('reward_amount', 'money', 'r.reward_amount_cents'),
  field('booking_value', 'money', 'r.booking_value_cents'),
  referralField('currency', 'text'),
  referralField('departure_date', 'date'),
  referralField('flagged', 'boolean'),
  referralField('flag_reasons', 'list'),
  referralField('rejection_reason', 'text'),
  referralField('workflow_id', 'text'),
  referralField('submitted_at', 'timestamp'),
  referralField('awaiting_booking_at', 'timestamp'),
  referralField('booking_confirmed_at', 'timestamp'),
  referralField('approved_at', 'timestamp'),
  referralField('approved_by', 'text'),
  referralField('paid_at', 'timestamp'),
  referralField('rejected_at', 'timestamp'),
  referralField('rejected_by', 'text'),
  referralField('expired_at', 'timestamp'),
  referralField('revoked_at', 'timestamp'),
  referralField('updated_at', 'timestamp'),
];

export const EXPORT_FIELDS: Record<ExportEntity, readonly ExportField[]> = { customers: CUSTOMER_FIELDS, referrals: REFERRAL_FIELDS };

export type ExportQuery =
  { entity: 'customers'; filters: CustomerFilters } | { entity: 'referrals'; filters: ReferralFilters; sort?: 'newest' | 'oldest' };

/** The filtered rows in the list's order, without columns yet. */
function orderedRows(db: Db, query: ExportQuery) {
  if (query.entity === 'customers') {
    return filteredCustomers(db, query.filters).orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ]);
  }
  const order = referralOrder(query.sort);
  return filteredReferrals(db, query.filters).orderBy([
    { column: 'r.submitted_at', order },
    { column: 'r.id', order },
  ]);
}

/** The rows as the list repositories return them (referrals: `ReferralRow`), for the JSON export. */
function exportRowsQuery(db: Db, query: ExportQuery) {
  const columns = query.entity === 'customers' ? CUSTOMER_FIELDS.map((f) => f.name) : REFERRAL_COLUMNS;
  return orderedRows(db, query).select(columns);
}

/** Text fields that a spreadsheet would run as a formula (OWASP CSV injection): = + - @ tab CR. */
const FORMULA_START_CODES = [61, 43, 45, 64, 9, 13];

export interface CsvDialect {
  delimiter: ',' | ';';
  decimalComma: boolean;
}

/** One field as CSV text: the formula guard prefixes a single quote; amounts in euros with two decimals. */
function csvExpression({ source, kind }: ExportField, dialect: CsvDialect): string {
  switch (kind) {
    case 'text':
      return guardFormula(source);
    case 'list':
      return guardFormula(`array_to_string(${source}, ', ')`);
    case 'money': {
      // `25.00`; a cast to numeric(20,2) costs two thirds of a to_char (two amounts a row)
      const euros = `(${source} / 100.0)::numeric(20, 2)::text`;
      return dialect.decimalComma ? `replace(${euros}, '.', ',')` : euros;
    }
    case 'timestamp':
      // `2026-11-26 09:30:00.123456`, UTC: what spreadsheets read as a date-time, and a cast
      // costs a third of a to_char (ten timestamps a row)
      return `(${source} AT TIME ZONE 'UTC')::text`;
    case 'boolean':
      return `${source}::text`;
    case 'id':
    case 'date':
      return source;
  }
}

/** SQL for `text` with the OWASP formula guard: a leading `'` when a spreadsheet would run it. */
export const guardFormula = (text: string) =>
  `CASE WHEN ascii(${text}) IN (${FORMULA_START_CODES.join(', ')}) THEN '''' || ${text} ELSE ${text} END`;

/**
 * `COPY (SELECT ...) TO STDOUT` of the export as CSV with a header row. COPY takes no bind
 * parameters, so the filter values are inlined by knex's Postgres literal escaping.
 */
export function csvCopySql(db: Db, query: ExportQuery, dialect: CsvDialect): string {
  const select = orderedRows(db, query)
    .select(EXPORT_FIELDS[query.entity].map((f) => db.raw(`${csvExpression(f, dialect)} AS ??`, [f.name])))
    .toQuery();
  return `COPY (${select}) TO STDOUT WITH (FORMAT csv, HEADER true, DELIMITER '${dialect.delimiter}')`;
}

type PooledConnection = pg.Client & { __knex__disposed?: unknown };

/**
 * work_mem of an export's session: the referral export joins each referral to its referrer
 * through a Memoize node, whose cache is work_mem × hash_mem_multiplier; at 4 MB (the default)
 * it evicts, and a million referrers cost a million index lookups. 64 MB keeps 1M referrers
 * (about 56 MB measured), 30 % faster on 2M referrals. Postgres' memory, not the API's.
 */
const EXPORT_WORK_MEM = '64MB';

/**
 * Above this many referrals (the planner's estimate) the export joins the referrers by hash
 * and sorts, instead of walking the submitted_at index and looking each referrer up: for all
 * 2M referrals 7.4–8.2 s instead of 10.6–10.8 s (measured side by side with psql); the planner
 * prices the index walk lower. A small export keeps the lookups: hashing a million customers
 * for a few thousand referrals would cost more than it saves.
 */
const HASH_JOIN_ABOVE_ROWS = 50_000;

/** The session settings of one export: a larger work_mem, and the hash join for a large referral export. */
async function exportSettings(db: Db, query: ExportQuery): Promise<Record<string, string>> {
  const large = query.entity === 'referrals' && (await estimateRows(db, orderedRows(db, query))) > HASH_JOIN_ABOVE_ROWS;
  return { work_mem: EXPORT_WORK_MEM, ...(large && { enable_nestloop: 'off' }) };
}

/** Reads a COPY's output off the connection (a pg submittable query that is a Readable). */
export type CopyReader = (sql: string) => Readable & pg.Submittable;

/**
 * The export as CSV text straight from Postgres (`csvCopySql`), with CRLF record ends
 * (`CsvCopyOut`); `read` another reader of the same COPY (the export benchmark's baseline reads
 * what Postgres sends, untouched, with pg-copy-streams).
 */
export async function copyOut(db: Db, query: ExportQuery, dialect: CsvDialect, read: CopyReader = (sql) => new CsvCopyOut(sql)) {
  const sql = csvCopySql(db, query, dialect);
  return pooledStream(db, await exportSettings(db, query), (connection) => connection.query(read(sql)));
}

/** The export's rows as objects (`exportRowsQuery`), read through a cursor. */
export async function rowsOut(db: Db, query: ExportQuery) {
  const { sql, bindings } = exportRowsQuery(db, query).toSQL().toNative();
  return pooledStream(db, await exportSettings(db, query), (connection) => connection.query(new QueryStream(sql, bindings as unknown[])));
}

/**
 * Runs a streaming query (COPY or cursor) on a pooled connection of its own, with backpressure
 * down to Postgres' socket and the export's session settings. At the stream's end the settings
 * are reset and the connection goes back to the pool. When the stream is destroyed
 * before its end (the client went away) the connection is still inside the query: it is
 * closed, which ends the query on the server, and the pool drops it.
 */
async function pooledStream(db: Db, settings: Record<string, string>, open: (connection: PooledConnection) => Readable): Promise<Readable> {
  const connection: PooledConnection = await db.client.acquireConnection();
  try {
    for (const [name, value] of Object.entries(settings)) await connection.query(`SET ${name} = '${value}'`);
  } catch (error) {
    db.client.releaseConnection(connection);
    throw error;
  }
  const stream = open(connection);
  let finished = false;
  stream.once('end', () => {
    finished = true;
  });
  stream.once('close', () => {
    if (!finished) return discard(db, connection, 'export stopped before the end of its query');
    Promise.all(Object.keys(settings).map((name) => connection.query(`RESET ${name}`))).then(
      () => db.client.releaseConnection(connection),
      () => discard(db, connection, 'its settings could not be reset'),
    );
  });
  return stream;
}

/** Closes a connection and lets the pool drop it instead of handing it out again. */
function discard(db: Db, connection: PooledConnection, reason: string): void {
  connection.__knex__disposed = reason;
  connection.end().catch(() => undefined);
  db.client.releaseConnection(connection);
}
