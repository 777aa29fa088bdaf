/**
 * The bulk seeder behind `npm run seed:large` (scripts/seed-large.ts is the command line).
 *
 * - Brings the schema up to date, then appends: ids continue above the current maximum (the id
 *   ranges are reserved on the sequences first, so the running app cannot take them meanwhile).
 * - Streams generated rows in COPY text format (pg-copy-streams) with backpressure: memory stays
 *   flat whatever the row counts (about 200 MB RSS, mostly the runtime).
 * - The tables keep all their indexes, constraints, foreign keys and triggers: nothing existing is
 *   dropped or disabled, so the running app is never blocked. The rows are valid by construction,
 *   and Postgres checks them anyway. Postgres then spends its time in index maintenance, on one
 *   core per COPY: the rows go over `jobs` connections at once (chunks dealt round-robin, so the
 *   physical order still follows the ids and the time).
 * - Customers, then referrals, then rewards (foreign keys need the parents committed first); the
 *   rewards are written to a temporary file while their referrals are generated. A failure rolls
 *   back the running step and deletes the rows of the committed steps (by their reserved ids),
 *   so the database is as it was, bar the sequences having moved on.
 * - Finally the sequences are set to the highest id and the tables analysed, with the analytics
 *   rollups the triggers filled meanwhile (until then their statistics are those of a fresh
 *   database's empty tables, and the leaderboard's plans depend on them).
 */
