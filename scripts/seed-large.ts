/**
 * `npm run seed:large -- --customers 1000000 --referrals 2000000 [--seed 42] [--database-url URL] [--vacuum]`
 *
 * Fills the database with realistic Dutch data, fast: customers with Dutch names (tussenvoegsels
 * included), emails at Dutch providers, BEB-0001234 numbers and referral codes; referrals in
 * every status with consistent timestamps, bookings, flags and rejection reasons; a reward per
 * paid referral. Rows are streamed with COPY, appended above the current ids (nothing is dropped
 * or changed, so it can run on top of a development database), then the sequences are set and
 * the tables analysed. Prints progress and the rows/s at the end.
 *
 * Database: --database-url, else DATABASE_URL (or DB_*), else the embedded Postgres that
 * `npm start` uses (DATA_DIR/postgres, database bebsy_referrals): the running one when
 * `npm start` is up, otherwise started for the run and stopped after it.
 *
 * Generated referrals have no workflow: their workflow_id is `referral-<id>` (real ones carry a
 * random part too: domain/workflow-ids.ts), but no such workflow runs in Temporal, so the admin UI's live detail (a workflow query) and
 * admin actions on them fail or find nothing, and no timer will expire, approve or pay them.
 * They exist to exercise lists, search, exports, analytics and benchmarks at scale. Status
 * changes follow the lifecycle's rules and settings (REFERRAL_EXPIRY_DAYS, REWARD_HOLD_DAYS,
 * CLAWBACK_WINDOW_DAYS, DEFAULT_REWARD_AMOUNT) as they would have happened up to now.
 */
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../config/load-or-exit.js';
import { ensureDatabase } from './databases.js';
import { SCALE_SETTINGS, startEmbeddedPostgres } from './infra/embedded-postgres.js';
import { isPidAlive } from './infra/processes.js';
import { seedLarge } from './seed-large/seed.js';

const USAGE = `Usage: npm run seed:large -- [--customers N] [--referrals N] [--seed N] [--database-url URL] [--jobs N] [--vacuum]
  --customers N       customers to add (default 100000)
  --referrals N       referrals to add (default 200000); paid ones get a reward each
  --seed N            PRNG seed for reproducible data (default: random, printed)
  --database-url URL  target database (default: DATABASE_URL / DB_*, else the embedded Postgres of npm start)
  --years N           how far back the history goes (default 3)
  --jobs N            parallel COPY streams (default: the CPU count, at most 4)
  --vacuum            VACUUM (ANALYZE) at the end instead of ANALYZE (slower; enables index-only scans at once)`;

function count(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/[_,]/g, ''));
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number ≥ 0, got ${JSON.stringify(value)}\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

let args;
try {
  args = parseArgs({
    options: {
      customers: { type: 'string' },
      referrals: { type: 'string' },
      seed: { type: 'string' },
      'database-url': { type: 'string' },
      years: { type: 'string' },
      jobs: { type: 'string' },
      vacuum: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }).values;
} catch (error) {
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const config = loadConfigOrExit();
const customers = count('customers', args.customers, 100_000);
const referrals = count('referrals', args.referrals, 200_000);
const seed = count('seed', args.seed, randomInt(2 ** 31));
const jobs = args.jobs === undefined ? undefined : Math.max(count('jobs', args.jobs, 1), 1);
const years = args.years === undefined ? 3 : Number(args.years);
if (!(years > 0 && years <= 30)) {
  console.error('--years must be between 0 and 30');
  process.exit(2);
}

const stops: Array<() => Promise<void>> = [];
// Ctrl-C: stop between chunks and remove what was added (a second Ctrl-C ends the process at once).
const interrupt = new AbortController();
process.once('SIGINT', () => {
  console.log('\nseed:large: interrupted; removing the rows added so far (Ctrl-C again to quit at once)');
  interrupt.abort(new Error('interrupted'));
});
let databaseUrl = args['database-url'] ?? config.database.url;
try {
  if (!databaseUrl) {
    const dataDir = path.resolve(config.dataDir, 'postgres');
    const running = runningEmbeddedPostgres(dataDir);
    let serverUrl: string;
    if (running) {
      console.log(`seed:large: using the embedded Postgres already running on ${dataDir} (port ${running.port})`);
      serverUrl = `postgres://postgres:postgres@127.0.0.1:${running.port}/postgres`;
    } else {
      console.log(`seed:large: starting the embedded Postgres (data in ${dataDir})`);
      const embedded = await startEmbeddedPostgres({ dataDir, port: config.database.embeddedPort || undefined, settings: SCALE_SETTINGS });
      stops.push(embedded.stop);
      serverUrl = embedded.url;
    }
    databaseUrl = await ensureDatabase(serverUrl, 'bebsy_referrals');
  }
  await seedLarge({
    databaseUrl,
    customers,
    referrals,
    seed,
    years,
    jobs,
    vacuum: args.vacuum,
    signal: interrupt.signal,
    lifecycle: {
      rewardAmountCents: config.referrals.rewardAmountCents,
      expiryDays: config.referrals.expiryDays,
      rewardHoldDays: config.referrals.rewardHoldDays,
      clawbackWindowDays: config.referrals.clawbackWindowDays,
    },
  });
} catch (error) {
  console.error(`seed:large failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  for (const stop of stops.reverse()) await stop();
}

/** The port of a Postgres running on dataDir (started by `npm start`), from its postmaster.pid. */
function runningEmbeddedPostgres(dataDir: string): { port: number } | null {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return pid > 0 && isPidAlive(pid) && port > 0 ? { port } : null;
}
