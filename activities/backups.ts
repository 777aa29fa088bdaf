import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { BackupConfig } from '../config/env.js';
import { createDb, type Db } from '../db/knex.js';
import * as repo from '../db/repositories/backups.js';
import { backupNameTime, backupStore, type BackupStore } from './backups-store.js';

/** The failure type of a pg_dump / pg_restore that is missing or of another major version than the server. */
export const PG_TOOL_MISMATCH = 'PgToolMismatch';
/** The failure type of a restore the caller must confirm (the live database, or one holding tables). */
export const RESTORE_REFUSED = 'RestoreRefused';

export interface BackupDependencies {
  db: Db;
  /** The live database's URL: what is dumped, and the server restores go to. */
  databaseUrl: string;
  ssl?: boolean;
  config: Pick<BackupConfig, 's3' | 'dir' | 'pgBinDir' | 'retentionDays'>;
  /** Tests: a smaller multipart part (S3's minimum is 5 MiB). */
  partSize?: number;
}

export interface BackupResult {
  name: string;
  store: 's3' | 'local';
  location: string;
  sizeBytes: number;
  sha256: string;
  tableCounts: repo.TableCounts;
}

export interface DrillResult {
  name: string;
  passed: boolean;
  seconds: number;
  /** Tables whose row count in the restored copy differs from the dump's: table → [dumped, restored]. */
  mismatches: Record<string, [number, number]>;
}

const withDatabase = (url: string, database: string) => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