import { once } from 'node:events';
import { type WriteStream, createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { createDb } from '../../db/knex.js';
import { migrateToLatest } from '../../db/migrate.js';
import { ALT_OFFSET, CodeClashes, type CodeScrambler } from './codes.js';
import { CUSTOMER_COLUMNS, CustomerFactory, customerEmailNumber, noTakenCustomerValues, type TakenCustomerValues } from './customers.js';
import {
  BOOKING_REFERENCE_PREFIX,
  type LifecycleSettings,
  REFERRAL_COLUMNS,
  REWARD_COLUMNS,
  ReferralFactory,
  VOUCHER_PREFIX,
  bookingReferences,
  voucherCodes,
} from './referrals.js';
import { Timeline } from './timeline.js';

export interface SeedOptions {
  databaseUrl: string;
  customers: number;
  referrals: number;
  /** PRNG seed: the same seed gives the same names, statuses and dates (ids follow the database). */
  seed: number;
  /** The end of the generated history (default: now). */
  now?: Date;
  /** How far back the customers go, in years (default 3). */
  years?: number;
  lifecycle?: Partial<LifecycleSettings>;
  /** Parallel COPY streams (connections); default: the CPU count, at most 4. */
  jobs?: number;
  /** Aborts the run (e.g. on Ctrl-C): what was added is removed again. */
  signal?: AbortSignal;
  /** VACUUM (ANALYZE) instead of ANALYZE at the end: slower, but sets the visibility map for index-only scans. */
  vacuum?: boolean;
  log?: (line: string) => void;
}

export interface SeedResult {
  customers: { first: number; last: number; count: number };
  referrals: { first: number; last: number; count: number; byStatus: Record<string, number>; flagged: number };
  rewards: { first: number; last: number; count: number };
  seconds: { migrate: number; prepare: number; customers: number; referrals: number; rewards: number; finish: number; total: number };
  rowsPerSecond: number;
}

export const DEFAULT_LIFECYCLE: LifecycleSettings = { rewardAmountCents: 2500, expiryDays: 90, rewardHoldDays: 14, clawbackWindowDays: 60 };

/** The rollups the triggers of migrations 007 and 015 keep (filled by the COPYs like by any insert). */
const ROLLUPS = ['analytics_daily', 'referrer_stats', 'referrer_daily', 'referrer_monthly'];
const CHUNK_CHARS = 1 << 17;
const PROGRESS_EVERY_MS = 2000;

export async function seedLarge(options: SeedOptions): Promise<SeedResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const settings: LifecycleSettings = { ...DEFAULT_LIFECYCLE, ...options.lifecycle };
  const { customers: customerCount, referrals: referralCount } = options;
  const jobs = options.jobs ?? Math.min(Math.max(availableParallelism(), 1), 4);
  if (!Number.isSafeInteger(customerCount) || customerCount < 0) throw new Error('customers must be a whole number ≥ 0');
  if (!Number.isSafeInteger(referralCount) || referralCount < 0) throw new Error('referrals must be a whole number ≥ 0');
  if (referralCount > 0 && customerCount === 0) throw new Error('referrals need customers: generate at least one customer in the same run');
  if (!Number.isSafeInteger(jobs) || jobs < 1) throw new Error('jobs must be a whole number ≥ 1');

  const started = performance.now();
  const lap = lapTimer();
  const knex = createDb(options.databaseUrl, { pool: { min: 0, max: 1, idleTimeoutMillis: 1000, connectionTimeoutMillis: 10_000 } });
  try {
    await migrateToLatest(knex);
  } finally {
    await knex.destroy();
  }
  const migrateSeconds = lap();

  const control = await connect(options.databaseUrl);
  const workers: pg.Client[] = [];
  const tempDir = await mkdtemp(path.join(tmpdir(), 'bebsy-seed-'));
  /** Id ranges whose rows are (or are being) committed: removed again if a step fails. */
  const committed: Array<{ table: string; ids: IdRange }> = [];
  let rewardOut: WriteStream | undefined;
  try {
    // Ids: reserved first, so the running app cannot hand out the same ones meanwhile.
    const customerIds = await reserveIds(control, 'customers', customerCount);
    const referralIds = await reserveIds(control, 'referrals', referralCount);
    if (Math.max(customerIds.last, referralIds.last) >= ALT_OFFSET) throw new Error('ids beyond the code space');
    const taken = await takenCustomerValues(control, customerIds.first, customerIds.last);
    const bookingRefs = await takenCodes(
      control,
      bookingReferences,
      referralIds.first,
      referralIds.last,
      `SELECT substr(booking_reference, ${BOOKING_REFERENCE_PREFIX.length + 1}) FROM referrals WHERE booking_reference LIKE '${BOOKING_REFERENCE_PREFIX}%'`,
    );
    const clashes = taken.codes.count + taken.bebsyIds.size + taken.emails.size + bookingRefs.count;
    log(
      `seed:large: ${fmt(customerCount)} customers (ids ${range(customerIds)}), ${fmt(referralCount)} referrals (ids ${range(referralIds)}), seed ${options.seed}, ${jobs} COPY stream${jobs > 1 ? 's' : ''}` +
        (clashes ? `; ${clashes} values already taken by existing rows, avoided` : ''),
    );

    const now = options.now?.getTime() ?? Date.now();
    const timeline = new Timeline(now, options.years ?? 3, Math.max(customerCount, 1), Math.max(referralCount, 1));
    const customerFactory = new CustomerFactory(options.seed, customerIds.first, customerCount, timeline, taken);
    const referralFactory = new ReferralFactory(
      options.seed,
      referralIds.first,
      referralCount,
      customerFactory,
      timeline,
      settings,
      bookingRefs,
    );
    for (let i = 0; i < jobs; i++) workers.push(await connect(options.databaseUrl, true));
    const prepareSeconds = lap();

    committed.push({ table: 'customers', ids: customerIds });
    await copyPhase(
      workers,
      'customers',
      CUSTOMER_COLUMNS,
      customerCount,
      generated(customerCount, (i) => customerFactory.line(i), undefined, options.signal),
      log,
    );
    const customersSeconds = lap();

    const rewardFile = path.join(tempDir, 'rewards.tsv');
    rewardOut = createWriteStream(rewardFile, { encoding: 'utf8' });
    let rewardBuffer = '';
    const onReward = (line: string) => {
      rewardBuffer += line;
    };
    const flushRewards = async () => {
      if (rewardBuffer.length < CHUNK_CHARS || !rewardOut) return;
      const ok = rewardOut.write(rewardBuffer);
      rewardBuffer = '';
      if (!ok) await once(rewardOut, 'drain');
    };
    committed.push({ table: 'referrals', ids: referralIds });
    await copyPhase(
      workers,
      'referrals',
      REFERRAL_COLUMNS,
      referralCount,
      generated(referralCount, (i) => referralFactory.line(i, onReward), flushRewards, options.signal),
      log,
    );
    rewardOut.end(rewardBuffer);
    await once(rewardOut, 'close');
    const referralsSeconds = lap();

    const rewardCount = referralFactory.paid;
    const rewardIds = await reserveIds(control, 'rewards', rewardCount);
    const vouchers = await takenCodes(
      control,
      voucherCodes,
      rewardIds.first,
      rewardIds.last,
      `SELECT substr(voucher_code, ${VOUCHER_PREFIX.length + 1}) FROM rewards WHERE voucher_code LIKE '${VOUCHER_PREFIX}%'`,
    );
    const rewardPrefix = (i: number) => `${rewardIds.first + i}\t${VOUCHER_PREFIX}${vouchers.codeFor(rewardIds.first + i)}\t`;
    committed.push({ table: 'rewards', ids: rewardIds });
    await copyPhase(
      workers,
      'rewards',
      REWARD_COLUMNS,
      rewardCount,
      prefixedLines(rewardFile, rewardCount, rewardPrefix, options.signal),
      log,
    );
    committed.length = 0; // all in: from here on nothing is taken back
    const rewardsSeconds = lap();

    for (const table of ['customers', 'referrals', 'rewards']) await settleSequence(control, table);
    log(`seed:large: ${options.vacuum ? 'vacuuming and analysing' : 'analysing'}`);
    await control.query(`${options.vacuum ? 'VACUUM (ANALYZE)' : 'ANALYZE'} customers, referrals, rewards, ${ROLLUPS.join(', ')}`);
    const finishSeconds = lap();

    const total = (performance.now() - started) / 1000;
    const rows = customerCount + referralCount + rewardCount;
    const result: SeedResult = {
      customers: { ...customerIds, count: customerCount },
      referrals: { ...referralIds, count: referralCount, byStatus: { ...referralFactory.statusCounts }, flagged: referralFactory.flagged },
      rewards: { ...rewardIds, count: rewardCount },
      seconds: {
        migrate: migrateSeconds,
        prepare: prepareSeconds,
        customers: customersSeconds,
        referrals: referralsSeconds,
        rewards: rewardsSeconds,
        finish: finishSeconds,
        total,
      },
      rowsPerSecond: Math.round(rows / total),
    };
    log(summary(result));
    return result;
  } catch (error) {
    // Take back what was committed, newest first: the database is as it was (bar the sequences).
    for (const { table, ids } of committed.reverse()) {
      await control
        .query(`DELETE FROM ${table} WHERE id BETWEEN $1 AND $2`, [ids.first, ids.last])
        .catch((e) => log(`seed:large: could not remove the new ${table}: ${e.message}`));
    }
    throw error;
  } finally {
    rewardOut?.destroy();
    await Promise.all([control, ...workers].map((c) => c.end().catch(() => undefined)));
    await rm(tempDir, { recursive: true, force: true });
  }
}

