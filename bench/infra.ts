/**
 * The servers a bench run measures against, started once and shared by both sides:
 *
 * - Postgres: the server in DATABASE_URL when set, else an embedded Postgres under
 *   .data/bench-postgres; either way a fresh database for this run, dropped at the end.
 * - Temporal: one `temporal server start-dev` with the project's search attributes. By default
 *   file-backed (SQLite with the WAL pragmas, as `npm start` runs it) in a file of this run's own
 *   under .data/bench-temporal/, deleted at the end: the referral ids of a fresh database start
 *   at 1 again, so a kept Temporal database would already hold `referral-1`...
 */
import { readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createDb } from '../db/knex.js';
import { migrateToLatest } from '../db/migrate.js';
import { referralSearchAttributes } from '../domain/search-attributes.js';
import { dropDatabase, ensureDatabase } from '../scripts/databases.js';
import { startDevTemporal, type DevTemporal } from '../scripts/infra/dev-temporal.js';
import { SCALE_SETTINGS, startEmbeddedPostgres, type EmbeddedPostgres } from '../scripts/infra/embedded-postgres.js';
import { Cleanups } from '../scripts/infra/cleanups.js';
import { resolveTemporalBinary } from '../scripts/infra/temporal-binaries.js';

export const TEMPORAL_DIR = '.data/bench-temporal';
const EMBEDDED_PG_DIR = '.data/bench-postgres';

export interface BenchInfra {
  databaseUrl: string;
  postgres: { source: string; version: string };
  temporal: DevTemporal;
  temporalInfo: { storage: string; binary: string; version: string };
  stop(): Promise<void>;
}

export async function startInfra(temporalDb: 'file' | 'memory', log: (line: string) => void): Promise<BenchInfra> {
  const cleanups = new Cleanups(log);
  const stop = () => cleanups.runAll();
  try {
    // Postgres
    let embedded: EmbeddedPostgres | null = null;
    if (!process.env.DATABASE_URL) {
      embedded = await startEmbeddedPostgres({ dataDir: EMBEDDED_PG_DIR, settings: SCALE_SETTINGS });
      cleanups.push(() => embedded!.stop());
    }
    const serverUrl = process.env.DATABASE_URL ?? embedded!.url;
    const database = `bebsy_bench_${Date.now()}_${process.pid}`;
    const databaseUrl = await ensureDatabase(serverUrl, database);
    cleanups.push(() => dropDatabase(serverUrl, database));
    const db = createDb(databaseUrl);
    let version: string;
    try {
      await migrateToLatest(db);
      version = (await db.raw<{ rows: { server_version: string }[] }>('SHOW server_version')).rows[0].server_version;
    } finally {
      await db.destroy();
    }
    const source = embedded ? `embedded (${EMBEDDED_PG_DIR})` : `DATABASE_URL ${redactUrl(serverUrl)}`;
    log(`postgres: fresh database ${database} on ${source}`);

    // Temporal
    let dbFile: string | undefined;
    if (temporalDb === 'file') {
      await removeStaleTemporalFiles();
      dbFile = path.join(TEMPORAL_DIR, `bench-${process.pid}.db`);
      await removeSqlite(dbFile);
      cleanups.push(() => removeSqlite(dbFile!));
    }
    const binary = await resolveTemporalBinary('temporal');
    const temporal = await startDevTemporal({ dbFile, uiPort: false, searchAttributes: referralSearchAttributes });
    cleanups.push(() => temporal.stop());
    const binaryPath = binary.kind === 'path' ? binary.path : 'SDK download';
    log(`temporal: dev server at ${temporal.address} (${dbFile ? `SQLite file ${dbFile}, WAL` : 'in-memory SQLite'})`);

    return {
      databaseUrl,
      postgres: { source, version },
      temporal,
      temporalInfo: {
        storage: dbFile ? `SQLite file ${dbFile} (journal_mode=WAL, synchronous=NORMAL)` : 'in-memory SQLite',
        binary: binaryPath,
        version: binary.kind === 'path' ? await commandVersion(binary.path) : 'unknown',
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

async function removeSqlite(file: string): Promise<void> {
  await Promise.all(['', '-wal', '-shm', '-journal'].map((suffix) => fs.rm(`${file}${suffix}`, { force: true })));
}

/** Files of bench runs whose process is gone (a killed run leaves its database behind). */
async function removeStaleTemporalFiles(): Promise<void> {
  let entries: string[];
  try {
    entries = readdirSync(TEMPORAL_DIR);
  } catch {
    return;
  }
  for (const entry of entries) {
    const match = /^bench-(\d+)\.db$/.exec(entry);
    if (!match || isAlive(Number(match[1]))) continue;
    await removeSqlite(path.join(TEMPORAL_DIR, entry));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function commandVersion(bin: string): Promise<string> {
  const { execFile } = await import('node:child_process');
  return await new Promise((resolve) => {
    execFile(bin, ['--version'], { timeout: 10_000 }, (error, stdout) => resolve(error ? 'unknown' : stdout.trim().split('\n')[0]));
  });
}
