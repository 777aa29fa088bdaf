import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { build } from 'vite';

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

/** Builds the admin UI into ui/dist (served by the API at /). */
export async function buildUi({ onlyWhenStale = false } = {}): Promise<'built' | 'current'> {
  if (onlyWhenStale && uiBuildIsCurrent()) return 'current';
  await build({ configFile: path.join(uiDir, 'vite.config.ts'), logLevel: 'warn' });
  return 'built';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildUi();
  console.log('admin UI built into ui/dist');
}
