import { randomInt } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { unlink } from 'node:fs/promises';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import iconv from 'iconv-lite';
import type pg from 'pg';
import {
  validateRecord,
  CsvRecordReader,
  FileDuplicates,
  IMPORT_FILE_ERROR,
  UnclosedQuoteError,
  type ColumnMap,
  type CsvEncoding,
  type CsvRecord,
} from '../domain/csv-import/index.js';
import { inspectCsvFile } from '../domain/csv-import/file.js';
import { generateReferralCode } from '../domain/referral-code.js';
import { CopyWriter, copyLine } from '../db/copy-writer.js';
import type { Db } from '../db/knex.js';
import { getImport, stagingTable, updateImport, type ImportRow } from '../db/repositories/imports.js';

/** Rows per staging transaction: the unit a resumed import skips instead of staging again. */
const STAGING_BATCH_ROWS = 50_000;
const HEARTBEAT_EVERY_MS = 1_000;
/** About the bytes of a customer row (number, name, email, language, a city); sizes the duplicate tables. */
const BYTES_PER_ROW_GUESS = 48;

export interface ImportCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

export type ImportOutcome = { status: 'failed'; error: string } | { status: 'cancelled' };

/**
 * The file's records, a chunk's worth at a time (no promise per record): UTF-8 as it is (without
 * its byte-order mark), Windows-1252 transcoded to UTF-8 first.
 */
