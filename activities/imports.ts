import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { unlink } from 'node:fs/promises';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import iconv from 'iconv-lite';
import {
  validateRecord,
  CsvRecordReader,
  FileDuplicates,
  IMPORT_FILE_ERROR,
  UnclosedQuoteError,
  type ColumnMap,
  type CsvEncoding,
  type CsvRecord,
  type ImportFailure,
} from '../domain/csv-import/index.js';
import { inspectCsvFile } from '../domain/csv-import/file.js';
import type { Db } from '../db/knex.js';
import { getImport, updateImport, type ImportRow } from '../db/repositories/imports.js';
import {
  applyStagedImport,
  endImport,
  ImportStaging,
  type ImportCounts,
  type ImportOutcome,
  type StagingBatch,
} from '../db/repositories/import-staging.js';

export type { ImportCounts, ImportOutcome };

/** Rows per staging transaction: the unit a resumed import skips instead of staging again. */
const STAGING_BATCH_ROWS = 50_000;
const HEARTBEAT_EVERY_MS = 1_000;
/** About the bytes of a customer row (number, name, email, language, a city); sizes the duplicate tables. */
const BYTES_PER_ROW_GUESS = 48;

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

function throwIfCancelled(): void {
  const signal = Context.current().cancellationSignal;
  if (signal.aborted) throw signal.reason instanceof CancelledFailure ? signal.reason : new CancelledFailure('import cancelled');
}

/** The file's own problem: not retried, and its code and facts travel in the failure's details to the import row. */
function fileFailure(message: string, failure: ImportFailure): ApplicationFailure {
  return ApplicationFailure.create({ type: IMPORT_FILE_ERROR, message, nonRetryable: true, details: [failure] });
}

async function loadImport(db: Db, importId: string): Promise<ImportRow> {
  const row = await getImport(db, importId);
  if (!row) throw ApplicationFailure.nonRetryable(`import ${importId} does not exist`, IMPORT_FILE_ERROR);
  return row;
}

/**
 * The customer import's side effects (workflows/customer-import.ts), around the SQL of
 * db/repositories/import-staging.ts. Each is safe to run again: staging resumes after the last
 * committed batch, applying happens in one transaction that also marks the import completed,
 * and finishing is a plain overwrite.
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
        throw fileFailure('The uploaded file is no longer in storage', { code: 'file_missing' });
      throw error;
    }
    const { encoding, header } = inspected;
    if (!header.result.ok) {
      const { message, missing, found } = header.result;
      throw fileFailure(message, { code: 'unrecognised_header', missing_columns: missing, columns_found: found });
    }
    const columns: ColumnMap = header.result.columns;

    return ImportStaging.use(db, importId, async (staging) => {
      const count = await staging.open();
      let resumeAfter = job.rows_processed;
      let staged = job.rows_staged;
      let rejected = job.rejected;
      if (count !== staged || resumeAfter === 0) {
        // a fresh start, or staging lost (an unlogged table after a Postgres crash): stage everything again
        await staging.restart();
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
      let batch: StagingBatch | null = null;
      let lastBeat = 0;
      const commitBatch = async () => {
        if (!batch) return;
        staged += batch.staged;
        rejected += batch.rejected;
        await batch.commit(() => ({ rowsProcessed: processed, rowsStaged: staged, rejected, bytesProcessed: bytesRead }));
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
            batch ??= await staging.beginBatch();
            // a possible duplicate is staged with the line it may repeat; applying decides (FileDuplicates)
            if (result.ok) {
              if (batch.stage(line, result.row, duplicateOf)) await batch.drained();
            } else batch.reject(line, result.reason, result.raw);
            if (processed % STAGING_BATCH_ROWS === 0) await commitBatch();
          }
        }
        await commitBatch();
        await updateImport(db, importId, { bytes_processed: String(job.file_bytes), phase: 'validating' });
        return { rowsStaged: staged };
      } catch (error) {
        file.destroy();
        if (batch) await batch.abort();
        if (error instanceof UnclosedQuoteError)
          throw fileFailure(`The file is not readable as CSV near line ${error.line}: ${error.message}`, {
            code: 'unreadable_csv',
            line: error.line,
          });
        throw error;
      }
    });
  }

  /**
   * Phase 2: applyStagedImport() in one transaction that also marks the import completed, with
   * heartbeats while it runs; a cancel cancels the running statement and rolls back, leaving
   * customers untouched. Then the upload goes.
   */
  async function applyImport({ importId }: { importId: string }): Promise<ImportCounts> {
    const ctx = Context.current();
    const job = await loadImport(db, importId);
    if (job.status === 'completed') {
      // a retry after the commit: only the upload may be left
      await removeFile(job.file_path);
      return { inserted: job.inserted, updated: job.updated, unchanged: job.unchanged, rejected: job.rejected };
    }
    const result = await applyStagedImport(db, importId, {
      checkpoint: throwIfCancelled,
      running: (cancelStatement) => {
        const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
        // Only heartbeating activities hear of a cancel; the running statement is then cancelled.
        ctx.cancellationSignal.addEventListener('abort', cancelStatement);
        return () => {
          clearInterval(beat);
          ctx.cancellationSignal.removeEventListener('abort', cancelStatement);
        };
      },
    });
    await removeFile(job.file_path);
    return result;
  }

  /** Ends a failed or cancelled import: the outcome on the row, staging and upload removed. */
  async function finishImport({ importId, outcome }: { importId: string; outcome: ImportOutcome }): Promise<void> {
    const job = await loadImport(db, importId);
    await endImport(db, importId, outcome);
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
