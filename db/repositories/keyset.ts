import type { Knex } from 'knex';
import type { Db } from '../knex.js';

/**
 * Keyset ("seek") pagination for the big lists (customers, referrals), which stay fast at
 * millions of rows on any page: a page continues from the sort key of the row before it
 * through the (time, id) index, where OFFSET would read and skip every earlier row.
 *
 * A cursor is opaque to clients (base64url JSON): which way it points, the key it continues
 * from (the timestamp as Postgres text, exact to the microsecond, and the id), the page number
 * it leads to (for "page 3" in the UI; approximate when rows arrive meanwhile) and the sort
 * order it was made for. The seed's `page` (OFFSET) keeps working and answers cursors too.
 *
 * Totals: counting every match of a filter over millions of rows costs more than the page
 * itself, so matches are counted exactly up to COUNT_CAP; beyond that the total is the
 * planner's estimate and `total_exact` is false (the UI shows "≈").
 */
export const COUNT_CAP = 200;

export type SortOrder = 'asc' | 'desc';

interface CursorPayload {
  /** after: the rows that follow the key in the sort order; before: the rows that precede it. */
  d: 'after' | 'before';
  k: [string, string];
  p: number;
  s: SortOrder;
}

/** A cursor the client changed or carried over to another sort: the API answers 400 with the message. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
  readonly statusCode = 400;
  readonly code = 'invalid_cursor';
}

export function encodeCursor(payload: CursorPayload): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/**
 * A timestamptz as Postgres writes it as text (`2026-11-26 09:30:00.123456+00`) and would read
 * it back: a tampered date (month 13, 31 February, year 0) is an invalid cursor, never a 500.
 */
function isPostgresTimestamp(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?([+-]\d{2}(:\d{2})?)$/.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    year >= 1 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60
  );
}

export function decodeCursor(cursor: string, order: SortOrder): CursorPayload {
  let payload: CursorPayload;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorPayload;
  } catch {
    throw new InvalidCursorError('cursor is not valid: pass pagination.next_cursor or prev_cursor of an earlier answer unchanged');
  }
  const valid =
    payload !== null &&
    (payload.d === 'after' || payload.d === 'before') &&
    Array.isArray(payload.k) &&
    payload.k.length === 2 &&
    typeof payload.k[0] === 'string' &&
    isPostgresTimestamp(payload.k[0]) &&
    typeof payload.k[1] === 'string' &&
    /^[0-9]{1,18}$/.test(payload.k[1]) &&
    Number.isSafeInteger(payload.p) &&
    payload.p >= 1 &&
    (payload.s === 'asc' || payload.s === 'desc');
  if (!valid)
    throw new InvalidCursorError('cursor is not valid: pass pagination.next_cursor or prev_cursor of an earlier answer unchanged');
  if (payload.s !== order) throw new InvalidCursorError(`cursor was made for the other sort order: drop it when the sort changes`);
  return payload;
}

export interface KeysetRequest {
  limit: number;
  /** 1-based; used (as OFFSET) only without a cursor. */
  page: number;
  cursor?: string;
  order: SortOrder;
}

export interface KeysetPage<Row> {
  rows: Row[];
  page: number;
  total: number;
  totalExact: boolean;
  nextCursor: string | null;
  prevCursor: string | null;
}

export interface KeysetSource {
  /** The whole table, aliased as the columns below expect; no filters. */
  table(): Knex.QueryBuilder;
  /** Adds the list's filters to a query on table(). */
  filter(q: Knex.QueryBuilder): Knex.QueryBuilder;
  /** Whether the filters include a text search (see keysetPage). */
  searching: boolean;
  /** Qualified sort columns: a timestamptz and the id that breaks its ties, e.g. r.submitted_at, r.id. */
  timeColumn: string;
  idColumn: string;
  /** The columns of a returned row. */
  columns: readonly (string | Knex.Raw)[];
  /**
   * Optional: turns the page's bare rows (the subquery `page`) into full ones, e.g. joins the
   * referrer for 20 rows rather than for every match; must keep `page`'s rows in `order`.
   */
  wrap?(page: Knex.QueryBuilder, order: SortOrder): Knex.QueryBuilder;
}

const SORT_TIME = 'keyset_time';
const SORT_ID = 'keyset_id';

/**
 * A search the planner expects to match more rows than this takes the ordered walk at once
 * (matches are dense: the walk is short); below it, the ids of the matches are collected first.
 */
const PROBE_BELOW_ESTIMATE = 20 * COUNT_CAP;

/**
 * One page. A text search the planner does not expect to be common first collects the ids of
 * up to COUNT_CAP + 1 matches through the trigram indexes: when that is all of them (the usual
 * case: a name, an email, a code), the page is read by id and the count is exact, whatever the
 * planner believes about the pattern's order. A common term (e.g. "gmail", a frequent surname)
 * takes the ordered walk, which stops after one page as matches are dense. Pattern estimates
 * are rough, and a walk for a rare term, or a sort of every match of a common one, costs
 * hundreds of milliseconds at a million rows.
 */
