/**
 * `npx tsx scripts/fuzz.ts`: Schemathesis (PyPI) against the running API's OpenAPI document.
 *
 * Starts the API and a worker like `npm test` starts its system: Postgres from DATABASE_URL when
 * set (a fresh database, dropped after), else an embedded one under .data/fuzz-postgres; an
 * in-memory `temporal server start-dev`. Every rate limit is raised far above what the run sends.
 * It signs in as an admin, seeds a few customers and referrals (so the detail routes have
 * something to answer), then runs `schemathesis run` on /api/docs/json with every phase
 * (examples, coverage, fuzzing, stateful) for FUZZ_MAX_TIME seconds (default 180) with the
 * admin's token, and every check. Signing out (it ends every session of the account) gets a
 * short run of its own at the end, with the same token.
 *
 * Fails on any finding, and on any answer the API logged as an error (a 500, or a stream that
 * broke after its headers went out). Findings: the run's output, and the reports in
 * .data/fuzz-report/ (JUnit, and a pytest file that replays each failure). The API's error log
 * is .data/fuzz-report/api.log.
 *
 * Environment: FUZZ_MAX_TIME (seconds of fuzzing), FUZZ_SEED (replay a run), FUZZ_WORKERS
 * (default 1), FUZZ_ARGS (more `schemathesis run` options, split on spaces).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { apiLogDestination, apiLoggerOptions, buildApi } from '../api/app.js';
import { loadConfig } from '../config/env.js';
import { openDatabase } from '../db/connect.js';
import { referralSearchAttributes } from '../domain/search-attributes.js';
import { startWorker } from '../worker/run.js';
import { dropDatabase, ensureDatabase } from './databases.js';
import { cleanupsOnExitOrSignal } from './infra/cleanups.js';
import { startDevTemporal } from './infra/dev-temporal.js';
import { startEmbeddedPostgres } from './infra/embedded-postgres.js';
import { freePort } from './infra/free-port.js';
import { projectRoot } from './infra/temporal-binaries.js';

/** The Schemathesis release the run is known to work with (its CLI options and checks). */
const SCHEMATHESIS = 'schemathesis==4.32.5';
const venv = path.join(projectRoot, '.tools', 'fuzz-venv');
const schemathesisBin = path.join(venv, 'bin', 'schemathesis');
const configFile = path.join(projectRoot, 'scripts', 'fuzz.toml');

const MAX_TIME_S = Number(process.env.FUZZ_MAX_TIME ?? 180);
// one: Hypothesis describes its strategies with ast.parse, which Python 3.11 is not safe to call from two threads
const WORKERS = process.env.FUZZ_WORKERS ?? '1';
const reportDir = path.join(projectRoot, '.data', 'fuzz-report');
const workDir = path.join(projectRoot, '.data', `fuzz-${process.pid}`);

const step = (message: string) => console.log(`[fuzz] ${message}`);

