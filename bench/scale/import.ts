/**
 * Customer CSV import at scale: a million-row Dutch Excel export ("CSV UTF-8":
 * BOM, semicolons, CRLF, Dutch headers, an extra column) built from the seeded customers, as the
 * booking system's nightly export would be: most rows unchanged, 1 % renamed, 1 % new customers,
 * a few bad rows. Baseline: `psql \copy` of the same file into a bare table (parse and load
 * only). Measured: upload through the API until the import workflow reports `completed`, with
 * the time per phase (staging vs validating + applying). Target: import ≤ 2× the baseline.
 *
 * Runs under the lead's harness (bench/scale/run.ts) or standalone against a seeded database:
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/<seeded db> npx tsx bench/scale/import.ts [--rows N]
 * (standalone starts a Temporal dev server, an API process and a worker process of its own).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { isFinished, type ImportStatus } from '../../domain/csv-import/status.js';
import type { ScaleBench, ScaleBenchContext } from './context.js';

const TARGET_RATIO = 2;
const RENAMED_EVERY = 100; // 1 % of the existing customers get a new name
const NEW_EVERY = 100; // 1 % of the rows are new customers
const BAD_EVERY = 10_000; // 0.01 % have an invalid email
const BASELINE_TABLE = 'bench_import_baseline';

interface Expected {
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

const csvField = (value: string) => (/[;"\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/**
 * Writes the export: row i is a new customer when i % NEW_EVERY == 0, an invalid email when
 * i % BAD_EVERY == 1, else the next seeded customer (renamed when its index % RENAMED_EVERY == 0).
 */
