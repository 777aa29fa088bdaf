/**
 * Starts a local Temporal dev server (`temporal server start-dev`) for development and tests.
 *
 *   const t = await startDevTemporal({ dbFile: '.data/temporal.db', searchAttributes: { ReferralStatus: 'Keyword' } });
 *   ... Connection.connect({ address: t.address }) ...
 *   await t.stop();
 *
 * The binary comes from resolveTemporalBinary('temporal'). When only the SDK download is left,
 * the server is started through @temporalio/testing's TestWorkflowEnvironment.createLocal with a
 * 'cached-download' executable and wrapped in the same interface.
 *
 * With a dbFile the state survives restarts (SQLite with WAL + synchronous=NORMAL; without them
 * file storage is slow). Search attributes are (re)registered on every start; that is a no-op
 * for existing ones of the same type.
 *
 * A server left running by a killed parent (SIGKILL, OOM) on the same dbFile is found through
 * /proc and stopped before the new one starts; one whose parent is still alive is reported.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Connection as ClientConnection } from '@temporalio/client';
import type { EphemeralServerExecutable } from '@temporalio/testing';
import { freePort } from './free-port.js';
import { resolveTemporalBinary } from './temporal-binaries.js';
import { isPidAlive, stopWithThisProcess } from './processes.js';

export interface DevTemporalOptions {
  /** SQLite file; undefined = in-memory. Its folder is created. */
  dbFile?: string;
  /** Frontend gRPC port; 0 or undefined = a free port. */
  port?: number;
  /** Web UI port; 0 or undefined = a free port; false = headless. */
  uiPort?: number | false;
  /** Namespace created at start (the 'default' namespace always exists). Default 'default'. */
  namespace?: string;
  /** NAME -> Type, e.g. { ReferralStatus: 'Keyword', ReferralFlagged: 'Bool' }. */
  searchAttributes: Record<string, string>;
  /** Receives the server's output lines (quiet when absent). */
  log?: (line: string) => void;
}

export interface DevTemporal {
  /** host:port of the frontend, e.g. 127.0.0.1:40123 */
  address: string;
  /** http://127.0.0.1:PORT unless headless */
  uiUrl?: string;
  namespace: string;
  stop(): Promise<void>;
}

const IP = '127.0.0.1';
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const OWNER_ENV = 'BEBSY_DEV_TEMPORAL_OWNER_PID';

/** Search attribute types accepted by `--search-attribute`, mapped to the SDK's names. */
const SA_TYPES = {
  Text: 'TEXT',
  Keyword: 'KEYWORD',
  Int: 'INT',
  Double: 'DOUBLE',
  Bool: 'BOOL',
  Datetime: 'DATETIME',
  KeywordList: 'KEYWORD_LIST',
} as const;
type SaTypeName = keyof typeof SA_TYPES;

function checkSearchAttributes(attrs: Record<string, string>): Array<[string, SaTypeName]> {
  return Object.entries(attrs).map(([name, type]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`startDevTemporal: search attribute name "${name}" is not an identifier`);
    }
    if (!(type in SA_TYPES)) {
      throw new Error(`startDevTemporal: search attribute ${name} has type "${type}"; expected one of ${Object.keys(SA_TYPES).join(', ')}`);
    }
    return [name, type as SaTypeName];
  });
}