async function connect(url: string, worker = false): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'bebsy-seed-large' });
  await client.connect();
  if (worker) {
    // Commits are few and the data can be generated again: no need to wait for the WAL flush.
    await client.query('SET synchronous_commit = off');
    // Index pages touched at random get a full-page image in the WAL after each checkpoint;
    // compressing those shrinks the WAL. A superuser setting: skipped when not allowed.
    await client
      .query('SET wal_compression = lz4')
      .catch(() => client.query('SET wal_compression = on'))
      .catch(() => undefined);
  }
  return client;
}

interface IdRange {
  first: number;
  last: number;
}

/**
 * Moves the table's id sequence past max(id) and its current value by `count`, in one
 * statement; the ids in between are ours.
 */
async function reserveIds(client: pg.Client, table: string, count: number): Promise<IdRange> {
  const sequence = await sequenceOf(client, table);
  const current = `GREATEST((SELECT coalesce(max(id), 0) FROM ${table}), (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM ${sequence}))`;
  if (count === 0) {
    const { rows } = await client.query<{ last: string }>(`SELECT ${current} AS last`);
    return { first: Number(rows[0].last) + 1, last: Number(rows[0].last) };
  }
  const { rows } = await client.query<{ last: string }>(`SELECT setval('${sequence}', ${current} + $1) AS last`, [count]);
  const last = Number(rows[0].last);
  return { first: last - count + 1, last };
}