async function writeExport(context: ScaleBenchContext, file: string, rows: number): Promise<Expected> {
  const expected: Expected = { rows, inserted: 0, updated: 0, unchanged: 0, rejected: 0 };
  const existingNeeded = rows - Math.floor(rows / NEW_EVERY);
  // UTF-8: Windows-1252 cannot spell every seeded name (it would turn them into '?', i.e. updates)
  const out = createWriteStream(file);
  out.write('\ufeffKlantnummer;Naam;E-mailadres;Taal;Woonplaats\r\n');
  const tag = Date.now().toString(36);
  const customers = context
    .db('customers')
    .select('bebsy_customer_id', 'name', 'email', 'locale')
    .orderBy('id')
    .limit(existingNeeded)
    .stream();
  const iterator = customers[Symbol.asyncIterator]() as AsyncIterator<{
    bebsy_customer_id: string;
    name: string;
    email: string;
    locale: string;
  }>;
  let chunk = '';
  for (let i = 1; i <= rows; i++) {
    let line: string;
    if (i % NEW_EVERY === 0) {
      line = `BENCH-${tag}-${i};Nieuwe Klant ${i};nieuw.${tag}.${i}@voorbeeld.nl;nl;Utrecht`;
      expected.inserted++;
    } else {
      const { value: c, done } = await iterator.next();
      if (done) throw new Error(`the database has fewer than ${existingNeeded} customers: seed it first (npm run seed:large)`);
      const renamed = i % RENAMED_EVERY === 1;
      const bad = i % BAD_EVERY === 1;
      const email = bad ? 'geen-geldig-adres' : i % 7 === 0 ? c.email.toUpperCase() : c.email;
      line = [c.bebsy_customer_id, renamed ? `${c.name} (gewijzigd)` : c.name, ` ${email} `, c.locale, 'Amsterdam'].map(csvField).join(';');
      if (bad) expected.rejected++;
      else if (renamed) expected.updated++;
      else expected.unchanged++;
    }
    chunk += `${line}\r\n`;
    if (i % 10_000 === 0) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  await iterator.return?.();
  out.end(chunk);
  await once(out, 'finish');
  return expected;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${stderr}`))));
  });
}

/** `psql \copy` of the file into a bare table of text columns: parsing and loading, nothing else. */
async function baselineCopy(context: ScaleBenchContext, file: string): Promise<number> {
  await context.db.raw(
    `DROP TABLE IF EXISTS ${BASELINE_TABLE}; CREATE TABLE ${BASELINE_TABLE} (klantnummer text, naam text, email text, taal text, woonplaats text)`,
  );
  try {
    const started = performance.now();
    await run('psql', [
      context.databaseUrl,
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `\\copy ${BASELINE_TABLE} FROM '${file}' WITH (FORMAT csv, DELIMITER ';', HEADER true, ENCODING 'UTF8')`,
    ]);
    return performance.now() - started;
  } finally {
    await context.db.raw(`DROP TABLE IF EXISTS ${BASELINE_TABLE}`);
  }
}

interface ImportReply {
  id: string;
  status: ImportStatus;
  phase: string;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  error: string | null;
}

/** Upload + import through the API until it has ended; answers the times (ms) and the final import. */
async function apiImport(context: ScaleBenchContext, file: string) {
  const headers = { authorization: `Bearer ${context.token}` };
  const started = performance.now();
  const form = new FormData();
  form.append('file', await openAsBlob(file, { type: 'text/csv' }), 'klanten-export.csv');
  const res = await fetch(`${context.api.url}/api/customers/import`, { method: 'POST', headers, body: form });
  if (res.status !== 202) throw new Error(`upload: ${res.status} ${await res.text()}`);
  const uploadedMs = performance.now() - started;
  let job = (await res.json()) as ImportReply;
  let validatingAt: number | null = null;
  for (;;) {
    const poll = await fetch(`${context.api.url}/api/imports/${job.id}`, { headers });
    job = (await poll.json()) as ImportReply;
    if (job.phase === 'validating' && validatingAt === null) validatingAt = performance.now() - started;
    if (isFinished(job.status)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { totalMs: performance.now() - started, uploadedMs, validatingAt, job };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export const benchImport: ScaleBench = async (context) => {
  // 1M rows when the seed has the 990k existing customers they name
  return benchImportRows(context, Math.min(1_000_000, Math.floor((context.rows.customers * NEW_EVERY) / (NEW_EVERY - 1))));
};

async function benchImportRows(context: ScaleBenchContext, rows: number) {
  const file = path.join(context.workDir, 'klanten-export-excel.csv');
  context.log(`import: writing a ${rows.toLocaleString('en')}-row Excel export (UTF-8 with BOM, semicolons, CRLF)`);
  const expected = await writeExport(context, file, rows);
  const { size } = await stat(file);
  try {
    context.log('import: baseline psql \\copy');
    const baselineMs = await baselineCopy(context, file);
    context.log('import: upload + import through the API');
    const { totalMs, uploadedMs, validatingAt, job } = await apiImport(context, file);
    const ratio = totalMs / baselineMs;
    const counts = { inserted: job.inserted, updated: job.updated, unchanged: job.unchanged, rejected: job.rejected };
    const countsRight = job.status === 'completed' && Object.entries(counts).every(([k, v]) => v === expected[k as keyof typeof counts]);
    return {
      name: 'customer import',
      lines: [
        `file: ${rows.toLocaleString('en')} rows, ${(size / 1024 / 1024).toFixed(1)} MB (UTF-8 BOM, ';', CRLF, Dutch headers)`,
        `baseline psql \\copy into a bare table: ${seconds(baselineMs)}`,
        `API import ${job.id} (${job.status}${job.error ? `: ${job.error}` : ''}): ${seconds(totalMs)} = upload ${seconds(uploadedMs)}` +
          (validatingAt !== null ? `, staging until ${seconds(validatingAt)}, validate + apply ${seconds(totalMs - validatingAt)}` : ''),
        `ratio import / \\copy: ${ratio.toFixed(2)}×`,
        `counts: inserted ${counts.inserted}, updated ${counts.updated}, unchanged ${counts.unchanged}, rejected ${counts.rejected} (expected ${expected.inserted} / ${expected.updated} / ${expected.unchanged} / ${expected.rejected})`,
      ],
      targets: [
        {
          description: `import <= ${TARGET_RATIO}× psql \\copy: ${ratio.toFixed(2)}×  ${ratio <= TARGET_RATIO ? 'met' : 'MISSED'}`,
          met: ratio <= TARGET_RATIO,
        },
        { description: `import counts as expected: ${countsRight ? 'met' : 'MISSED'}`, met: countsRight },
      ],
    };
  } finally {
    await rm(file, { force: true });
  }
}

/** Standalone: a Temporal dev server, an API and a worker process against DATABASE_URL (seeded). */
async function standalone() {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' } } });
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('set DATABASE_URL to a database seeded with npm run seed:large');
  const { createDb } = await import('../../db/knex.js');
  const { migrateToLatest } = await import('../../db/migrate.js');
  const { startDevTemporal } = await import('../../scripts/infra/dev-temporal.js');
  const { referralSearchAttributes } = await import('../../domain/search-attributes.js');
  const db = createDb(databaseUrl);
  await migrateToLatest(db);
  const temporal = await startDevTemporal({ searchAttributes: referralSearchAttributes, uiPort: false });
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'bench-import-'));
  const port = 40_000 + Math.floor(Math.random() * 10_000);
  const env = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `bench-import-${process.pid}`,
    PORT: String(port),
    HOST: '127.0.0.1',
    IMPORT_STORAGE_DIR: path.join(workDir, 'storage'),
  };
  const children = ['api/main.ts', 'worker/main.ts'].map((entry) =>
    spawn(process.execPath, ['--import', 'tsx', entry], { env, stdio: ['ignore', 'ignore', 'inherit'] }),
  );
  try {
    const url = `http://127.0.0.1:${port}`;
    let token = '';
    for (let i = 0; i < 600 && !token; i++) {
      const login = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'admin123' }),
      }).catch(() => null);
      if (login?.ok) token = ((await login.json()) as { token: string }).token;
      else await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 3000)); // the worker starts polling
    const context: ScaleBenchContext = {
      databaseUrl,
      db,
      api: { url, pid: children[0].pid!, rssMb: () => 0 },
      token,
      rows: { customers: Number(values.rows), referrals: 0 },
      workDir,
      log: (line) => console.log(line),
    };
    const result = await benchImportRows(context, Number(values.rows));
    console.log([result.name, ...result.lines, ...result.targets.map((t) => t.description)].join('\n'));
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await temporal.stop();
    await db.destroy();
    await rm(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await standalone();
