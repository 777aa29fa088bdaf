import type { Db } from '../knex.js';

/** Rows per table of the `public` schema (and every other schema of ours), as `schema.table` → count. */
export type TableCounts = Record<string, number>;

export type BackupStatus = 'running' | 'uploaded' | 'verified' | 'failed' | 'drill_failed' | 'pruned';

export interface BackupRow {
  id: string;
  name: string;
  workflow_id: string | null;
  status: BackupStatus;
  store: 's3' | 'local' | null;
  location: string | null;
  size_bytes: string | null;
  sha256: string | null;
  server_version: string | null;
  table_counts: TableCounts | null;
  error: string | null;
  drill_status: 'passed' | 'failed' | null;
  drill_error: string | null;
  drill_seconds: string | null;
  drilled_at: Date | null;
  started_at: Date;
  finished_at: Date | null;
  pruned_at: Date | null;
}

const SYSTEM_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast'];

/** The tables a dump holds: every ordinary table outside the system schemas, as `schema.table`. */
export async function userTables(db: Db): Promise<string[]> {
  const { rows } = await db.raw<{ rows: Array<{ name: string }> }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname <> ALL (?) AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast%'
      ORDER BY 1`,
    [SYSTEM_SCHEMAS],
  );
  return rows.map((r) => r.name);
}

/** Exact row counts of every user table, read in the caller's transaction (its snapshot). */
export async function countRows(db: Db): Promise<TableCounts> {
  const tables = await userTables(db);
  const counts: TableCounts = {};
  for (const table of tables) {
    // the names come from the catalogue, quoted by quote_ident
    const { rows } = await db.raw<{ rows: Array<{ n: string }> }>(`SELECT count(*) AS n FROM ${table}`);
    counts[table] = Number(rows[0].n);
  }
  return counts;
}

/**
 * Opens a REPEATABLE READ snapshot and exports it (pg_export_snapshot) so pg_dump --snapshot sees
 * exactly what was counted. The snapshot lives while `work` runs; the transaction is then ended.
 */
export async function withExportedSnapshot<T>(
  db: Db,
  work: (snapshot: { id: string; counts: TableCounts; serverVersion: string; database: string }) => Promise<T>,
): Promise<T> {
  return db.transaction(
    async (trx) => {
      const { rows } = await trx.raw<{ rows: Array<{ id: string; version: string; database: string }> }>(
        `SELECT pg_export_snapshot() AS id, current_setting('server_version_num') AS version, current_database() AS database`,
      );
      const counts = await countRows(trx);
      return work({ id: rows[0].id, counts, serverVersion: rows[0].version, database: rows[0].database });
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}

/** The server's version number (`server_version_num`, e.g. 150008) and the current database. */
export async function serverFacts(db: Db): Promise<{ versionNum: number; database: string }> {
  const { rows } = await db.raw<{ rows: Array<{ v: string; d: string }> }>(
    `SELECT current_setting('server_version_num') AS v, current_database() AS d`,
  );
  return { versionNum: Number(rows[0].v), database: rows[0].d };
}

export async function databaseExists(db: Db, name: string): Promise<boolean> {
  const { rows } = await db.raw<{ rows: unknown[] }>('SELECT 1 FROM pg_database WHERE datname = ?', [name]);
  return rows.length > 0;
}

/** CREATE DATABASE (the name quoted as an identifier). */
export async function createDatabase(db: Db, name: string): Promise<void> {
  await db.raw('CREATE DATABASE ??', [name]);
}

/** DROP DATABASE IF EXISTS … WITH (FORCE): a scratch database goes even with a connection left open. */
export async function dropDatabase(db: Db, name: string): Promise<void> {
  await db.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
}

/** Starts the row of a backup; a retried attempt finds the same row and starts it over. */
export async function startBackup(db: Db, name: string, workflowId: string | null): Promise<void> {
  await db.raw(
    `INSERT INTO database_backups (name, workflow_id) VALUES (?, ?)
     ON CONFLICT (name) DO UPDATE SET status = 'running', error = NULL, started_at = now(), finished_at = NULL`,
    [name, workflowId],
  );
}

export async function recordBackupUploaded(
  db: Db,
  name: string,
  facts: { store: 's3' | 'local'; location: string; sizeBytes: number; sha256: string; serverVersion: string; tableCounts: TableCounts },
): Promise<void> {
  await db('database_backups')
    .where({ name })
    .update({
      status: 'uploaded',
      store: facts.store,
      location: facts.location,
      size_bytes: facts.sizeBytes,
      sha256: facts.sha256,
      server_version: facts.serverVersion,
      table_counts: JSON.stringify(facts.tableCounts),
      error: null,
      finished_at: db.fn.now(),
    });
}

export async function recordBackupFailed(db: Db, name: string, error: string): Promise<void> {
  await db('database_backups').where({ name }).update({ status: 'failed', error, finished_at: db.fn.now() });
}

export async function recordDrill(db: Db, name: string, drill: { passed: boolean; error: string | null; seconds: number }): Promise<void> {
  await db('database_backups')
    .where({ name })
    .update({
      status: drill.passed ? 'verified' : 'drill_failed',
      drill_status: drill.passed ? 'passed' : 'failed',
      drill_error: drill.error,
      drill_seconds: drill.seconds,
      drilled_at: db.fn.now(),
    });
}

export async function markBackupsPruned(db: Db, names: string[]): Promise<void> {
  if (names.length === 0) return;
  await db('database_backups').whereIn('name', names).update({ status: 'pruned', pruned_at: db.fn.now() });
}

export async function findBackup(db: Db, name: string): Promise<BackupRow | undefined> {
  return db('database_backups').where({ name }).first<BackupRow | undefined>();
}

/** The newest backups first. */
export async function listBackups(db: Db, limit = 100): Promise<BackupRow[]> {
  return db('database_backups')
    .orderBy([
      { column: 'started_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(limit)
    .select<BackupRow[]>('*');
}
