/**
 * `npm test`: starts what the suites share, then runs them with node's test runner.
 *
 * - Postgres: the server in DATABASE_URL when set (CI points it at the machine's Postgres),
 *   else an embedded Postgres under .data/test-postgres; a fresh database per run, dropped after.
 * - Temporal: an in-memory `temporal server start-dev` with the project's search attributes.
 * - The workflow bundle is built once (this also proves workflows/ bundles for the sandbox),
 *   and the admin UI when its build is missing or older than its sources (browser tests).
 * Test files run one at a time: the time-skipping test server's clock is global.
 */
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createDb } from '../db/knex.js';
import { migrateToLatest } from '../db/migrate.js';
import { referralSearchAttributes } from '../domain/search-attributes.js';
import { buildUi } from './build-ui.js';
import { bundleWorkflows } from './bundle-workflows.js';
import { dropDatabase, ensureDatabase } from './databases.js';
import { startDevTemporal } from './infra/dev-temporal.js';
import { startEmbeddedPostgres } from './infra/embedded-postgres.js';
import { resolveTemporalBinary } from './infra/temporal-binaries.js';

const step = (message: string) => console.log(`[test] ${message}`);

// The files first: a filter that matches none must fail, not hand node --test an empty list
// (its own discovery would then run whatever it finds, or nothing, and pass).
const filter = process.argv.slice(2);
const files = readdirSync('test', { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => path.join('test', f))
  .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)))
  .sort();
if (files.length === 0) {
  console.error(`[test] no test file under test/ has a path containing ${filter.map((part) => `"${part}"`).join(' or ')}: nothing to run`);
  process.exit(1);
}

/**
 * A hung test fails instead of stalling CI. node --test applies its timeout to each file as a
 * whole (and to every test in it), so it is a per-file budget: the slowest file takes about a
 * minute here.
 */
const TEST_TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS ?? 300_000);

const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres({ dataDir: '.data/test-postgres' });
const serverUrl = process.env.DATABASE_URL ?? embedded!.url;
const database = `bebsy_test_${Date.now()}_${process.pid}`;
const databaseUrl = await ensureDatabase(serverUrl, database);
step(`database ${database} on ${embedded ? 'an embedded Postgres' : 'DATABASE_URL'}`);
const db = createDb(databaseUrl);
await migrateToLatest(db);
await db.destroy();

// A bundle file of this run's own: test runs side by side must not overwrite each other's workflows.
const bundlePath = path.resolve(`.data/test-workflow-bundle-${process.pid}.js`);
await buildUi({ onlyWhenStale: true });
step('admin UI built');
const [temporal, testServer, bundle] = await Promise.all([
  startDevTemporal({ searchAttributes: referralSearchAttributes, uiPort: false }),
  resolveTemporalBinary('temporal-test-server'),
  bundleWorkflows(bundlePath),
]);
step(`temporal dev server at ${temporal.address}; workflows bundled`);

const exitCode = await new Promise<number>((resolve) => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', `--test-timeout=${TEST_TIMEOUT_MS}`, ...files],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        NODE_ENV: 'test',
        TEST_DATABASE_URL: databaseUrl,
        TEST_TEMPORAL_ADDRESS: temporal.address,
        WORKFLOW_BUNDLE_PATH: bundle,
        ...(testServer.kind === 'path' && { TEMPORAL_TEST_SERVER_PATH: testServer.path }),
      },
    },
  );
  child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
});

await temporal.stop();
rmSync(bundlePath, { force: true });
await dropDatabase(serverUrl, database);
await embedded?.stop();
process.exit(exitCode);