function run(cmd: string, args: string[], { quiet = false, env = process.env } = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn(cmd, args, { cwd: projectRoot, env, stdio: ['ignore', quiet ? 'pipe' : 'inherit', quiet ? 'pipe' : 'inherit'] });
    child.stdout?.on('data', (d: Buffer) => (output += d));
    child.stderr?.on('data', (d: Buffer) => (output += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

/** Installs the pinned Schemathesis into .tools/fuzz-venv unless it is there already. */
async function ensureSchemathesis(): Promise<void> {
  const wanted = SCHEMATHESIS.split('==')[1];
  if (existsSync(schemathesisBin)) {
    const { output } = await run(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'show', 'schemathesis'], { quiet: true });
    if (output.includes(`Version: ${wanted}`)) return;
  }
  step(`installing ${SCHEMATHESIS} into ${path.relative(projectRoot, venv)}`);
  if (!existsSync(path.join(venv, 'bin', 'python'))) {
    const created = await run('python3', ['-m', 'venv', venv], { quiet: true });
    if (created.code !== 0) throw new Error(`python3 -m venv ${venv} failed:\n${created.output}`);
  }
  const pip = await run(
    path.join(venv, 'bin', 'python'),
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', SCHEMATHESIS],
    {
      quiet: true,
    },
  );
  if (pip.code !== 0) throw new Error(`pip install ${SCHEMATHESIS} failed:\n${pip.output}`);
}

const stops = cleanupsOnExitOrSignal((line) => console.error(`[fuzz] ${line}`));

async function main(): Promise<number> {
  await ensureSchemathesis();
  rmSync(reportDir, { recursive: true, force: true });
  mkdirSync(reportDir, { recursive: true });
  stops.push(async () => rmSync(workDir, { recursive: true, force: true }));

  const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres({ dataDir: '.data/fuzz-postgres' });
  if (embedded) stops.push(embedded.stop);
  const serverUrl = process.env.DATABASE_URL ?? embedded!.url;
  const database = `bebsy_fuzz_${Date.now()}_${process.pid}`;
  const databaseUrl = await ensureDatabase(serverUrl, database);
  stops.push(() => dropDatabase(serverUrl, database));
  step(`database ${database} on ${embedded ? 'an embedded Postgres' : 'DATABASE_URL'}`);

  const temporal = await startDevTemporal({ searchAttributes: referralSearchAttributes, uiPort: false });
  stops.push(temporal.stop);
  step(`temporal dev server at ${temporal.address}`);

  const port = await freePort();
  const adminPassword = randomBytes(18).toString('base64url');
  const raised = '1000000/1m';
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    DATA_DIR: workDir,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `fuzz-${process.pid}`,
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: adminPassword,
    APPROVAL_DIGEST_CRON: 'off',
    EMAIL_TRANSPORT: 'outbox',
    // the limiter runs (its headers on every answer) but never answers 429 to the fuzzer
    ...Object.fromEntries(
      ['API', 'ADMIN', 'LOGIN_IP', 'LOGIN_ACCOUNT', 'REFERRAL_FORM', 'CODE_LOOKUP', 'WEBHOOKS'].map((n) => [`RATE_LIMIT_${n}`, raised]),
    ),
  });

  const db = await openDatabase(config, databaseUrl);
  stops.push(() => db.destroy());
  const worker = await startWorker(config, db, temporal.address);
  stops.push(worker.stop);
  const connection = await Connection.connect({ address: temporal.address });
  stops.push(() => connection.close());
  const apiLog = path.join(reportDir, 'api.log');
  const app = await buildApi({
    config,
    db,
    temporal: {
      client: new Client({ connection, namespace: config.temporal.namespace }),
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      webUrl: config.temporal.webUrl,
    },
    // info: the request lines too, so an error names the request it answered
    logger: { ...apiLoggerOptions('info'), stream: apiLogDestination(apiLog) },
  });
  stops.push(() => app.close());
  const base = await app.listen({ host: '127.0.0.1', port });
  step(`API at ${base}, worker on task queue ${config.temporal.taskQueue}`);

  const { token, cursors } = await seed(base, adminPassword);
  const schema = `${base}/api/docs/json`;
  const env = {
    ...process.env,
    SCHEMATHESIS_HOOKS: path.join(projectRoot, 'scripts', 'fuzz-hooks.py'),
    FUZZ_CURSORS: JSON.stringify(cursors),
    FUZZ_WEBHOOK_SECRET: config.webhooks.bookingSecret,
  };
  const common = [
    '--url',
    base,
    '--header',
    `Authorization: Bearer ${token}`,
    '--checks',
    'all',
    '--workers',
    WORKERS,
    '--request-timeout',
    '30',
    '--suppress-health-check',
    'too_slow,filter_too_much',
    '--generation-database',
    'none',
    '--no-color',
    ...(process.env.FUZZ_SEED ? ['--seed', process.env.FUZZ_SEED] : []),
  ];
  /** One schemathesis run against the schema with the options every run shares. */
  const schemathesis = (args: string[]) => run(schemathesisBin, ['--config-file', configFile, 'run', schema, ...common, ...args], { env });
  step(`schemathesis: all phases for ${MAX_TIME_S} s on ${schema}`);
  const main = await schemathesis([
    '--phases',
    'examples,coverage,fuzzing,stateful',
    '--max-time',
    String(MAX_TIME_S),
    '--exclude-path',
    '/api/auth/logout',
    '--report',
    'junit,pytest',
    '--report-dir',
    reportDir,
    ...(process.env.FUZZ_ARGS?.split(' ').filter(Boolean) ?? []),
  ]);
  // last: a successful sign-out ends the token every other request uses
  step('schemathesis: POST /api/auth/logout');
  const logout = await schemathesis([
    '--phases',
    'examples,coverage,fuzzing',
    '--max-examples',
    '20',
    '--include-path',
    '/api/auth/logout',
  ]);

  const errors = loggedErrors(apiLog);
  if (errors.length > 0) {
    console.error(`[fuzz] the API logged ${errors.length} error(s) (${path.relative(projectRoot, apiLog)}):`);
    for (const line of errors.slice(0, 20)) console.error(`  ${line}`);
  }
  const failed = main.code !== 0 || logout.code !== 0 || errors.length > 0;
  step(failed ? 'FAILED: see the findings above' : 'no findings');
  return failed ? 1 : 0;
}