export async function startDevTemporal(opts: DevTemporalOptions): Promise<DevTemporal> {
  const attrs = checkSearchAttributes(opts.searchAttributes);
  const resolved = await resolveTemporalBinary('temporal');
  if (resolved.kind === 'sdk-download') {
    opts.log?.(`temporal CLI not found locally (${resolved.tried.join('; ')}); using the @temporalio/testing download`);
    return await startDevTemporalWithSdk(opts, { type: 'cached-download' });
  }
  // A port we picked ourselves can be taken between freePort() and the bind: retry then.
  const pickedPorts = !opts.port || opts.uiPort === undefined || opts.uiPort === 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startCli(resolved.path, opts, attrs);
    } catch (err) {
      const portClash = err instanceof Error && /address already in use/i.test(err.message);
      if (!(pickedPorts && portClash && attempt < 3)) throw err;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CLI child process

async function startCli(bin: string, opts: DevTemporalOptions, attrs: Array<[string, SaTypeName]>): Promise<DevTemporal> {
  const namespace = opts.namespace ?? 'default';
  const port = opts.port || (await freePort());
  const uiPort = opts.uiPort === false ? undefined : opts.uiPort || (await freePort());
  const dbFile = opts.dbFile ? path.resolve(opts.dbFile) : undefined;

  const args = ['server', 'start-dev', '--ip', IP, '--port', String(port)];
  if (uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(uiPort), '--ui-disable-news-fetch');
  if (dbFile) {
    await fs.mkdir(path.dirname(dbFile), { recursive: true });
    await stopOrphanedServer(dbFile, opts.log);
    args.push('--db-filename', dbFile, '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL');
  }
  args.push('--namespace', namespace);
  for (const [name, type] of attrs) args.push('--search-attribute', `${name}=${type}`);
  // No user config file / TEMPORAL_* env (TEMPORAL_NAMESPACE, TEMPORAL_ADDRESS...) leaking into the server.
  args.push('--log-level', 'warn', '--disable-config-file', '--disable-config-env');

  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TEMPORAL_')) env[k] = v;
  env[OWNER_ENV] = String(process.pid);

  const started = Date.now();
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const tail: string[] = [];
  const onLine = (line: string) => {
    if (!line.trim()) return;
    tail.push(line);
    if (tail.length > 40) tail.shift();
    opts.log?.(line);
  };
  lineReader(child.stdout!, onLine);
  lineReader(child.stderr!, onLine);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('close', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', (err) => {
      spawnError = err;
      exited ??= { code: null, signal: null };
      resolve();
    });
  });
  stopWithThisProcess(child, 'SIGTERM');

  const address = `${IP}:${port}`;
  const failure = (what: string) =>
    new Error(
      `temporal server start-dev ${what}.\n  command: ${bin} ${args.join(' ')}\n` +
        (tail.length ? `  last output:\n    ${tail.slice(-15).join('\n    ')}` : '  (no output)'),
    );

  try {
    await waitUntilReady(
      address,
      namespace,
      attrs.map(([n]) => n),
      () => {
        if (spawnError) throw failure(`could not be spawned: ${spawnError.message}`);
        if (exited) throw failure(`exited early (${exited.signal ?? `code ${exited.code}`})`);
      },
    );
  } catch (err) {
    await terminate(child, exitPromise, () => exited !== undefined);
    if (err instanceof Error && err.message.startsWith('temporal server start-dev')) throw err;
    throw failure(`was not ready within ${READY_TIMEOUT_MS / 1000} s (${err instanceof Error ? err.message : String(err)})`);
  }
  opts.log?.(`temporal dev server ready on ${address} in ${Date.now() - started} ms (pid ${child.pid})`);

  let stopping: Promise<void> | undefined;
  return {
    address,
    uiUrl: uiPort === undefined ? undefined : `http://${IP}:${uiPort}`,
    namespace,
    stop() {
      stopping ??= terminate(child, exitPromise, () => exited !== undefined);
      return stopping;
    },
  };
}

function lineReader(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  stream.on('end', () => {
    if (buf) onLine(buf);
    buf = '';
  });
}

async function terminate(child: ChildProcess, exitPromise: Promise<void>, hasExited: () => boolean): Promise<void> {
  if (hasExited()) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    exitPromise.then(() => false),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(true), STOP_GRACE_MS))),
  ]);
  clearTimeout(timer);
  if (timedOut && !hasExited()) {
    child.kill('SIGKILL');
    await exitPromise;
  }
}

/**
 * Polls the frontend until it answers, the namespace exists and every search attribute is
 * registered (start-dev registers them right after the frontend comes up).
 */
