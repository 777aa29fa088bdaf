import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '../../scripts/infra/free-port.js';
import { stopWithThisProcess } from '../../scripts/infra/processes.js';
import { eventually } from './system.js';

/**
 * The API and the worker as real processes (`node --import tsx api/main.ts`, `worker/main.ts`),
 * as production runs them: for tests that SIGKILL one, run two side by side, or take a
 * dependency away under them. Each keeps the tail of its output for the failure message.
 */
export interface ServiceProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** The last lines it printed (stdout and stderr). */
  output(): string;
  /** Whether it has exited (by itself or killed). */
  exited(): boolean;
  /** Whether it exited without being told to (kill() or stop()): a crash. */
  crashed(): boolean;
  /** SIGKILL (default) or another signal; resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM (a graceful stop), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface ApiProcess extends ServiceProcess {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
}

const OUTPUT_LINES = 200;

function spawnService(name: string, entry: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > OUTPUT_LINES) lines.shift();
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let hasExited = false;
  let told = false;
  stopWithThisProcess(child); // a test that failed before its cleanup
  const exit = once(child, 'exit').then(() => {
    hasExited = true;
  });
  const service: ServiceProcess = {
    name,
    pid: child.pid!,
    child,
    output: () => lines.join('\n'),
    exited: () => hasExited,
    crashed: () => hasExited && !told,
    async kill(signal = 'SIGKILL') {
      told = true;
      if (!hasExited) child.kill(signal);
      await exit;
    },
    async stop(graceMs = 15_000) {
      told = true;
      if (hasExited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
  return service;
}

async function ready(service: ServiceProcess, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  try {
    await eventually(
      async () => {
        if (service.exited()) throw new Error(`${service.name} exited before it was ready`);
        return check();
      },
      { timeoutMs, intervalMs: 100 },
    );
  } catch (error) {
    await service.kill();
    throw new Error(`${service.name}: ${(error as Error).message}\n--- its output ---\n${service.output()}`, { cause: error });
  }
}

/**
 * A worker process (worker/main.ts) with DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE
 * etc. from `env` (on top of this process's environment, so WORKFLOW_BUNDLE_PATH is inherited);
 * resolves once it polls its task queue.
 */
export async function startWorkerProcess(
  env: Record<string, string>,
  { name = 'worker', timeoutMs = 60_000 } = {},
): Promise<ServiceProcess> {
  const worker = spawnService(name, 'worker/main.ts', env);
  await ready(worker, async () => worker.output().includes('worker polling'), timeoutMs);
  return worker;
}

/**
 * An API process (api/main.ts) on 127.0.0.1 and a free port (or `env.PORT`); resolves once
 * `/api/health` answers at all (200, or 503 while a dependency is down).
 */
export async function startApiProcess(env: Record<string, string>, { name = 'api', timeoutMs = 60_000 } = {}): Promise<ApiProcess> {
  const port = Number(env.PORT ?? (await freePort()));
  const api = spawnService(name, 'api/main.ts', { HOST: '127.0.0.1', ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  await ready(
    api,
    async () => {
      try {
        const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5_000) });
        await res.arrayBuffer();
        return true;
      } catch {
        return false;
      }
    },
    timeoutMs,
  );
  return { ...api, url, port };
}