/**
 * Signs in as the admin and seeds a few customers and referrals, so detail routes and searches
 * find rows; answers the token and a real cursor of each list and sort (for fuzz-hooks.py).
 */
async function seed(base: string, password: string) {
  const call = async (method: string, url: string, body?: unknown, token?: string) => {
    const res = await fetch(`${base}/api${url}`, {
      method,
      headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...(token && { authorization: `Bearer ${token}` }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`seed: ${method} ${url} answered ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };
  const { token } = (await call('POST', '/auth/login', { username: 'admin', password })) as { token: string };
  for (let i = 1; i <= 3; i++) {
    const customer = await call(
      'POST',
      '/customers',
      { bebsy_customer_id: `FUZZ-${i}`, name: `Fuzz Klant ${i}`, email: `klant${i}@example.nl` },
      token,
    );
    await call('POST', '/referrals', {
      referrer_code: customer.referral_code,
      new_customer_email: `vriend${i}@example.com`,
      booking_reference: `BK-${i}`,
    });
  }
  const cursorOf = async (url: string) => {
    const { pagination } = (await call('GET', url, undefined, token)) as { pagination: { next_cursor: string } };
    return pagination.next_cursor;
  };
  const cursors = {
    '/api/customers': { newest: await cursorOf('/customers?limit=1') },
    '/api/referrals': { newest: await cursorOf('/referrals?limit=1'), oldest: await cursorOf('/referrals?limit=1&sort=oldest') },
  };
  step('signed in; seeded 3 customers with a referral each');
  return { token, cursors };
}

/** The API's log lines at level error or above, each with the request it answered. */
function loggedErrors(file: string): string[] {
  if (!existsSync(file)) return [];
  type Entry = {
    level: number;
    reqId?: string;
    msg?: string;
    req?: { method?: string; url?: string };
    err?: { stack?: string; message?: string };
  };
  const entries = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Entry);
  const requests = new Map(entries.filter((e) => e.req && e.reqId).map((e) => [e.reqId, `${e.req!.method} ${e.req!.url}`]));
  return entries
    .filter((e) => e.level >= 50)
    .map((e) => `${requests.get(e.reqId) ?? '(no request)'}: ${e.msg ?? ''}${e.err ? `: ${e.err.stack ?? e.err.message}` : ''}`);
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error('[fuzz]', error);
} finally {
  await stops.close();
}
process.exit(exitCode);