async function waitUntilReady(address: string, namespace: string, attributeNames: string[], checkChild: () => void): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown = 'no attempt made';
  let connection: ClientConnection | undefined;
  try {
    for (;;) {
      checkChild();
      if (Date.now() > deadline) throw new Error(`last error: ${errorText(lastError)}`);
      try {
        // A plain TCP probe first: a gRPC connect to a closed port backs off for a second.
        if (!connection && !(await tcpAccepts(address))) {
          lastError = `nothing listening on ${address} yet`;
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        connection ??= await Connection.connect({ address, connectTimeout: 2_000 });
        const res = await connection.operatorService.listSearchAttributes({ namespace });
        const known = new Set(Object.keys(res.customAttributes ?? {}));
        const missing = attributeNames.filter((n) => !known.has(n));
        if (missing.length === 0) return;
        lastError = `search attributes not registered yet: ${missing.join(', ')}`;
      } catch (err) {
        lastError = err;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

function tcpAccepts(address: string): Promise<boolean> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host: address.slice(0, i), port: Number(address.slice(i + 1)) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------
// Orphans: a dev server on the same dbFile whose parent process died

/** Linux only (no /proc: nothing to do). */
async function stopOrphanedServer(dbFile: string, log?: (line: string) => void): Promise<void> {
  if (!existsSync('/proc/self/cmdline')) return;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const i = argv.indexOf('--db-filename');
    if (i < 0 || argv[i + 1] !== dbFile || !argv.includes('start-dev')) continue;
    let owner = 0;
    try {
      const envLine = readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .find((l) => l.startsWith(`${OWNER_ENV}=`));
      owner = Number(envLine?.slice(OWNER_ENV.length + 1) ?? 0);
    } catch {
      /* unreadable: treat as not ours */
    }
    if (owner && isPidAlive(owner)) {
      throw new Error(
        `startDevTemporal: ${dbFile} is in use by a Temporal dev server (pid ${pid}) started by the running process ${owner}. ` +
          `Stop that one first, or use another dbFile.`,
      );
    }
    if (!owner) {
      throw new Error(
        `startDevTemporal: ${dbFile} is in use by another Temporal dev server (pid ${pid}) not started by this project. ` +
          `Stop it (kill ${pid}) or use another dbFile.`,
      );
    }
    log?.(`stopping orphaned Temporal dev server pid ${pid} (its parent ${owner} is gone)`);
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + STOP_GRACE_MS;
    while (isPidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (isPidAlive(pid)) process.kill(pid, 'SIGKILL');
    while (isPidAlive(pid)) await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------------------------------------------------------------------------------------------
// @temporalio/testing path (SDK-managed binary)

/**
 * Starts the dev server through @temporalio/testing (`TestWorkflowEnvironment.createLocal`)
 * and wraps it in the DevTemporal interface. Used by startDevTemporal when the CLI is only
 * available as the SDK download; exported so callers can pass an explicit executable
 * (`{ type: 'existing-path', path }`). Note: this creates the SDK's default Runtime, so a later
 * Runtime.install() in the same process fails.
 */
export async function startDevTemporalWithSdk(opts: DevTemporalOptions, executable: EphemeralServerExecutable): Promise<DevTemporal> {
  const attrs = checkSearchAttributes(opts.searchAttributes);
  const [{ TestWorkflowEnvironment }, { defineSearchAttributeKey }] = await Promise.all([
    import('@temporalio/testing'),
    import('@temporalio/common'),
  ]);
  const namespace = opts.namespace ?? 'default';
  const port = opts.port || (await freePort());
  const uiPort = opts.uiPort === false ? undefined : opts.uiPort || (await freePort());
  const dbFile = opts.dbFile ? path.resolve(opts.dbFile) : undefined;
  if (dbFile) await fs.mkdir(path.dirname(dbFile), { recursive: true });

  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable,
      ip: IP,
      port,
      ui: uiPort !== undefined,
      ...(uiPort !== undefined ? { uiPort } : {}),
      ...(dbFile ? { dbFilename: dbFile } : {}),
      namespace,
      searchAttributes: attrs.map(([name, type]) => defineSearchAttributeKey(name, SA_TYPES[type])),
      extraArgs: dbFile ? ['--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL'] : [],
    },
  });
  try {
    await waitUntilReady(
      env.address,
      namespace,
      attrs.map(([n]) => n),
      () => undefined,
    );
  } catch (err) {
    await env.teardown().catch(() => undefined);
    throw new Error(`Temporal dev server (via @temporalio/testing) was not ready: ${errorText(err)}`, { cause: err });
  }
  opts.log?.(`temporal dev server (via @temporalio/testing) ready on ${env.address}`);
  let stopping: Promise<void> | undefined;
  return {
    address: env.address,
    uiUrl: uiPort === undefined ? undefined : `http://${IP}:${uiPort}`,
    namespace,
    stop() {
      stopping ??= env.teardown();
      return stopping;
    },
  };
}