/** Finds pg_dump / pg_restore of the server's major version, or says in one sentence what to install. */
export async function pgTool(tool: 'pg_dump' | 'pg_restore', serverVersionNum: number, pgBinDir: string | null): Promise<string> {
  const major = Math.floor(serverVersionNum / 10000);
  const candidates = [
    ...(pgBinDir ? [path.join(pgBinDir, tool)] : []),
    `/usr/lib/postgresql/${major}/bin/${tool}`,
    ...(process.env.PATH ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((d) => path.join(d, tool)),
  ].filter((c) => existsSync(c));
  const install = `install the PostgreSQL ${major} client (Debian/Ubuntu: apt-get install postgresql-client-${major}) or point PG_BIN_DIR at its bin folder`;
  if (candidates.length === 0) {
    throw ApplicationFailure.nonRetryable(`No ${tool} found for the PostgreSQL ${major} server: ${install}.`, PG_TOOL_MISMATCH);
  }
  const seen: string[] = [];
  for (const candidate of candidates) {
    const version = await toolVersion(candidate);
    if (version === major) return candidate;
    seen.push(`${candidate} is ${version ?? 'of an unknown version'}`);
  }
  throw ApplicationFailure.nonRetryable(
    `${tool} must be of the server's major version ${major} (${seen.join('; ')}): ${install}.`,
    PG_TOOL_MISMATCH,
  );
}

async function toolVersion(file: string): Promise<number | null> {
  const out = await new Promise<string>((resolve) => {
    const child = spawn(file, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.on('error', () => resolve(''));
    child.on('close', () => resolve(text));
  });
  const m = /\(PostgreSQL\)\s+(\d+)/.exec(out);
  return m ? Number(m[1]) : null;
}

/** Runs a pg tool; resolves when it exits 0, else rejects with its last stderr lines. */
function watch(child: ChildProcess, what: string): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${what} failed (${signal ?? `exit code ${code}`}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

/** Counts bytes and hashes what flows through. */
function meter() {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, bytes: () => bytes, digest: () => hash.digest('hex') };
}

function heartbeatEvery(ms: number, details: () => unknown): () => void {
  let context: Context | null = null;
  try {
    context = Context.current();
  } catch {
    return () => undefined; // called outside an activity (the restore script's tests)
  }
  const timer = setInterval(() => context.heartbeat(details()), ms);
  return () => clearInterval(timer);
}

/** The activity's cancellation as an AbortSignal (never aborts outside an activity). */
function cancellationSignal(): AbortSignal {
  try {
    const context = Context.current();
    const controller = new AbortController();
    context.cancelled.catch(() => controller.abort());
    return controller.signal;
  } catch {
    return new AbortController().signal;
  }
}

export function createBackupActivities(deps: BackupDependencies) {
  const { db, databaseUrl, config } = deps;
  const store: BackupStore = backupStore(config, { partSize: deps.partSize });
  const pgEnv = { ...process.env, ...(deps.ssl && { PGSSLMODE: 'require' }) };

  /** Streams a stored backup into pg_restore against `targetUrl`, checking its SHA-256 on the way. */
  async function restoreInto(name: string, targetUrl: string, options: { clean: boolean; expectedSha256: string | null }) {
    const { versionNum } = await repo.serverFacts(db);
    const pgRestore = await pgTool('pg_restore', versionNum, config.pgBinDir);
    const expected = options.expectedSha256 ?? (await store.readChecksum(name));
    const source = await store.read(name);
    const m = meter();
    const child = spawn(
      pgRestore,
      [
        '--no-owner',
        '--no-privileges',
        '--exit-on-error',
        '--single-transaction',
        ...(options.clean ? ['--clean', '--if-exists'] : []),
        `--dbname=${targetUrl}`,
      ],
      { stdio: ['pipe', 'ignore', 'pipe'], env: pgEnv },
    );
    const exited = watch(child, 'pg_restore');
    const stop = heartbeatEvery(5000, () => ({ restoredBytes: m.bytes() }));
    try {
      await Promise.all([pipeline(source, m.stream, child.stdin!), exited]);
    } finally {
      stop();
    }
    const sha256 = m.digest();
    if (expected && expected !== sha256) {
      throw new Error(`backup ${name} is damaged: its SHA-256 is ${sha256}, the recorded one ${expected}`);
    }
    return { sha256, bytes: m.bytes() };
  }

  const activities = {
    /**
     * Dumps the live database (pg_dump custom format, compressed) to the store as `name`, counting
     * every table's rows in the snapshot pg_dump reads. The object appears only when complete.
     */
    async backupDatabase({ name, workflowId }: { name: string; workflowId?: string }): Promise<BackupResult> {
      const { versionNum } = await repo.serverFacts(db);
      const pgDump = await pgTool('pg_dump', versionNum, config.pgBinDir);
      await store.check();
      await store.clearLeftovers(name);
      await repo.startBackup(db, name, workflowId ?? null);
      const signal = cancellationSignal();
      try {
        const result = await repo.withExportedSnapshot(db, async (snapshot) => {
          const child = spawn(pgDump, ['--format=custom', '--compress=6', `--snapshot=${snapshot.id}`, `--dbname=${databaseUrl}`], {
            stdio: ['ignore', 'pipe', 'pipe'],
            env: pgEnv,
          });
          const onAbort = () => child.kill('SIGTERM');
          signal.addEventListener('abort', onAbort, { once: true });
          const exited = watch(child, 'pg_dump');
          const m = meter();
          const body = new PassThrough();
          // a pg_dump that fails half-way must fail the upload, not end it as if complete
          exited.catch((error: Error) => body.destroy(error));
          child.stdout!.pipe(m.stream).pipe(body, { end: false });
          m.stream.on(
            'end',
            () =>
              void exited.then(
                () => body.end(),
                () => undefined,
              ),
          );
          const stop = heartbeatEvery(5000, () => ({ dumpedBytes: m.bytes() }));
          try {
            // Both settle before the activity answers: a failed pg_dump's upload is aborted and
            // cleaned up first, so a retry never overlaps it; a failed upload stops pg_dump at once
            // (it would block on a pipe nobody reads). The first failure is the cause.
            const failures: unknown[] = [];
            await Promise.all([
              store.write(name, body, signal).catch((error: unknown) => {
                failures.push(error);
                child.kill('SIGKILL');
              }),
              exited.catch((error: unknown) => void failures.push(error)),
            ]);
            if (failures.length) throw failures[0];
          } finally {
            stop();
            signal.removeEventListener('abort', onAbort);
          }
          return { counts: snapshot.counts, serverVersion: snapshot.serverVersion, sizeBytes: m.bytes(), sha256: m.digest() };
        });
        await store.writeChecksum(name, result.sha256);
        const facts = {
          store: store.kind,
          location: store.location(name),
          sizeBytes: result.sizeBytes,
          sha256: result.sha256,
          serverVersion: result.serverVersion,
          tableCounts: result.counts,
        };
        await repo.recordBackupUploaded(db, name, facts);
        return {
          name,
          store: facts.store,
          location: facts.location,
          sizeBytes: facts.sizeBytes,
          sha256: facts.sha256,
          tableCounts: facts.tableCounts,
        };
      } catch (error) {
        await repo.recordBackupFailed(db, name, error instanceof Error ? error.message : String(error)).catch(() => undefined);
        throw error;
      }
    },

    /**
     * The restore drill: restores the backup into a scratch database, compares every table's row
     * count with what the dump saw, drops the scratch database and records the outcome. A count
     * that differs fails the activity (so it is retried, then alerted).
     */
    async drillBackup({ name }: { name: string }): Promise<DrillResult> {
      const row = await repo.findBackup(db, name);
      if (!row?.table_counts || !row.sha256) throw ApplicationFailure.nonRetryable(`backup ${name} has no recorded dump to drill`);
      const scratch = `bebsy_drill_${name.slice('bebsy_backup_'.length)}`;
      const started = Date.now();
      await repo.dropDatabase(db, scratch);
      await repo.createDatabase(db, scratch);
      const mismatches: DrillResult['mismatches'] = {};
      let failure: string | null = null;
      try {
        await restoreInto(name, withDatabase(databaseUrl, scratch), { clean: false, expectedSha256: row.sha256 });
        const scratchDb = createDb(withDatabase(databaseUrl, scratch), {
          ssl: deps.ssl,
          pool: { min: 0, max: 1, idleTimeoutMillis: 1000, connectionTimeoutMillis: 10_000 },
        });
        let restored: repo.TableCounts;
        try {
          restored = await repo.countRows(scratchDb);
        } finally {
          await scratchDb.destroy();
        }
        for (const table of new Set([...Object.keys(row.table_counts), ...Object.keys(restored)])) {
          const dumped = row.table_counts[table] ?? -1;
          const back = restored[table] ?? -1;
          if (dumped !== back) mismatches[table] = [dumped, back];
        }
        if (Object.keys(mismatches).length) {
          failure = `restored row counts differ from the dump's: ${Object.entries(mismatches)
            .map(([t, [a, b]]) => `${t} ${a} → ${b}`)
            .join(', ')}`;
        }
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      } finally {
        await repo.dropDatabase(db, scratch);
      }
      const seconds = (Date.now() - started) / 1000;
      await repo.recordDrill(db, name, { passed: !failure, error: failure, seconds });
      if (failure) throw new Error(`restore drill of ${name} failed: ${failure}`);
      return { name, passed: true, seconds, mismatches };
    },

    /** Deletes the backups older than BACKUP_RETENTION_DAYS (by the time in their name), never `keep`. */
    async pruneBackups({ now, keep }: { now: string; keep: string }): Promise<{ removed: string[] }> {
      const cutoff = new Date(now).getTime() - config.retentionDays * 86_400_000;
      const stored = await store.list();
      const removed = stored
        .map((b) => b.name)
        .filter((n) => n !== keep && (backupNameTime(n)?.getTime() ?? Infinity) < cutoff)
        .sort();
      await store.remove(removed);
      await repo.markBackupsPruned(db, removed);
      return { removed };
    },

    /**
     * Restores a backup into `database` on the live server (`npm run restore`): created when
     * missing; refused for the live database or one that holds tables unless `force` (then the
     * restore replaces the objects it holds, in one transaction).
     */
    async restoreBackup({ name, database, force }: { name: string; database: string; force: boolean }) {
      const { database: live } = await repo.serverFacts(db);
      if (!/^[A-Za-z0-9_-]{1,63}$/.test(database))
        throw ApplicationFailure.nonRetryable(`"${database}" is not a database name`, RESTORE_REFUSED);
      const exists = await repo.databaseExists(db, database);
      let clean = false;
      if (database === live) {
        if (!force) {
          throw ApplicationFailure.nonRetryable(
            `${database} is the live database; restoring into it replaces its data: add --force to do so`,
            RESTORE_REFUSED,
          );
        }
        clean = true;
      } else if (exists) {
        const target = createDb(withDatabase(databaseUrl, database), {
          ssl: deps.ssl,
          pool: { min: 0, max: 1, idleTimeoutMillis: 1000, connectionTimeoutMillis: 10_000 },
        });
        const tables = await repo.userTables(target).finally(() => target.destroy());
        if (tables.length && !force) {
          throw ApplicationFailure.nonRetryable(
            `${database} already holds ${tables.length} tables: add --force to replace them`,
            RESTORE_REFUSED,
          );
        }
        clean = tables.length > 0;
      }
      if (!(await store.list()).some((b) => b.name === name)) {
        throw ApplicationFailure.nonRetryable(
          `there is no backup ${name} in ${store.location(name).replace(/[^/]*$/, '')}`,
          RESTORE_REFUSED,
        );
      }
      // a damaged backup is refused before anything is written into the target
      const expected = (await repo.findBackup(db, name))?.sha256 ?? (await store.readChecksum(name));
      const check = meter();
      await pipeline(await store.read(name), check.stream, new Writable({ write: (_c, _e, done) => done() }));
      if (expected && check.digest() !== expected) {
        throw ApplicationFailure.nonRetryable(
          `backup ${name} is damaged: its SHA-256 differs from the recorded ${expected}`,
          RESTORE_REFUSED,
        );
      }
      if (!exists) await repo.createDatabase(db, database);
      const { sha256, bytes } = await restoreInto(name, withDatabase(databaseUrl, database), {
        clean,
        expectedSha256: expected,
      });
      return { name, database, sha256, bytes };
    },
  };
  // the long ones heartbeat from their first moment (counting rows of big tables comes before any byte flows)
  return {
    ...activities,
    backupDatabase: (input: Parameters<typeof activities.backupDatabase>[0]) => heartbeating(() => activities.backupDatabase(input)),
    drillBackup: (input: Parameters<typeof activities.drillBackup>[0]) => heartbeating(() => activities.drillBackup(input)),
    restoreBackup: (input: Parameters<typeof activities.restoreBackup>[0]) => heartbeating(() => activities.restoreBackup(input)),
  };
}

async function heartbeating<T>(work: () => Promise<T>): Promise<T> {
  const stop = heartbeatEvery(10_000, () => ({ working: true }));
  try {
    return await work();
  } finally {
    stop();
  }
}

export type BackupActivities = ReturnType<typeof createBackupActivities>;