/** After the COPY: the sequence stands at the highest id (never moved back). */
async function settleSequence(client: pg.Client, table: string): Promise<void> {
  const sequence = await sequenceOf(client, table);
  await client.query(
    `SELECT setval('${sequence}', GREATEST((SELECT max(id) FROM ${table}), (SELECT last_value FROM ${sequence})), true)
      WHERE EXISTS (SELECT 1 FROM ${table})`,
  );
}

async function sequenceOf(client: pg.Client, table: string): Promise<string> {
  const { rows } = await client.query<{ seq: string | null }>(`SELECT pg_get_serial_sequence($1, 'id') AS seq`, [table]);
  if (!rows[0]?.seq) throw new Error(`${table}.id has no sequence`);
  return rows[0].seq;
}

/** Values of existing customers that the new ids would otherwise produce again. */
async function takenCustomerValues(client: pg.Client, first: number, last: number): Promise<TakenCustomerValues> {
  const taken = noTakenCustomerValues(first, last);
  if (last < first) return taken;
  await scan(client, 'SELECT referral_code, bebsy_customer_id, email FROM customers', (fields) => {
    taken.codes.taken(fields[0]);
    const bebsy = /^BEB-0*(\d+)(-1)?$/.exec(fields[1]);
    if (bebsy && inRange(Number(bebsy[1]), first, last)) taken.bebsyIds.add(fields[1]);
    const email = fields[2].toLowerCase();
    if (inRange(customerEmailNumber(email), first, last)) taken.emails.add(email);
  });
  return taken;
}

async function takenCodes(client: pg.Client, scrambler: CodeScrambler, first: number, last: number, sql: string): Promise<CodeClashes> {
  const clashes = new CodeClashes(scrambler, first, last);
  if (last >= first) await scan(client, sql, (fields) => clashes.taken(fields[0]));
  return clashes;
}

const inRange = (n: number, first: number, last: number) => n >= first && n <= last;

/** Streams a query's rows (COPY TO, text format) to `onRow`. */
async function scan(client: pg.Client, sql: string, onRow: (fields: string[]) => void): Promise<void> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of client.query(copyTo(`COPY (${sql}) TO STDOUT`)) as AsyncIterable<Buffer>) {
    const lines = (rest + decoder.write(chunk)).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) onRow(line.split('\t'));
  }
  if (rest) onRow(rest.split('\t'));
}

/** Chunks of COPY text: `[text, rows so far]`. */
type Chunks = AsyncGenerator<[string, number]>;

/** `count` generated lines in chunks; `afterChunk` runs between chunks (e.g. to flush a side file). */
async function* generated(count: number, line: (index: number) => string, afterChunk?: () => Promise<void>, signal?: AbortSignal): Chunks {
  let buffer = '';
  for (let i = 0; i < count; i++) {
    buffer += line(i);
    if (buffer.length >= CHUNK_CHARS) {
      signal?.throwIfAborted();
      yield [buffer, i + 1];
      buffer = '';
      if (afterChunk) await afterChunk();
    }
  }
  if (buffer) yield [buffer, count];
  if (afterChunk) await afterChunk();
}

/** The lines of a file in chunks, each line with a generated prefix (id, voucher). */
async function* prefixedLines(file: string, count: number, prefix: (index: number) => string, signal?: AbortSignal): Chunks {
  let index = 0;
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: CHUNK_CHARS })) {
    const lines = (rest + (chunk as string)).split('\n');
    rest = lines.pop() ?? '';
    let out = '';
    for (const l of lines) out += `${prefix(index++)}${l}\n`;
    signal?.throwIfAborted();
    if (out) yield [out, index];
  }
  if (rest) throw new Error(`${file}: last line incomplete`);
  if (index !== count) throw new Error(`${file}: ${index} lines, expected ${count}`);
}