export async function keysetPage<Row>(db: Db, source: KeysetSource, request: KeysetRequest): Promise<KeysetPage<Row>> {
  const cursor = request.cursor === undefined ? undefined : decodeCursor(request.cursor, request.order);
  const filtered = () => source.filter(source.table());
  let matchIds: string[] | null = null;
  let counted: { count: number; exact: boolean } | null = null;
  if (source.searching) {
    const estimate = await estimateRows(db, filtered());
    const ids =
      estimate > PROBE_BELOW_ESTIMATE
        ? null
        : (
            await filtered()
              .limit(COUNT_CAP + 1)
              .pluck(source.idColumn)
          ).map(String);
    if (ids && ids.length <= COUNT_CAP) {
      matchIds = ids;
      counted = { count: ids.length, exact: true };
    } else {
      counted = { count: Math.max(estimate, COUNT_CAP + 1), exact: false };
    }
  }

  const backwards = cursor?.d === 'before';
  // Reading backwards runs the opposite order from the key, then the rows are reversed.
  const scanOrder: SortOrder = backwards ? flip(request.order) : request.order;
  const q = (matchIds ? source.table().whereIn(source.idColumn, matchIds) : filtered())
    .select(...source.columns, db.raw(`??::text AS ${SORT_TIME}`, [source.timeColumn]), db.raw(`??::text AS ${SORT_ID}`, [source.idColumn]))
    .orderBy([
      { column: source.timeColumn, order: scanOrder },
      { column: source.idColumn, order: scanOrder },
    ])
    .limit(request.limit + 1);
  if (cursor) {
    const comparison = scanOrder === 'desc' ? '<' : '>';
    q.whereRaw(`(??, ??) ${comparison} (?::timestamptz, ?::bigint)`, [source.timeColumn, source.idColumn, cursor.k[0], cursor.k[1]]);
  } else if (request.page > 1) {
    q.offset((request.page - 1) * request.limit);
  }
  const pageQuery = source.wrap ? source.wrap(q, scanOrder) : q;
  const [fetched, count] = await Promise.all([pageQuery as Promise<Record<string, unknown>[]>, counted ?? countOrEstimate(db, filtered())]);

  const more = fetched.length > request.limit;
  const rows = fetched.slice(0, request.limit);
  if (backwards) rows.reverse();
  const page = cursor ? cursor.p : request.page;
  const key = (row: Record<string, unknown> | undefined): [string, string] | null =>
    row ? [String(row[SORT_TIME]), String(row[SORT_ID])] : null;
  const first = key(rows[0]);
  const last = key(rows.at(-1));
  // Going forwards, more rows fetched than asked means a next page; going backwards, a previous one.
  const hasNext = backwards ? true : more;
  const hasPrev = backwards ? more : page > 1;
  return {
    rows: rows.map(stripSortKeys) as Row[],
    page,
    total: count.count,
    totalExact: count.exact,
    nextCursor: hasNext && last ? encodeCursor({ d: 'after', k: last, p: page + 1, s: request.order }) : null,
    prevCursor: hasPrev && first ? encodeCursor({ d: 'before', k: first, p: Math.max(1, page - 1), s: request.order }) : null,
  };
}

function flip(order: SortOrder): SortOrder {
  return order === 'asc' ? 'desc' : 'asc';
}

function stripSortKeys(row: Record<string, unknown>): Record<string, unknown> {
  const { [SORT_TIME]: _time, [SORT_ID]: _id, ...rest } = row;
  return rest;
}

/**
 * Matches counted up to COUNT_CAP; beyond it the planner's estimate (at least COUNT_CAP + 1)
 * and `exact: false`. Runs beside the page query, so a long list costs no extra round trip.
 */
async function countOrEstimate(db: Db, filtered: Knex.QueryBuilder): Promise<{ count: number; exact: boolean }> {
  const capped = filtered
    .clone()
    .select(db.raw('1'))
    .limit(COUNT_CAP + 1);
  const row = (await db.count<{ n: string }[]>({ n: '*' }).from(capped.as('capped')))[0];
  const count = Number(row.n);
  if (count <= COUNT_CAP) return { count, exact: true };
  return { count: Math.max(COUNT_CAP + 1, await estimateRows(db, filtered)), exact: false };
}

/** The planner's row estimate for a query (from its statistics; costs a plan, not a scan). */
export async function estimateRows(db: Db, filtered: Knex.QueryBuilder): Promise<number> {
  const { sql, bindings } = filtered.select(db.raw('1')).toSQL();
  const { rows } = await db.raw<{ rows: { 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }[] }>(
    `EXPLAIN (FORMAT JSON) ${sql}`,
    bindings,
  );
  return Math.round(rows[0]['QUERY PLAN'][0].Plan['Plan Rows']);
}
