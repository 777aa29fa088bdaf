import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import argon2 from 'argon2';
import { createCustomer } from '../db/repositories/customers.js';
import { createDb, type Db } from '../db/knex.js';
import { freePort } from '../scripts/infra/free-port.js';
import { eventually, testEnv, unique } from './support/system.js';

/**
 * A newcomer's first `npm start`: a copy of the working tree as a fresh clone has it (no
 * ui/dist, no .data), NODE_ENV unset, so the start builds the admin UI itself before the first
 * email renders. Postgres and Temporal are the suite's (DATABASE_URL / TEMPORAL_ADDRESS): what
 * is under test is the start process, not the embedded servers. Before the fix, Vite's build
 * set NODE_ENV=production inside that process and every email failed to render.
 */
describe('the first npm start of a fresh clone', { timeout: 180_000 }, () => {
  let clone: string;
  let start: ChildProcess;
  let output = '';
  let api: string;
  let port: number;
  let db: Db;

  before(async () => {
    clone = mkdtempSync(path.join(tmpdir(), 'bebsy-fresh-clone-'));
    const files = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { encoding: 'utf8' })
      .stdout.split('\0')
      .filter(Boolean);
    for (const file of files) {
      if (!existsSync(file) || !lstatSync(file).isFile()) continue; // deleted in the work tree, or a link (node_modules in a worktree)
      mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
      copyFileSync(file, path.join(clone, file));
    }
    symlinkSync(path.resolve('node_modules'), path.join(clone, 'node_modules'));
    assert.equal(existsSync(path.join(clone, 'ui', 'dist')), false, 'the clone has no built UI');

    port = await freePort();
    api = `http://127.0.0.1:${port}/api`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: testEnv.databaseUrl,
      TEMPORAL_ADDRESS: testEnv.temporalAddress,
      TEMPORAL_TASK_QUEUE: unique('first-start-'),
      APPROVAL_DIGEST_CRON: 'off',
      PORT: String(port),
      REWARD_HOLD_DAYS: '0', // as the README's curl walk asks
    };
    for (const name of ['NODE_ENV', 'WORKFLOW_BUNDLE_PATH', 'TEST_DATABASE_URL', 'TEST_TEMPORAL_ADDRESS']) delete env[name];
    start = spawn('npm', ['start'], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    start.stdout!.on('data', (chunk) => (output += chunk));
    start.stderr!.on('data', (chunk) => (output += chunk));
    db = createDb(testEnv.databaseUrl);
    await eventually(
      () =>
        fetch(`${api}/health`).then(
          (res) => res.ok,
          () => false,
        ),
      { timeoutMs: 150_000, intervalMs: 500 },
    ).catch((error) => {
      throw new Error(`npm start did not answer /api/health: ${error.message}\n${output}`);
    });
  });

  after(async () => {
    if (start?.pid && start.exitCode === null) {
      const exited = new Promise((resolve) => start.once('exit', resolve));
      process.kill(-start.pid, 'SIGINT');
      await exited;
    }
    await db?.destroy();
    if (clone) rmSync(clone, { recursive: true, force: true });
  });

  it('built the admin UI in that same start and serves it', async () => {
    assert.ok(existsSync(path.join(clone, 'ui', 'dist', 'index.html')), output);
    const page = await fetch(api.replace(/\/api$/, '/'));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="root">/);
  });

  it("renders the friend's welcome email into the outbox within seconds of the submission", async () => {
    const marker = unique('fresh');
    const referrer = await createCustomer(db, {
      bebsy_customer_id: marker,
      name: 'Eva Nieuw',
      email: `${marker}@example.nl`,
      locale: 'nl',
    });
    assert.equal(referrer.kind, 'created');
    const friend = `vriend.${marker}@example.nl`;
    const submitted = Date.now();
    const res = await fetch(`${api}/referrals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ referrer_code: referrer.customer.referral_code, new_customer_email: friend }),
    });
    assert.equal(res.status, 201, await res.clone().text());

    // stored first (queued), then handed to the transport (the outbox's own marks it sent)
    const welcome = await eventually(
      () => db('email_outbox').where({ to_address: friend, kind: 'friend_welcome' }).whereNot('status', 'queued').first(),
      {
        timeoutMs: 20_000,
      },
    ).catch((error) => {
      throw new Error(`${error.message}; npm start printed:\n${output}`);
    });
    assert.equal(welcome.status, 'sent', welcome.error ?? '');
    assert.match(welcome.html, /<html/);
    assert.ok(welcome.text.length > 0);
    console.log(`welcome email stored ${Date.now() - submitted} ms after the submission`);
    assert.doesNotMatch(output, /getOwner is not a function/);
  });

  it('renders template previews for an admin (500 before the fix)', async () => {
    const username = unique('first-start-admin');
    await db('admin_users').insert({
      username,
      password_hash: await argon2.hash('a-long-enough-password'),
      role: 'admin',
      must_change_password: false,
    });
    const login = await fetch(`${api}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: 'a-long-enough-password' }),
    });
    assert.equal(login.status, 200);
    const { token } = (await login.json()) as { token: string };
    const preview = await fetch(`${api}/emails/preview/friend_welcome?locale=nl`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(preview.status, 200, await preview.clone().text());
    assert.match(((await preview.json()) as { html: string }).html, /<html/);
  });

  it("runs the README's curl walk as pasted, from submission to paid", async () => {
    const readme = readFileSync('README.md', 'utf8');
    const walk = /```bash\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Walk a referral')))?.[1];
    assert.ok(walk, "the README's walk section has a bash block");
    const run = spawnSync('bash', ['-c', walk], { env: { ...process.env, PORT: String(port) }, encoding: 'utf8', timeout: 90_000 });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.ok(lines.includes('paid'), `the walk ended without paid:\n${run.stdout}\n${run.stderr}`);
    assert.match(lines.at(-1)!, /^BEBSY-[A-Z0-9]{8}$/, 'the last line is the voucher');
  });
});