/**
 * COPY the chunks into `table` over all workers at once, each in its own transaction: chunk k
 * goes to worker k mod n, so every worker appends rows of the same period and the table's
 * physical order still follows the ids (and the time). Postgres spends this load in index
 * maintenance on one core per COPY; more streams use more cores. Each worker commits as soon as
 * its COPY is through: the analytics triggers (migration 007) make a COPY's end wait for the
 * rollup rows another one updated, so holding every commit to the end would stall. On a failure
 * the workers not yet committed roll back; the caller deletes the phase's committed rows by id.
 */
async function copyPhase(
  workers: pg.Client[],
  table: string,
  columns: readonly string[],
  count: number,
  chunks: Chunks,
  log: (line: string) => void,
): Promise<void> {
  if (count === 0) return;
  const progress = progressReporter(table, count, log);
  for (const w of workers) await w.query('BEGIN');
  const streams = workers.map((w) => w.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)));
  let fail!: (error: Error) => void;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => undefined);
  for (const s of streams) s.on('error', (error) => fail(error));
  try {
    let next = 0;
    for await (const [text, rows] of chunks) {
      const stream = streams[next];
      next = (next + 1) % streams.length;
      if (!stream.write(text)) await Promise.race([once(stream, 'drain'), failed]);
      progress(rows);
    }
    for (const s of streams) s.end();
    await Promise.race([Promise.all(streams.map((s, i) => finished(s).then(() => workers[i].query('COMMIT')))), failed]);
  } catch (error) {
    for (const s of streams) if (!s.writableFinished && !s.destroyed) s.destroy();
    await Promise.all(streams.map((s) => finished(s).catch(() => undefined)));
    for (const w of workers) await w.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  progress(count, true);
}

function progressReporter(table: string, total: number, log: (line: string) => void) {
  const started = performance.now();
  let lastReport = started;
  return (done: number, final = false) => {
    const now = performance.now();
    if (!final && now - lastReport < PROGRESS_EVERY_MS) return;
    lastReport = now;
    const seconds = (now - started) / 1000;
    const rate = Math.round(done / Math.max(seconds, 0.001));
    log(
      `  ${table.padEnd(9)} ${fmt(done).padStart(11)} / ${fmt(total)}  ${String(Math.round((done / total) * 100)).padStart(3)}%  ${fmt(rate)} rows/s${final ? `  (${seconds.toFixed(1)} s)` : ''}`,
    );
  };
}

function lapTimer(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const seconds = (now - last) / 1000;
    last = now;
    return seconds;
  };
}

function summary(r: SeedResult): string {
  const s = r.seconds;
  const statuses =
    Object.entries(r.referrals.byStatus)
      .sort((a, b) => b[1] - a[1])
      .map(([status, n]) => `${status} ${fmt(n)}`)
      .join(', ') || 'none';
  return [
    `seed:large: done in ${s.total.toFixed(1)} s — ${fmt(r.rowsPerSecond)} rows/s`,
    `  customers ${fmt(r.customers.count)} (${s.customers.toFixed(1)} s), referrals ${fmt(r.referrals.count)} (${s.referrals.toFixed(1)} s), rewards ${fmt(r.rewards.count)} (${s.rewards.toFixed(1)} s)`,
    `  migrate ${s.migrate.toFixed(1)} s, prepare ${s.prepare.toFixed(1)} s, commit + sequences + analyse ${s.finish.toFixed(1)} s`,
    `  referrals by status: ${statuses}; flagged ${fmt(r.referrals.flagged)}`,
  ].join('\n');
}

const fmt = (n: number) => n.toLocaleString('en-US');
const range = (r: IdRange) => (r.last >= r.first ? `${r.first}–${r.last}` : 'none');
