import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { firstFolderClosedTo } from '../scripts/infra/postgres-user-access.js';

/** A clone in a root-only folder (/root, mode 700): the embedded Postgres's `postgres` user cannot reach it. */
describe('embedded Postgres in a folder its user cannot enter', () => {
  const outer = mkdtempSync(path.join(tmpdir(), 'bebsy-root-only-'));
  const dataDir = path.join(outer, 'clone', '.data');
  after(() => rmSync(outer, { recursive: true, force: true }));
  const stranger = { uid: 123_456, gids: [123_456] };

  it('finds the first folder on the way that is closed to another user', () => {
    chmodSync(outer, 0o700);
    assert.equal(firstFolderClosedTo(dataDir, stranger), outer);
    chmodSync(outer, 0o711);
    assert.equal(firstFolderClosedTo(dataDir, stranger), null, 'x for others is enough to pass through');
    mkdirSync(path.dirname(dataDir));
    mkdirSync(dataDir, { mode: 0o700 });
    assert.equal(firstFolderClosedTo(dataDir, stranger), dataDir);
    assert.equal(firstFolderClosedTo(dataDir, { uid: process.getuid!(), gids: [] }), null, 'the owner enters');
  });

  it(
    'npm start stops with one sentence that says why and what to do, no stack trace',
    { skip: process.getuid?.() !== 0 && 'only root runs Postgres as another user' },
    () => {
      rmSync(path.join(outer, 'clone'), { recursive: true, force: true });
      chmodSync(outer, 0o700);
      const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
      for (const name of ['DATABASE_URL', 'NODE_ENV']) delete env[name];
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env, encoding: 'utf8', timeout: 60_000 });
      assert.equal(run.status, 1, run.stdout + run.stderr);
      assert.match(run.stderr, new RegExp(`cannot enter ${outer} \\(mode 700\\)`));
      assert.match(run.stderr, /chmod o\+x/);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    },
  );
});
