import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getImportJson, importEnded, uploadImport, writeLargeCsv } from './support/imports.js';
import { adminToken, eventually, startTestSystem, testEnv, type TestSystem } from './support/system.js';

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

  it('resumes after the last committed batch and completes with the right counts', async () => {
    const file = path.join(dir, 'klanten.csv');
    await writeLargeCsv(file, ROWS, 'RS');
    const res = await uploadImport(system.app, token, await readFile(file));
    assert.equal(res.statusCode, 202, res.body);
    const { id } = res.json();

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
    assert.ok(progress.rows_processed < ROWS, 'killed before staging finished');

    workerProcess = await startWorkerProcess();
    const job = await importEnded(system.app, token, id, 120_000);
    assert.equal(job.status, 'completed', job.error ?? '');
    assert.deepEqual(
      { inserted: job.inserted, updated: job.updated, unchanged: job.unchanged, rejected: job.rejected },
      { inserted: ROWS, updated: 0, unchanged: 0, rejected: 0 },
    );
    const [{ n }] = await system.db('customers').where('bebsy_customer_id', 'like', 'RS-%').count<{ n: string }[]>({ n: '*' });
    assert.equal(Number(n), ROWS);

    // The staging activity really ran twice: the second attempt is the resumed one.
    const history = await system.client.workflow.getHandle(`customer-import-${id}`).fetchHistory();
    const attempts = (history.events ?? []).flatMap((e) =>
      e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt ?? 1] : [],
    );
    assert.ok(
      attempts.some((a) => a >= 2),
      `an activity was retried after the kill (attempts ${attempts.join(', ')})`,
    );
  });
});
