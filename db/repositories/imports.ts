import type { Knex } from 'knex';
import type { CsvEncoding, ImportFailure, ImportPhase, ImportStatus, RejectionReason } from '../../domain/csv-import/index.js';
import type { Db } from '../knex.js';
import { guardFormula } from './exports.js';

/** One customer import as the API shows it (the read model the import workflow's activities write). */
export interface ImportRow {
  id: string;
  workflow_id: string;
  file_name: string;
  file_path: string;
  file_bytes: string;
  created_by: string;
  status: ImportStatus;
  phase: ImportPhase;
  encoding: CsvEncoding | null;
  delimiter: string | null;
  bytes_processed: string;
  rows_processed: number;
  rows_staged: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  error: string | null;
  /** Why it failed, for the admin's language (migration 013); null unless failed. */
  failure: ImportFailure | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

export interface ImportErrorRow {
  line: number;
  reason: string;
  bebsy_customer_id: string;
  name: string;
  email: string;
}

/** The per-import staging table (unlogged, in its own schema). */
export const stagingTable = (importId: string) => `customer_import_staging.import_${Number(importId)}`;

export async function createImport(
  db: Db,
  input: {
    fileName: string;
    filePath: string;
    fileBytes: number;
    encoding: CsvEncoding;
    delimiter: string;
    createdBy: string;
    workflowId: (id: string) => string;
  },
): Promise<ImportRow> {
  return db.transaction(async (trx) => {
    const [{ id }] = await trx.raw<{ rows: { id: string }[] }>("SELECT nextval('customer_imports_id_seq')::text AS id").then((r) => r.rows);
    const [row] = await trx('customer_imports')
      .insert({
        id,
        workflow_id: input.workflowId(id),
        file_name: input.fileName,
        file_path: input.filePath,
        file_bytes: input.fileBytes,
        encoding: input.encoding,
        delimiter: input.delimiter,
        created_by: input.createdBy,
      })
      .returning('*');
    return row;
  });
}

export async function getImport(db: Db | Knex.Transaction, id: string): Promise<ImportRow | undefined> {
  return db('customer_imports').where({ id }).first();
}

export async function listImports(db: Db, { page, limit }: { page: number; limit: number }): Promise<{ rows: ImportRow[]; total: number }> {
  const [rows, [{ count }]] = await Promise.all([
    db('customer_imports')
      .select('*')
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit)
      .offset((page - 1) * limit),
    db('customer_imports').count<{ count: string }[]>({ count: '*' }),
  ]);
  return { rows, total: Number(count) };
}

export async function updateImport(
  db: Db | Knex.Transaction,
  id: string,
  changes: Partial<Omit<ImportRow, 'id' | 'workflow_id'>>,
): Promise<void> {
  await db('customer_imports')
    .where({ id })
    .update({ ...changes, updated_at: db.fn.now() });
}

/** Marks an unfinished import as being cancelled; undefined when it is unknown or already finished. */
export async function requestCancel(db: Db, id: string): Promise<ImportRow | undefined> {
  const [row] = await db('customer_imports')
    .where({ id })
    .whereIn('status', ['queued', 'running', 'cancelling'])
    .update({ status: 'cancelling', updated_at: db.fn.now() })
    .returning('*');
  return row;
}

/** A rejected row as the import's page lists it: where, why (the table's check keeps it a known reason), and which customer number. */
export interface ImportRejection {
  line: number;
  reason: RejectionReason;
  bebsy_customer_id: string;
}

/** The first `limit` rejected rows of an import in file order (the primary key's order). */
export async function firstImportErrors(db: Db, importId: string, limit: number): Promise<ImportRejection[]> {
  return db('customer_import_errors')
    .select('line', 'reason', 'bebsy_customer_id')
    .where({ import_id: importId })
    .orderBy('line')
    .limit(limit);
}

/**
 * The rejected rows of an import in file order, streamed (a bad million-row file has a million).
 * The file's own values are guarded against formula injection like the exports: the report is
 * made for Excel.
 */
export function streamImportErrors(db: Db, importId: string): AsyncIterable<ImportErrorRow> {
  const guarded = (column: string) => db.raw(`${guardFormula(column)} AS ${column}`);
  return db('customer_import_errors')
    .select('line', 'reason', guarded('bebsy_customer_id'), guarded('name'), guarded('email'))
    .where({ import_id: importId })
    .orderBy('line')
    .stream();
}
