/**
 * `npm run test:faults`: the fault suite (test/faults/*.fault.ts, docs/testing.md). Each
 * scenario puts the real processes (API, worker) under load, breaks something on purpose and
 * prints the invariants it checked. Not part of `npm test`: the scenarios take minutes and
 * kill processes.
 *
 * Like scripts/test.ts it starts what the scenarios share: Postgres (DATABASE_URL when set,
 * else an embedded Postgres under .data/test-faults-postgres) where each scenario makes a
 * database of its own, an in-memory Temporal dev server, and the workflow bundle the worker
 * processes load (WORKFLOW_BUNDLE_PATH). Scenarios that stop Postgres or Temporal start their
 * own (pg_ctl, a dev server on a SQLite file). `npm run test:faults -- webhooks` runs the files
 * whose path contains `webhooks`.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createDb } from '../db/knex.js';
import { migrateToLatest } from '../db/migrate.js';
import { referralSearchAttributes } from '../domain/search-attributes.js';
import { scenarioDatabasePrefix } from '../test/faults/lib/names.js';
import { bundleWorkflows } from './bundle-workflows.js';
import { dropDatabase, ensureDatabase, withDatabase } from './databases.js';
import { startDevTemporal } from './infra/dev-temporal.js';
import { startEmbeddedPostgres } from './infra/embedded-postgres.js';

const step = (message: string) => console.log(`[test:faults] ${message}`);

const filter = process.argv.slice(2);
const files = readdirSync('test/faults')
  .filter((f) => f.endsWith('.fault.ts'))
  .map((f) => path.join('test/faults', f))
  .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)))
  .sort();
if (files.length === 0) {
  console.error(`[test:faults] no scenario under test/faults/ has a path containing ${filter.map((p) => `"${p}"`).join(' or ')}`);
  process.exit(1);
}

/** Per scenario file: the slowest takes about a minute and a half here; a hung one fails instead of stalling CI. */
const SCENARIO_TIMEOUT_MS = Number(process.env.FAULT_TIMEOUT_MS ?? 300_000);

const started = Date.now();
const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres({ dataDir: '.data/test-faults-postgres' });
const serverUrl = process.env.DATABASE_URL ?? embedded!.url;
// A migrated database for test/support/system.ts (TEST_DATABASE_URL); the scenarios make their own beside it.
const database = `bebsy_faults_${Date.now()}_${process.pid}`;
const databaseUrl = await ensureDatabase(serverUrl, database);
const db = createDb(databaseUrl);
await migrateToLatest(db);
await db.destroy();
step(`Postgres: ${embedded ? 'an embedded server' : 'DATABASE_URL'}`);

const bundlePath = path.resolve(`.data/test-faults-workflow-bundle-${process.pid}.js`);
const [temporal, bundle] = await Promise.all([
  startDevTemporal({ searchAttributes: referralSearchAttributes, uiPort: false }),
  bundleWorkflows(bundlePath),
]);
step(`Temporal dev server at ${temporal.address}; workflows bundled; running ${files.length} scenario(s)`);

// Marks every process the scenarios start (they inherit the environment), so none outlives the run.
const runId = `${process.pid}-${started}`;
const exitCode = await new Promise<number>((resolve) => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', `--test-timeout=${SCENARIO_TIMEOUT_MS}`, '--test-reporter=spec', ...files],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        NODE_ENV: 'test',
        TEST_DATABASE_URL: databaseUrl,
        TEST_TEMPORAL_ADDRESS: temporal.address,
        WORKFLOW_BUNDLE_PATH: bundle,
        BEBSY_FAULTS_RUN: runId,
      },
    },
  );
  child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
});

for (const pid of processesMarked(`BEBSY_FAULTS_RUN=${runId}`)) {
  step(`stopping pid ${pid}, left running by a scenario`);
  process.kill(pid, 'SIGKILL');
}
await temporal.stop();
rmSync(bundlePath, { force: true });
await dropDatabase(serverUrl, database);
for (const left of await databasesLike(serverUrl, scenarioDatabasePrefix(runId))) await dropDatabase(serverUrl, left);
await embedded?.stop();
step(`done in ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(exitCode);

/** Processes (other than this one) whose environment carries the mark. */
function processesMarked(mark: string): number[] {
  if (!existsSync('/proc/self/environ')) return [];
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(mark);
      } catch {
        return false; // gone, or not ours to read
      }
    })
    .map(Number);
}

/** The databases on the server whose name starts with the prefix. */
async function databasesLike(url: string, prefix: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    return rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}
