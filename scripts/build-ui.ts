import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const uiDir = path.resolve('ui');
const builtIndex = path.join(uiDir, 'dist', 'index.html');

/** The newest modification time among the UI's sources (ui/ without dist/). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export function uiBuildIsCurrent(): boolean {
  return existsSync(builtIndex) && statSync(builtIndex).mtimeMs >= newestSource(uiDir);
}

/**
 * Builds the admin UI into ui/dist (served by the API at /).
 *
 * Vite runs in a child process of its own, never inside the caller: a Vite build sets
 * `process.env.NODE_ENV = 'production'` in the process that runs it when it is unset. Inside
 * `npm start` that switched React mid-process: the email renderer loaded react-dom/server's
 * production build beside the development React already loaded, and every email failed with
 * `dispatcher.getOwner is not a function` until the next start (test/first-start.test.ts).
 */
export async function buildUi({ onlyWhenStale = false } = {}): Promise<'built' | 'current'> {
  if (onlyWhenStale && uiBuildIsCurrent()) return 'current';
  const vitePackage = createRequire(import.meta.url).resolve('vite/package.json');
  const viteCli = path.join(path.dirname(vitePackage), 'bin', 'vite.js');
  const args = [viteCli, 'build', '--config', path.join(uiDir, 'vite.config.ts'), '--logLevel', 'warn'];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
    child.on('error', reject);
    child.on('exit', (exitCode, signal) => resolve(signal ? null : exitCode));
  });
  if (code !== 0) throw new Error(`the admin UI build failed (vite build exited ${code ?? 'on a signal'}); its output is above`);
  return 'built';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildUi();
  console.log('admin UI built into ui/dist');
}
