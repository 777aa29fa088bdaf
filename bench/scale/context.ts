/**
 * What the million-row benchmarks share. `bench/scale/run.ts` prepares it once:
 * a fresh database seeded by `seed:large` (1M customers, 2M referrals by default), a Temporal
 * dev server, a worker process and an API process (separate, so its RSS can be read), then runs
 * each measurement module in turn. Each module compares the API against a baseline measured
 * side by side on the same machine and returns the lines to print.
 */
import type { Db } from '../../db/knex.js';

export interface ApiProcess {
  /** Base URL, e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string;
  pid: number;
  /** Resident memory of the API process now (from /proc/<pid>/status). */
  rss(): RssReading;
}

export interface RssReading {
  /** VmRSS, MB. */
  totalMb: number;
  /** RssAnon: the heaps (V8's and malloc's), MB. */
  anonMb: number;
  /** RssFile: pages of mapped files, mostly the node binary, MB. */
  fileMb: number;
}

/** A database with an API process (and a worker) on it. */
export interface ScaleStack {
  databaseUrl: string;
  /** A knex handle on the database, for baselines that run the same SQL directly. */
  db: Db;
  api: ApiProcess;
  /** Bearer token of an admin user. */
  token: string;
}

/** Another stack on a fresh, migrated, empty database; stop() ends its processes and drops the database. */
export interface FreshStack extends ScaleStack {
  stop(): Promise<void>;
}

export interface ScaleBenchContext extends ScaleStack {
  /** The seeded bench database (fresh, dropped at the end), with the API and the worker on it. */
  databaseUrl: string;
  rows: { customers: number; referrals: number };
  /** A scratch folder of this run's own (deleted at the end), for generated files. */
  workDir: string;
  /**
   * Starts another API and worker (the same build and settings, the same Temporal server) on a
   * fresh, empty database of the same Postgres server, for a measurement that needs empty tables.
   */
  freshStack(tag: string): Promise<FreshStack>;
  log(line: string): void;
}

export interface ScaleBenchResult {
  /** e.g. 'customer search'. */
  name: string;
  /** Human-readable lines: baseline, API, ratio, percentiles; printed as they are. */
  lines: string[];
  /** One line per target: `target p95 <= 25 ms: 7.1 ms  met` (or `MISSED`). */
  targets: { description: string; met: boolean }[];
}

export type ScaleBench = (context: ScaleBenchContext) => Promise<ScaleBenchResult>;