async function* readRecords(file: Readable, encoding: CsvEncoding, delimiter: string, columns: number[]): AsyncGenerator<CsvRecord[]> {
  const reader = new CsvRecordReader(delimiter.charCodeAt(0), columns);
  const source: AsyncIterable<Buffer | string> = encoding === 'utf-8' ? file : file.pipe(iconv.decodeStream(encoding));
  let first = true;
  for await (const chunk of source) {
    let bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (first && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    first = false;
    yield reader.push(bytes);
  }
  yield reader.end();
}

async function withClient<T>(db: Db, fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  const client = (await db.client.acquireConnection()) as pg.ClientBase;
  try {
    return await fn(client);
  } finally {
    await db.client.releaseConnection(client);
  }
}

async function rollbackQuietly(client: pg.ClientBase): Promise<void> {
  await client.query('ROLLBACK').catch(() => undefined);
}

function throwIfCancelled(): void {
  const signal = Context.current().cancellationSignal;
  if (signal.aborted) throw signal.reason instanceof CancelledFailure ? signal.reason : new CancelledFailure('import cancelled');
}

async function loadImport(db: Db, importId: string): Promise<ImportRow> {
  const row = await getImport(db, importId);
  if (!row) throw ApplicationFailure.nonRetryable(`import ${importId} does not exist`, IMPORT_FILE_ERROR);
  return row;
}

/**
 * The customer import's side effects (workflows/customer-import.ts). Each is safe to run again:
 * staging resumes after the last committed batch, applying happens in one transaction that also
 * marks the import completed, and finishing is a plain overwrite.
 */
export function createImportActivities(db: Db) {
  /**
   * Phase 1: streams the file (CsvRecordReader; Windows-1252 transcoded) through the row checks
   * and FileDuplicates into the import's staging table in batches of STAGING_BATCH_ROWS, each one
   * transaction with its rows' rejections and the progress. A retry (worker restart) skips the
   * rows the committed batches hold.
   */
  async function stageImportFile({ importId }: { importId: string }): Promise<{ rowsStaged: number }> {
    const ctx = Context.current();
    const job = await loadImport(db, importId);
    if (job.phase !== 'queued' && job.phase !== 'staging') return { rowsStaged: job.rows_staged };
    let inspected;
    try {
      inspected = await inspectCsvFile(job.file_path, job.encoding ?? undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw ApplicationFailure.nonRetryable('The uploaded file is no longer in storage', IMPORT_FILE_ERROR);
      throw error;
    }
    const { encoding, header } = inspected;
    if (!header.result.ok) throw ApplicationFailure.nonRetryable(header.result.message, IMPORT_FILE_ERROR);
    const columns: ColumnMap = header.result.columns;
    const table = stagingTable(importId);

    return withClient(db, async (client) => {
      await client.query(
        `CREATE UNLOGGED TABLE IF NOT EXISTS ${table} (line integer NOT NULL, bebsy_customer_id text NOT NULL, name text NOT NULL, email text NOT NULL, locale text, duplicate_of integer)`,
      );
      let resumeAfter = job.rows_processed;
      let staged = job.rows_staged;
      let rejected = job.rejected;
      const {
        rows: [{ count }],
      } = await client.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${table}`);
      if (count !== staged || resumeAfter === 0) {
        // a fresh start, or staging lost (an unlogged table after a Postgres crash): stage everything again
        await client.query(`TRUNCATE ${table}`);
        await client.query('DELETE FROM customer_import_errors WHERE import_id = $1', [importId]);
        resumeAfter = 0;
        staged = 0;
        rejected = 0;
      }
      await updateImport(db, importId, {
        status: 'running',
        phase: 'staging',
        encoding,
        delimiter: header.delimiter,
        rows_processed: resumeAfter,
        rows_staged: staged,
        rejected,
        ...(job.started_at ? {} : { started_at: new Date() }),
      });

      let bytesRead = 0;
      const file = createReadStream(job.file_path, { highWaterMark: 1 << 20 });
      file.on('data', (chunk) => (bytesRead += chunk.length));
      // the reader answers just these cells, in IMPORT_FIELDS order (validateRecord's)
      const wanted = [columns.bebsy_customer_id, columns.name, columns.email, ...(columns.locale !== undefined ? [columns.locale] : [])];

      const duplicates = new FileDuplicates(Number(job.file_bytes) / BYTES_PER_ROW_GUESS);
      let processed = 0;
      let batch: { rows: CopyWriter; rejected: string[]; staged: number } | null = null;
      let lastBeat = 0;
      const commitBatch = async () => {
        if (!batch) return;
        await batch.rows.end();
        if (batch.rejected.length) {
          const errors = new CopyWriter(
            client,
            'COPY customer_import_errors (import_id, line, reason, bebsy_customer_id, name, email) FROM STDIN',
          );
          for (const rejection of batch.rejected) if (errors.write(rejection)) await errors.drained();
          await errors.end();
        }
        staged += batch.staged;
        rejected += batch.rejected.length;
        await client.query(
          'UPDATE customer_imports SET rows_processed = $2, rows_staged = $3, rejected = $4, bytes_processed = $5, updated_at = now() WHERE id = $1',
          [importId, processed, staged, rejected, bytesRead],
        );
        await client.query('COMMIT');
        batch = null;
        ctx.heartbeat({ rowsProcessed: processed });
      };

      try {
        for await (const records of readRecords(file, encoding, header.delimiter, wanted)) {
          for (const { line, cells, blank } of records) {
            if (line === 1) continue; // the header record
            processed++;
            if (processed % 1000 === 0) {
              throwIfCancelled();
              if (Date.now() - lastBeat > HEARTBEAT_EVERY_MS) {
                lastBeat = Date.now();
                ctx.heartbeat({ rowsProcessed: processed });
              }
            }
            if (blank) continue;
            const result = validateRecord(cells);
            // Rows a resumed attempt skips still claim their number and email (duplicates stay duplicates).
            const duplicateOf = result.ok ? duplicates.claim(result.row, line) : null;
            if (processed <= resumeAfter) continue;
            if (!batch) {
              await client.query('BEGIN');
              batch = {
                rows: new CopyWriter(client, `COPY ${table} (line, bebsy_customer_id, name, email, locale, duplicate_of) FROM STDIN`),
                rejected: [],
                staged: 0,
              };
            }
            if (result.ok) {
              const { row } = result;
              // a possible duplicate is staged with the line it may repeat; applying decides (FileDuplicates)
              if (batch.rows.write(copyLine([line, row.bebsy_customer_id, row.name, row.email, row.locale, duplicateOf])))
                await batch.rows.drained();
              batch.staged++;
            } else {
              const { raw } = result;
              batch.rejected.push(copyLine([importId, line, result.reason, raw.bebsy_customer_id, raw.name, raw.email]));
            }
            if (processed % STAGING_BATCH_ROWS === 0) await commitBatch();
          }
        }
        await commitBatch();
        await updateImport(db, importId, { bytes_processed: String(job.file_bytes), phase: 'validating' });
        return { rowsStaged: staged };
      } catch (error) {
        file.destroy();
        if (batch) {
          await batch.rows.abort();
          await rollbackQuietly(client);
        }
        if (error instanceof UnclosedQuoteError)
          throw ApplicationFailure.nonRetryable(
            `The file is not readable as CSV near line ${error.line}: ${error.message}`,
            IMPORT_FILE_ERROR,
          );
        throw error;
      }
    });
  }

  /**
   * Phase 2: rejects the file's real duplicates and emails of other customers, then updates
   * changed customers and inserts new ones (with fresh referral codes), set-based, in one
   * transaction that also marks the import completed. A cancel or a crash before the commit
   * leaves customers untouched.
   */
  async function applyImport({ importId }: { importId: string }): Promise<ImportCounts> {
    const ctx = Context.current();
    const job = await loadImport(db, importId);
    if (job.status === 'completed') {
      // a retry after the commit: only the upload may be left
      await removeFile(job.file_path);
      return { inserted: job.inserted, updated: job.updated, unchanged: job.unchanged, rejected: job.rejected };
    }
    const table = stagingTable(importId);
    return withClient(db, async (client) => {
      const {
        rows: [{ pid }],
      } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      // Only heartbeating activities hear of a cancel; the running statement is then cancelled.
      const cancelQuery = () => void db.raw('SELECT pg_cancel_backend(?)', [pid]).catch(() => undefined);
      ctx.cancellationSignal.addEventListener('abort', cancelQuery);
      try {
        await client.query('BEGIN');
        await client.query("SET LOCAL work_mem = '256MB'");
        await client.query(`ANALYZE ${table}`);
        throwIfCancelled();
        await client.query(DUPLICATES_SQL(table), [importId]);
        // The planner cannot know that only a few rows of the staging change; told so, it
        // compares the file with the customers on both cores (0.6 s for 1M rows instead of 1.1 s).
        await client.query('SET LOCAL parallel_tuple_cost = 0');
        const { rowCount: changes } = await client.query(CHANGES_SQL(table));
        const {
          rows: [{ staged }],
        } = await client.query<{ staged: number }>(`SELECT count(*)::int AS staged FROM ${table}`);
        throwIfCancelled();
        await client.query(EMAIL_TAKEN_SQL, [importId]);
        const { rowCount: updated } = await client.query(UPDATE_CHANGED_SQL);
        throwIfCancelled();
        const { rowCount: fresh } = await client.query(NEW_CUSTOMERS_SQL);
        await stageReferralCodes(client, fresh ?? 0);
        const { rowCount: inserted } = await client.query(INSERT_NEW_SQL);
        const {
          rows: [{ rejected }],
        } = await client.query<{ rejected: number }>('SELECT count(*)::int AS rejected FROM customer_import_errors WHERE import_id = $1', [
          importId,
        ]);
        const result: ImportCounts = { inserted: inserted ?? 0, updated: updated ?? 0, unchanged: staged - (changes ?? 0), rejected };
        await client.query(
          "UPDATE customer_imports SET status = 'completed', phase = 'done', inserted = $2, updated = $3, unchanged = $4, rejected = $5, finished_at = now(), updated_at = now() WHERE id = $1",
          [importId, result.inserted, result.updated, result.unchanged, result.rejected],
        );
        await client.query(`DROP TABLE ${table}`);
        throwIfCancelled();
        await client.query('COMMIT');
        await removeFile(job.file_path);
        return result;
      } catch (error) {
        await rollbackQuietly(client);
        throwIfCancelled(); // a cancelled statement: the cancel, not its error
        throw error;
      } finally {
        clearInterval(beat);
        ctx.cancellationSignal.removeEventListener('abort', cancelQuery);
      }
    });
  }

  /** Ends a failed or cancelled import: the outcome on the row, staging and upload removed. */
  async function finishImport({ importId, outcome }: { importId: string; outcome: ImportOutcome }): Promise<void> {
    const job = await loadImport(db, importId);
    await db.transaction(async (trx) => {
      await trx.raw(`DROP TABLE IF EXISTS ${stagingTable(importId)}`);
      if (outcome.status === 'cancelled') await trx('customer_import_errors').where({ import_id: importId }).delete();
      await updateImport(trx, importId, {
        status: outcome.status,
        phase: 'done',
        error: outcome.status === 'failed' ? outcome.error : null,
        ...(outcome.status === 'cancelled' && { rejected: 0 }),
        finished_at: new Date(),
      });
    });
    await removeFile(job.file_path);
  }

  return { stageImportFile, applyImport, finishImport };
}

export type ImportActivities = ReturnType<typeof createImportActivities>;

async function removeFile(filePath: string): Promise<void> {
  await unlink(filePath).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

/**
 * `import_codes (ord, code)`: one fresh referral code (domain/referral-code.ts, crypto random) per
 * new customer, none taken by an existing customer.
 */
async function stageReferralCodes(client: pg.ClientBase, count: number): Promise<void> {
  await client.query('CREATE TEMP TABLE import_codes (ord integer PRIMARY KEY, code text NOT NULL UNIQUE) ON COMMIT DROP');
  const used = new Set<string>();
  const fresh = () => {
    for (;;) {
      const code = generateReferralCode(randomInt);
      if (!used.has(code)) return (used.add(code), code);
    }
  };
  let ords = Array.from({ length: count }, (_, i) => i + 1);
  while (ords.length) {
    const writer = new CopyWriter(client, 'COPY import_codes (ord, code) FROM STDIN');
    for (const ord of ords) if (writer.write(copyLine([ord, fresh()]))) await writer.drained();
    await writer.end();
    const { rows } = await client.query<{ ord: number }>(
      'DELETE FROM import_codes i USING customers c WHERE c.referral_code = i.code RETURNING i.ord',
    );
    ords = rows.map((r) => r.ord);
  }
}

/**
 * Rejects the staged rows that repeat an earlier accepted row's customer number or email: the
 * rows FileDuplicates staged as possible duplicates, compared with the row of the line they name
 * (a hash collision is no duplicate and stays).
 */
const DUPLICATES_SQL = (table: string) => `
  WITH duplicates AS (
    DELETE FROM ${table} d USING ${table} f
    WHERE d.duplicate_of IS NOT NULL AND f.line = d.duplicate_of
      AND (f.bebsy_customer_id = d.bebsy_customer_id OR f.email = d.email)
    RETURNING d.line, CASE WHEN f.bebsy_customer_id = d.bebsy_customer_id THEN 'duplicate_id' ELSE 'duplicate_email' END AS reason,
      d.bebsy_customer_id, d.name, d.email
  )
  INSERT INTO customer_import_errors (import_id, line, reason, bebsy_customer_id, name, email)
  SELECT $1, line, reason, bebsy_customer_id, name, email FROM duplicates`;

/**
 * `import_changes`: the staged rows that are not already so, each with the customer it names
 * (none: a new customer) and that customer's email now. One hash join of the file with the
 * customers over one snapshot; unchanged rows (most of a nightly export) are only counted.
 */
const CHANGES_SQL = (table: string) => `
  CREATE TEMP TABLE import_changes ON COMMIT DROP AS
  SELECT s.line, s.bebsy_customer_id, s.name, s.email, s.locale, c.id AS customer_id, c.email AS current_email
  FROM ${table} s
  LEFT JOIN customers c ON c.bebsy_customer_id = s.bebsy_customer_id
  WHERE c.id IS NULL OR (c.name, c.email, c.locale) IS DISTINCT FROM (s.name, s.email, coalesce(s.locale, c.locale))`;

/** Rejects the changes that would give a customer an email another customer has (checked by index). */
const EMAIL_TAKEN_SQL = `
  WITH taken AS (
    DELETE FROM import_changes k
    WHERE (k.customer_id IS NULL OR k.current_email <> k.email)
      AND EXISTS (SELECT 1 FROM customers o WHERE lower(o.email) = k.email AND o.bebsy_customer_id <> k.bebsy_customer_id)
    RETURNING k.line, k.bebsy_customer_id, k.name, k.email
  )
  INSERT INTO customer_import_errors (import_id, line, reason, bebsy_customer_id, name, email)
  SELECT $1, line, 'email_taken', bebsy_customer_id, name, email FROM taken`;

const UPDATE_CHANGED_SQL = `
  UPDATE customers c
  SET name = k.name, email = k.email, locale = coalesce(k.locale, c.locale), updated_at = now()
  FROM import_changes k
  WHERE k.customer_id = c.id`;

/** The new customers set aside, numbered in file order for their referral codes. */
const NEW_CUSTOMERS_SQL = `
  CREATE TEMP TABLE import_new_customers ON COMMIT DROP AS
  SELECT row_number() OVER (ORDER BY line)::int AS ord, bebsy_customer_id, name, email, locale
  FROM import_changes WHERE customer_id IS NULL`;

/** The new customers, each with its staged referral code. */
const INSERT_NEW_SQL = `
  INSERT INTO customers (bebsy_customer_id, name, email, locale, referral_code)
  SELECT n.bebsy_customer_id, n.name, n.email, coalesce(n.locale, 'nl'), codes.code
  FROM import_new_customers n JOIN import_codes codes USING (ord)
  ORDER BY n.ord`;
