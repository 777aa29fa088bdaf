/**
 * The million-row benchmarks, each against a baseline measured side by side:
 *
 *   npm run bench -- --suite scale                                  (1M customers, 2M referrals)
 *   npm run bench -- --suite scale --customers 100000 --referrals 200000 --only search,fixed-rate
 *
 * Prepares once: a fresh database on DATABASE_URL's server (else the embedded one) seeded by
 * seed:large and vacuumed, an in-memory Temporal dev server, a worker process and an API process
 * (separate processes compiled by scripts/build-server.ts, as the Docker image runs them, so the
 * API's memory can be read). Then runs the chosen
 * measurements in a fixed order (the import last: it adds customers) and prints every target.
 * Exit code 0 when the benchmarks ran (a missed target is printed), 1 when one broke.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDb } from '../../db/knex.js';
import { seedLarge } from '../../scripts/seed-large/seed.js';
import { cleanupsOnExitOrSignal } from '../../scripts/infra/cleanups.js';
import { startInfra } from '../infra.js';
import type { ScaleBench, ScaleBenchContext, ScaleBenchResult } from './context.js';
import { benchDashboard } from './dashboard.js';
import { benchExport } from './export.js';
import { benchFixedRate } from './fixed-rate.js';
import { benchImport } from './import.js';
import { benchCustomerSearch } from './search.js';
import { buildStack, startFreshStack, startStack, type StackSettings } from './stack.js';

const BENCHES: Record<string, ScaleBench> = {
  search: benchCustomerSearch,
  'fixed-rate': benchFixedRate,
  dashboard: benchDashboard,
  export: benchExport,
  import: benchImport,
};

const USAGE = `usage: npm run bench -- --suite scale [--customers N] [--referrals N] [--only ${Object.keys(BENCHES).join(',')}]`;
const log = (line: string) => console.log(`[bench:scale] ${line}`);

function options() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      customers: { type: 'string', default: '1000000' },
      referrals: { type: 'string', default: '2000000' },
      only: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const count = (name: string, value: string) => {
    const n = Number(value.replace(/[_,]/g, ''));
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1, got ${value}\n${USAGE}`);
    return n;
  };
  const only = values.only?.split(',').map((s) => s.trim()) ?? Object.keys(BENCHES);
  const unknown = only.filter((name) => !(name in BENCHES));
  if (unknown.length) throw new Error(`unknown benchmark(s) ${unknown.join(', ')}\n${USAGE}`);
  return { customers: count('customers', values.customers), referrals: count('referrals', values.referrals), only };
}

async function main() {
  const { customers, referrals, only } = options();
  const started = performance.now();
  console.log('Bebsy referrals: million-row benchmarks (issue 5)');
  console.log(
    `command   ${[process.env.DATABASE_URL ? 'DATABASE_URL=...' : '', 'npm run bench -- --suite scale', ...process.argv.slice(2)].filter(Boolean).join(' ')}`,
  );
  console.log(
    `machine   ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load ${os.loadavg()[0].toFixed(2)}`,
  );
  const cleanups = cleanupsOnExitOrSignal(log);
  const results: ScaleBenchResult[] = [];
  let broke = false;
  try {
    const infra = await startInfra('memory', log);
    cleanups.push(() => infra.stop());
    const seeded = performance.now();
    await seedLarge({ databaseUrl: infra.databaseUrl, customers, referrals, seed: 42, vacuum: true, log: (line) => log(`seed: ${line}`) });
    log(
      `seeded ${customers.toLocaleString('en')} customers and ${referrals.toLocaleString('en')} referrals in ${((performance.now() - seeded) / 1000).toFixed(0)} s`,
    );

    const workDir = mkdtempSync(path.join(os.tmpdir(), 'bebsy-bench-scale-'));
    cleanups.push(() => rmSync(workDir, { recursive: true, force: true }));
    const settings: StackSettings = {
      build: await buildStack(workDir),
      temporal: { address: infra.temporal.address, namespace: infra.temporal.namespace },
      workDir,
    };
    const stack = await startStack(settings, infra.databaseUrl, 'main');
    cleanups.push(() => stack.stop());
    const db = createDb(infra.databaseUrl);
    cleanups.push(() => db.destroy());
    const context: ScaleBenchContext = {
      databaseUrl: infra.databaseUrl,
      db,
      api: stack.api,
      token: stack.token,
      rows: { customers, referrals },
      workDir,
      freshStack: (tag) => startFreshStack(settings, infra.databaseUrl, tag),
      log,
    };
    console.log(`postgres  ${infra.postgres.version}, ${infra.postgres.source}`);
    console.log(
      `api       ${path.relative(process.cwd(), settings.build.api)} (pid ${stack.api.pid}) at ${stack.api.url}, RSS ${context.api.rss().totalMb.toFixed(0)} MB after start; worker ${path.relative(process.cwd(), settings.build.worker)} (pid ${stack.workerPid})`,
    );
    for (const name of Object.keys(BENCHES).filter((n) => only.includes(n))) {
      log(`-- ${name}`);
      try {
        results.push(await BENCHES[name](context));
      } catch (error) {
        broke = true;
        log(`${name} broke: ${(error as Error).stack ?? error}`);
      }
    }
  } catch (error) {
    broke = true;
    log(`broke: ${(error as Error).stack ?? error}`);
  } finally {
    await cleanups.close();
  }
  for (const result of results) {
    console.log(`\n== ${result.name}`);
    for (const line of result.lines) console.log(`  ${line}`);
  }
  console.log('\n== targets');
  for (const target of results.flatMap((r) => r.targets)) console.log(`  ${target.met ? 'met    ' : 'MISSED '} ${target.description}`);
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s in all)`);
  process.exit(broke ? 1 : 0);
}

await main();
