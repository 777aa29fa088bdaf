/**
 * The project's own processes as the scale benchmarks run them: the compiled API
 * (dist/server/api.mjs, with API_NODE_FLAGS) and worker (dist/server/worker.mjs) from
 * scripts/build-server.ts, as the Docker image runs them, against one database and the shared
 * Temporal dev server (a task queue of their own). bench/scale/run.ts starts one on the seeded
 * database; a measurement that needs an empty database (the first import) asks for another on
 * a fresh, migrated database of the same Postgres server (`freshStack`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createDb } from '../../db/knex.js';
import { migrateToLatest } from '../../db/migrate.js';
import { API_NODE_FLAGS, SERVER_ENV, buildServer } from '../../scripts/build-server.js';
import { bundleWorkflows } from '../../scripts/bundle-workflows.js';
import { dropDatabase, ensureDatabase } from '../../scripts/databases.js';
import { freePort } from '../../scripts/infra/free-port.js';
import { stopWithThisProcess } from '../../scripts/infra/processes.js';
import type { ApiProcess, FreshStack, RssReading } from './context.js';

/** The bench's admin password: not the default, which signs in only to be told to change it. */
const BENCH_ADMIN_PASSWORD = 'bench-scale-Vlieg-naar-Kreta-42';

export interface StackSettings {
  /** Compiled entry points and the workflow bundle (see `buildStack`). */
  build: { api: string; worker: string; workflowBundle: string };
  temporal: { address: string; namespace: string };
  /** Uploads of each stack go into a folder of its own under here. */
  workDir: string;
}

export interface RunningStack {
  api: ApiProcess;
  workerPid: number;
  /** Bearer token of the admin user (`admin` / BENCH_ADMIN_PASSWORD, created by the API on a fresh database). */
  token: string;
  stop(): Promise<void>;
}

interface ProjectProcess extends ChildProcess {
  /** What it printed so far (LOG_LEVEL=warn keeps this small); shown when it dies early. */
  output(): string;
}

/** Compiles the API and the worker (dist/server/*.mjs) and bundles the workflows into `workDir`. */
export async function buildStack(workDir: string): Promise<StackSettings['build']> {
  const server = await buildServer();
  const workflowBundle = await bundleWorkflows(path.join(workDir, 'workflow-bundle.js'));
  return { ...server, workflowBundle };
}

/** A compiled project process, as the Docker image runs it; it goes when the bench exits (a run cut short). */
function startProcess(entry: string, env: Record<string, string>, flags: string[] = []): ProjectProcess {
  const child = spawn(process.execPath, [...flags, entry], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ProjectProcess;
  stopWithThisProcess(child);
  const out: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => out.push(chunk));
  child.output = () => Buffer.concat(out).toString('utf8');
  return child;
}

async function waitFor(what: string, child: ProjectProcess, ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited:\n${child.output()}`);
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} was not ready within ${timeoutMs / 1000} s:\n${child.output()}`);
}

/** A process's resident memory from /proc/<pid>/status: VmRSS, and its anonymous and file-backed parts. */
export function rss(pid: number): RssReading {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) / 1024;
  return { totalMb: mb('VmRSS'), anonMb: mb('RssAnon'), fileMb: mb('RssFile') };
}

/** How many worker processes poll the stack's task queue (default 1), and variables added to both processes' environment. */
export interface StackOptions {
  workers?: number;
  env?: Record<string, string>;
}

/**
 * Starts an API and its worker(s) on `databaseUrl` (migrated already), waits until the API
 * answers /api/health and every worker polls its task queue (an import started earlier would
 * wait for it and count its start-up), and signs the admin in.
 */
export async function startStack(
  settings: StackSettings,
  databaseUrl: string,
  tag: string,
  options: StackOptions = {},
): Promise<RunningStack> {
  const port = await freePort();
  const env = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: settings.temporal.address,
    TEMPORAL_NAMESPACE: settings.temporal.namespace,
    TEMPORAL_TASK_QUEUE: `bench-scale-${tag}-${process.pid}`,
    IMPORT_STORAGE_DIR: path.join(settings.workDir, `imports-${tag}`),
    APPROVAL_DIGEST_CRON: 'off',
    ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD,
    // thousands of list requests from one token and one address: measure the API, not its limiter
    RATE_LIMIT_ENABLED: 'false',
    ...SERVER_ENV,
    ...options.env,
  };
  const workers = Array.from({ length: options.workers ?? 1 }, () =>
    startProcess(settings.build.worker, { ...env, WORKFLOW_BUNDLE_PATH: settings.build.workflowBundle }),
  );
  const api = startProcess(settings.build.api, env, API_NODE_FLAGS);
  const stop = async () => {
    await Promise.all(
      [api, ...workers].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      }),
    );
  };
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitFor('the API process', api, async () => (await fetch(`${url}/api/health`).catch(() => null))?.ok === true);
    for (const worker of workers)
      await waitFor('the worker process', worker, () => Promise.resolve(worker.output().includes('worker polling task queue')));
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: BENCH_ADMIN_PASSWORD }),
    });
    if (!login.ok) throw new Error(`admin login failed: ${login.status} ${await login.text()}`);
    const { token } = (await login.json()) as { token: string };
    return { api: { url, pid: api.pid!, rss: () => rss(api.pid!) }, workerPid: workers[0].pid!, token, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A fresh database next to `serverUrl`'s (same server), migrated and empty, with an API and a
 * worker of its own; stop() ends them and drops the database.
 */
export async function startFreshStack(
  settings: StackSettings,
  serverUrl: string,
  tag: string,
  options: StackOptions = {},
): Promise<FreshStack> {
  const database = `bebsy_bench_${tag.replace(/[^a-z0-9]/gi, '_')}_${Date.now()}_${process.pid}`;
  const databaseUrl = await ensureDatabase(serverUrl, database);
  const db = createDb(databaseUrl);
  const drop = async () => {
    await db.destroy();
    await dropDatabase(serverUrl, database);
  };
  try {
    await migrateToLatest(db);
    const stack = await startStack(settings, databaseUrl, tag, options);
    return {
      databaseUrl,
      db,
      api: stack.api,
      token: stack.token,
      stop: async () => {
        await stack.stop();
        await drop();
      },
    };
  } catch (error) {
    await drop();
    throw error;
  }
}
