import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getImportJson, importEnded, uploadImport, writeLargeCsv } from './support/imports.js';
import { adminToken, eventually, startTestSystem, testEnv, type TestSystem } from './support/system.js';
import { activityAttempts, importWorkflow } from './support/workflows.js';

const ROWS = 150_000;

/** A real worker process killed with SIGKILL mid-import: the restarted worker resumes and completes it. */
describe('a customer import whose worker is killed', () => {
  let system: TestSystem;
  let token: string;
  let dir: string;
  let workerProcess: ChildProcess | null = null;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bebsy-import-restart-'));
    system = await startTestSystem({ IMPORT_STORAGE_DIR: path.join(dir, 'storage') }, { worker: false });
    token = await adminToken(system.app);
  });
  after(async () => {
    workerProcess?.kill('SIGKILL');
    await system.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function startWorkerProcess(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: testEnv.databaseUrl,
        TEMPORAL_ADDRESS: testEnv.temporalAddress,
        TEMPORAL_TASK_QUEUE: system.taskQueue,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    await eventually(async () => output.includes('worker polling'), { timeoutMs: 30_000 });
    return child;
  }

  /**
   * Every write of the import's progress columns, in commit order, kept by a trigger in a table
   * of this test's own: what each staging attempt committed, and where the retry started.
   */
  const progressLog = `test_import_restart_progress_${process.pid}`;
  async function recordProgressWrites(importId: string): Promise<void> {
    await system.db.raw(`CREATE TABLE ${progressLog} (seq bigserial PRIMARY KEY, rows_processed integer, rows_staged integer, phase text)`);
    await system.db.raw(`
      CREATE FUNCTION ${progressLog}_fn() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO ${progressLog} (rows_processed, rows_staged, phase) VALUES (NEW.rows_processed, NEW.rows_staged, NEW.phase);
        RETURN NULL;
      END $$`);
    await system.db.raw(
      `CREATE TRIGGER ${progressLog}_trg AFTER UPDATE ON customer_imports FOR EACH ROW WHEN (NEW.id = ${Number(importId)}) EXECUTE FUNCTION ${progressLog}_fn()`,
    );
  }
  async function dropProgressLog(): Promise<void> {
    await system.db.raw(`DROP TRIGGER IF EXISTS ${progressLog}_trg ON customer_imports`);
    await system.db.raw(`DROP FUNCTION IF EXISTS ${progressLog}_fn()`);
    await system.db.raw(`DROP TABLE IF EXISTS ${progressLog}`);
  }
  const progressWrites = async (): Promise<{ seq: number; rows_processed: number; rows_staged: number; phase: string }[]> =>
    (await system.db.raw(`SELECT seq::int, rows_processed, rows_staged, phase FROM ${progressLog} ORDER BY seq`)).rows;

  it('resumes after the last committed batch (nothing staged twice) and completes with the right counts', async () => {
    const file = path.join(dir, 'klanten.csv');
    await writeLargeCsv(file, ROWS, 'RS');
    const res = await uploadImport(system.app, token, await readFile(file));
    assert.equal(res.statusCode, 202, res.body);
    const { id } = res.json();
    await recordProgressWrites(id); // no worker yet: the workflow waits for one
    try {
      workerProcess = await startWorkerProcess();
      const progress = await eventually(
        async () => {
          const job = await getImportJson(system.app, token, id);
          return job.rows_processed > 0 && job;
        },
        { timeoutMs: 60_000, intervalMs: 20 },
      );
      workerProcess.kill('SIGKILL');
      await once(workerProcess, 'exit');
      assert.equal(progress.status, 'running');

      // What the killed attempt committed: its start (nothing staged yet), then whole batches.
      const beforeKill = await progressWrites();
      const committed = beforeKill.at(-1)!;
      assert.equal(beforeKill[0].rows_staged, 0, 'the first attempt started from the top');
      assert.ok(committed.rows_staged > 0, 'at least one batch was committed before the kill');
      assert.ok(committed.rows_processed < ROWS, `killed before staging finished (${committed.rows_processed} rows committed)`);
      assert.equal(committed.phase, 'staging');
      assert.equal(
        (await getImportJson(system.app, token, id)).rows_processed,
        committed.rows_processed,
        'the kill left the batch commit as it was',
      );

      workerProcess = await startWorkerProcess();
      const job = await importEnded(system.app, token, id, 120_000);
      assert.equal(job.status, 'completed', job.error ?? '');
      assert.deepEqual(
        { inserted: job.inserted, updated: job.updated, unchanged: job.unchanged, rejected: job.rejected },
        { inserted: ROWS, updated: 0, unchanged: 0, rejected: 0 },
      );
      const [{ n }] = await system.db('customers').where('bebsy_customer_id', 'like', 'RS-%').count<{ n: string }[]>({ n: '*' });
      assert.equal(Number(n), ROWS);

      // The retry started where the committed batches ended, and staged only the rest: the staged
      // count never went back (a restart from row 0 would write 0, then stage the first batch again).
      const writes = await progressWrites();
      const retry = writes.filter((w) => w.seq > committed.seq);
      assert.deepEqual(
        { rows_processed: retry[0].rows_processed, rows_staged: retry[0].rows_staged, phase: retry[0].phase },
        { rows_processed: committed.rows_processed, rows_staged: committed.rows_staged, phase: 'staging' },
        'the retry resumes after the last committed batch, not from row 0',
      );
      const staged = writes.map((w) => w.rows_staged);
      assert.deepEqual(
        staged,
        [...staged].sort((a, b) => a - b),
        `the staged count only grows: ${staged.join(', ')}`,
      );
      assert.equal(staged.at(-1), ROWS);

      // The staging activity itself was retried: its completed attempt is the resumed one.
      const attempts = await activityAttempts(await importWorkflow(system, id), 'stageImportFile');
      assert.ok(attempts.length === 1 && attempts[0] >= 2, `stageImportFile ran again after the kill (attempts ${attempts.join(', ')})`);
    } finally {
      await dropProgressLog();
    }
  });
});
