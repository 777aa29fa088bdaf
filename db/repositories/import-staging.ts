import { randomInt } from 'node:crypto';
import type pg from 'pg';
import type { ImportFailure, ImportRow as FileRow, RawRow, RejectionReason } from '../../domain/csv-import/index.js';
import { generateReferralCode } from '../../domain/referral-code.js';
import { CopyWriter, copyLine } from '../copy-writer.js';
import type { Db } from '../knex.js';
import { stagingTable, updateImport } from './imports.js';

/**
 * The SQL of the customer import workflow's activities (activities/imports.ts): the import's
 * staging table filled in committed batches, applied to the customers in one transaction, and
 * dropped when the import ends otherwise.
 */

export interface ImportCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

export type ImportOutcome = { status: 'failed'; error: string; failure?: ImportFailure } | { status: 'cancelled' };

/** How far staging got, recorded with each committed batch. */
export interface StagingProgress {
  rowsProcessed: number;
  rowsStaged: number;
  rejected: number;
  bytesProcessed: number;
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

/**
 * An import's staging table (`stagingTable()`, unlogged) on a connection of its own, which
 * runs one transaction per batch.
 */
export class ImportStaging {
  private readonly table: string;

  private constructor(
    private readonly client: pg.ClientBase,
    private readonly importId: string,
  ) {
    this.table = stagingTable(importId);
  }

  /** Runs `fn` with the import's staging; the connection goes back to the pool after. */
  static async use<T>(db: Db, importId: string, fn: (staging: ImportStaging) => Promise<T>): Promise<T> {
    return withClient(db, (client) => fn(new ImportStaging(client, importId)));
  }

  /** Creates the staging table when it is missing; answers how many rows it holds. */
  async open(): Promise<number> {
    await this.client.query(
      `CREATE UNLOGGED TABLE IF NOT EXISTS ${this.table} (line integer NOT NULL, bebsy_customer_id text NOT NULL, name text NOT NULL, email text NOT NULL, locale text, duplicate_of integer)`,
    );
    const {
      rows: [{ count }],
    } = await this.client.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${this.table}`);
    return count;
  }

  /** Empties the staging table and the import's rejections: staging starts again from the first row. */
  async restart(): Promise<void> {
    await this.client.query(`TRUNCATE ${this.table}`);
    await this.client.query('DELETE FROM customer_import_errors WHERE import_id = $1', [this.importId]);
  }

  /** Opens a batch: a transaction with a COPY into the staging table. */
  async beginBatch(): Promise<StagingBatch> {
    await this.client.query('BEGIN');
    return new StagingBatch(
      this.client,
      this.importId,
      new CopyWriter(this.client, `COPY ${this.table} (line, bebsy_customer_id, name, email, locale, duplicate_of) FROM STDIN`),
    );
  }
}

/** One staging transaction: its rows (COPY), its rejections (COPY at the end) and the progress, committed together. */
export class StagingBatch {
  /** Rows staged in this batch. */
  staged = 0;
  private readonly rejections: string[] = [];

  constructor(
    private readonly client: pg.ClientBase,
    private readonly importId: string,
    private readonly rows: CopyWriter,
  ) {}

  /** Rows rejected in this batch. */
  get rejected(): number {
    return this.rejections.length;
  }

  /**
   * Stages a checked row, with the line it may repeat (FileDuplicates; applying decides); true
   * when the COPY wants a `drained()` before more.
   */
  stage(line: number, row: FileRow, duplicateOf: number | null): boolean {
    const full = this.rows.write(copyLine([line, row.bebsy_customer_id, row.name, row.email, row.locale, duplicateOf]));
    this.staged++;
    return full;
  }

  drained(): Promise<void> {
    return this.rows.drained();
  }

  /** Keeps a rejected row for the error report; written when the batch commits. */
  reject(line: number, reason: RejectionReason, raw: RawRow): void {
    this.rejections.push(copyLine([this.importId, line, reason, raw.bebsy_customer_id, raw.name, raw.email]));
  }

  /**
   * Ends the rows' COPY, copies the rejections, records the progress (read once the copies
   * are done) and commits.
   */
  async commit(progress: () => StagingProgress): Promise<void> {
    await this.rows.end();
    if (this.rejections.length) {
      const errors = new CopyWriter(
        this.client,
        'COPY customer_import_errors (import_id, line, reason, bebsy_customer_id, name, email) FROM STDIN',
      );
      for (const rejection of this.rejections) if (errors.write(rejection)) await errors.drained();
      await errors.end();
    }
    const { rowsProcessed, rowsStaged, rejected, bytesProcessed } = progress();
    await this.client.query(
      'UPDATE customer_imports SET rows_processed = $2, rows_staged = $3, rejected = $4, bytes_processed = $5, updated_at = now() WHERE id = $1',
      [this.importId, rowsProcessed, rowsStaged, rejected, bytesProcessed],
    );
    await this.client.query('COMMIT');
  }

  /** Abandons the COPY and rolls the batch back. */
  async abort(): Promise<void> {
    await this.rows.abort();
    await rollbackQuietly(this.client);
  }
}

/** What the import's apply transaction asks of its caller (the activity: heartbeats and cancellation). */
export interface ApplyControl {
  /** Runs between the steps and after a failure: throwing stops the import, and the transaction is rolled back. */
  checkpoint(): void;
  /** Called before the transaction starts with a way to cancel its running statement; answers what ends this once it is over. */
  running(cancelStatement: () => void): () => void;
}

/**
 * Rejects the file's real duplicates and emails of other customers, then updates changed
 * customers and inserts new ones (with fresh referral codes), set-based, in one transaction
 * that also marks the import completed and drops its staging table. A stop or a crash before
 * the commit leaves customers untouched.
 */
export async function applyStagedImport(db: Db, importId: string, control: ApplyControl): Promise<ImportCounts> {
  const table = stagingTable(importId);
  return withClient(db, async (client) => {
    const {
      rows: [{ pid }],
    } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const stop = control.running(() => void db.raw('SELECT pg_cancel_backend(?)', [pid]).catch(() => undefined));
    try {
      await client.query('BEGIN');
      await client.query("SET LOCAL work_mem = '256MB'");
      await client.query(`ANALYZE ${table}`);
      control.checkpoint();
      await client.query(DUPLICATES_SQL(table), [importId]);
      // The planner cannot know that only a few rows of the staging change; told so, it
      // compares the file with the customers on both cores (0.6 s for 1M rows instead of 1.1 s).
      await client.query('SET LOCAL parallel_tuple_cost = 0');
      const { rowCount: changes } = await client.query(CHANGES_SQL(table));
      const {
        rows: [{ staged }],
      } = await client.query<{ staged: number }>(`SELECT count(*)::int AS staged FROM ${table}`);
      control.checkpoint();
      await client.query(EMAIL_TAKEN_SQL, [importId]);
      const { rowCount: updated } = await client.query(UPDATE_CHANGED_SQL);
      control.checkpoint();
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
      control.checkpoint();
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await rollbackQuietly(client);
      control.checkpoint(); // a cancelled statement: the stop, not its error
      throw error;
    } finally {
      stop();
    }
  });
}

/** Ends a failed or cancelled import: its staging dropped, and the outcome on the row (a cancel also drops its rejections). */
export async function endImport(db: Db, importId: string, outcome: ImportOutcome): Promise<void> {
  await db.transaction(async (trx) => {
    await trx.raw(`DROP TABLE IF EXISTS ${stagingTable(importId)}`);
    if (outcome.status === 'cancelled') await trx('customer_import_errors').where({ import_id: importId }).delete();
    await updateImport(trx, importId, {
      status: outcome.status,
      phase: 'done',
      error: outcome.status === 'failed' ? outcome.error : null,
      failure: outcome.status === 'failed' ? (outcome.failure ?? { code: 'internal' }) : null,
      ...(outcome.status === 'cancelled' && { rejected: 0 }),
      finished_at: new Date(),
    });
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
