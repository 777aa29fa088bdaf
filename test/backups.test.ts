import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { WorkflowFailedError, ScheduleNotFoundError } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createBackupActivities, pgTool, type BackupDependencies } from '../activities/backups.js';
import type { BackupConfig } from '../config/env.js';
import { loadConfig } from '../config/env.js';
import { createDb, type Db } from '../db/knex.js';
import { ensureBackupSchedule, ensureHousekeepingSchedule } from '../temporal-config/schedules.js';
import type { DatabaseBackupResult } from '../workflows/database-backup.js';
import { startMoto, type MotoServer } from './support/moto.js';
import { adminToken, startTestSystem, testEnv, withEmptyDatabase } from './support/system.js';

/**
 * Backups against a real S3-compatible server (moto, from PyPI into .tools/venv) and the real
 * pg_dump / pg_restore: a dump of several multipart parts, its restore drill, retention, an upload
 * cancelled half-way, wrong credentials, the local folder, `npm run restore`'s activity, the Schedules.
 */
describe('backups', () => {
  let moto: MotoServer;
  const bucket = `bebsy-backups-${randomUUID().slice(0, 8)}`;
  const PART = 5 * 1024 * 1024; // S3's smallest part
  const BLOB_ROWS = 120_000;

  before(async () => {
    moto = await startMoto();
    await moto.createBucket(bucket);
  });
  after(async () => {
    await moto?.stop();
  });

  const s3Config = (over: Partial<NonNullable<BackupConfig['s3']>> = {}): BackupConfig['s3'] => ({
    bucket,
    region: 'eu-central-1',
    endpoint: moto.endpoint,
    accessKeyId: moto.credentials.accessKeyId,
    secretAccessKey: moto.credentials.secretAccessKey,
    ...over,
  });
  const backupConfig = (over: Partial<BackupConfig> = {}): BackupDependencies['config'] => ({
    s3: s3Config(),
    dir: path.join(os.tmpdir(), `bebsy-backups-${randomUUID()}`),
    pgBinDir: null,
    retentionDays: 30,
    ...over,
  });

  /** A migrated database of its own with a table whose dump (some 7 MB compressed) is larger than one part. */
  async function withFilledDatabase(fn: (db: Db, url: string) => Promise<void>): Promise<void> {
    await withEmptyDatabase(async (url) => {
      const db = createDb(url);
      try {
        await db.raw(`CREATE TABLE backup_test_blobs AS
          SELECT g AS id, md5(random()::text) || md5(random()::text) || md5(random()::text) AS noise
            FROM generate_series(1, ${BLOB_ROWS}) g`);
        await fn(db, url);
      } finally {
        await db.destroy();
      }
    });
  }

  const objectKeys = async (prefix = 'bebsy_backup_') =>
    ((await moto.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
  const openMultipartUploads = async () => (await moto.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
  const databases = async (db: Db, like: string) =>
    (await db.raw<{ rows: Array<{ datname: string }> }>('SELECT datname FROM pg_database WHERE datname LIKE ?', [like])).rows;

  it('checks pg_dump against the server and says what to install', async () => {
    assert.match(await pgTool('pg_dump', 150008, null), /pg_dump$/);
    await assert.rejects(pgTool('pg_dump', 990001, null), (error: Error) => {
      assert.match(error.message, /PostgreSQL 99 client \(Debian\/Ubuntu: apt-get install postgresql-client-99\) or point PG_BIN_DIR/);
      return true;
    });
  });

  it('backs up to S3 in several parts, drills the restore and prunes by retention, through the workflow', async () => {
    await withFilledDatabase(async (db, url) => {
      // two old backups the retention removes, one recent it keeps
      for (const old of ['bebsy_backup_20200101_020000', 'bebsy_backup_20200102_020000']) {
        await moto.client.send(new PutObjectCommand({ Bucket: bucket, Key: `${old}.dump`, Body: 'old' }));
        await db('database_backups').insert({ name: old, status: 'verified' });
      }
      const recent = `bebsy_backup_${new Date(Date.now() - 86_400_000).toISOString().slice(0, 10).replace(/-/g, '')}_020000`;
      await moto.client.send(new PutObjectCommand({ Bucket: bucket, Key: `${recent}.dump`, Body: 'recent' }));

      const system = await startTestSystem(
        {},
        {
          databaseUrl: url,
          activities: () => createBackupActivities({ db, databaseUrl: url, config: backupConfig(), partSize: PART }),
        },
      );
      try {
        const result = (await system.client.workflow
          .execute('databaseBackup', { taskQueue: system.taskQueue, workflowId: `backup-test-${randomUUID()}` })
          .catch((error: Error) => {
            throw new Error(`the backup failed: ${(error.cause as Error | undefined)?.message ?? error.message}`, { cause: error });
          })) as DatabaseBackupResult;
        const { name, backup, drill } = result;
        assert.match(name, /^bebsy_backup_\d{8}_\d{6}$/);
        assert.equal(drill.passed, true);
        assert.ok(backup.sizeBytes > PART, `the dump (${backup.sizeBytes} bytes) spans several parts`);
        assert.equal(backup.tableCounts['public.backup_test_blobs'], BLOB_ROWS);
        assert.equal(backup.location, `s3://${bucket}/${name}.dump`);

        const head = await moto.client.send(new HeadObjectCommand({ Bucket: bucket, Key: `${name}.dump` }));
        assert.equal(head.ContentLength, backup.sizeBytes);
        assert.match(head.ETag ?? '', /-([2-9]|\d{2,})"$/, 'a multipart upload of at least two parts');
        const body = await (
          await moto.client.send(new GetObjectCommand({ Bucket: bucket, Key: `${name}.dump` }))
        ).Body!.transformToByteArray();
        assert.equal(createHash('sha256').update(body).digest('hex'), backup.sha256, 'the recorded checksum is the object’s');
        const sidecar = await (
          await moto.client.send(new GetObjectCommand({ Bucket: bucket, Key: `${name}.dump.sha256` }))
        ).Body!.transformToString();
        assert.ok(sidecar.startsWith(backup.sha256));

        const row = await db('database_backups').where({ name }).first();
        assert.equal(row.status, 'verified');
        assert.equal(row.drill_status, 'passed');
        assert.equal(Number(row.size_bytes), backup.sizeBytes);
        assert.deepEqual(await databases(db, 'bebsy_drill_%'), [], 'the scratch database is dropped');
        assert.deepEqual(await openMultipartUploads(), []);

        assert.deepEqual(result.pruned, ['bebsy_backup_20200101_020000', 'bebsy_backup_20200102_020000']);
        const keys = await objectKeys();
        assert.ok(!keys.some((k) => k.startsWith('bebsy_backup_2020')), 'old backups are deleted');
        assert.ok(keys.includes(`${recent}.dump`) && keys.includes(`${name}.dump`), 'recent ones stay');
        assert.equal((await db('database_backups').where({ name: 'bebsy_backup_20200101_020000' }).first()).status, 'pruned');

        // GET /api/backups: the backup with its size and drill, for the admin page Beheer
        const token = await adminToken(system.app);
        const res = await system.app.inject({ method: 'GET', url: '/api/backups', headers: { authorization: `Bearer ${token}` } });
        assert.equal(res.statusCode, 200, res.body);
        const listed = res.json().backups.find((b: { name: string }) => b.name === name);
        assert.equal(listed.status, 'verified');
        assert.equal(listed.drill_status, 'passed');
        assert.equal(listed.size_bytes, backup.sizeBytes);
        assert.ok(listed.rows >= BLOB_ROWS);
        assert.deepEqual(
          res.json().schedules.map((s: { id: string }) => s.id),
          ['nightly-backup', 'housekeeping', 'approval-digest'],
        );

        // npm run restore's activity: into a database of our choice
        const target = `bebsy_restore_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
        const restore = createBackupActivities({ db, databaseUrl: url, config: backupConfig() });
        try {
          const restored = await restore.restoreBackup({ name, database: target, force: false });
          assert.equal(restored.sha256, backup.sha256);
          const copy = createDb(new URL(`/${target}`, url).toString());
          try {
            const [{ n }] = await copy('backup_test_blobs').count<{ n: string }[]>({ n: '*' });
            assert.equal(Number(n), BLOB_ROWS);
          } finally {
            await copy.destroy();
          }
          await assert.rejects(restore.restoreBackup({ name, database: target, force: false }), /already holds \d+ tables: add --force/);
          const live = new URL(url).pathname.slice(1);
          await assert.rejects(restore.restoreBackup({ name, database: live, force: false }), /is the live database.*--force/);
        } finally {
          await db.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [target]);
        }
      } finally {
        await system.close();
      }
    });
  });

  it('leaves no object when the upload is cancelled half-way, and aborts its multipart upload', async () => {
    await withFilledDatabase(async (db, url) => {
      const activities = createBackupActivities({ db, databaseUrl: url, config: backupConfig(), partSize: PART });
      const env = new MockActivityEnvironment();
      const name = 'bebsy_backup_20261204_010101';
      const running = env.run(activities.backupDatabase, { name });
      // cancel once the multipart upload has begun
      const deadline = Date.now() + 30_000;
      while ((await openMultipartUploads()).length === 0) {
        assert.ok(Date.now() < deadline, 'the multipart upload began');
        await new Promise((r) => setTimeout(r, 50));
      }
      env.cancel();
      await assert.rejects(running);
      assert.deepEqual(
        (await objectKeys(name)).filter((k) => k === `${name}.dump`),
        [],
        'no object looks like a backup',
      );
      // the activity answers only once the upload has settled too: its abort is done by then
      // (a retry must never overlap it), so the bucket is looked at once, without waiting
      assert.deepEqual(await openMultipartUploads(), [], 'the multipart upload is aborted before the activity fails');
      assert.equal((await db('database_backups').where({ name }).first()).status, 'failed');
    });
  });

  it('fails at once with a clear error on wrong credentials (no retry storm) and alerts the admins', async () => {
    await withEmptyDatabase(async (url) => {
      const db = createDb(url);
      const system = await startTestSystem(
        { ADMIN_NOTIFICATION_EMAILS: 'ops@bebsy.example' },
        {
          databaseUrl: url,
          activities: () =>
            createBackupActivities({ db, databaseUrl: url, config: backupConfig({ s3: s3Config({ secretAccessKey: 'not-the-secret' }) }) }),
        },
      );
      try {
        const workflowId = `backup-test-${randomUUID()}`;
        const started = Date.now();
        await assert.rejects(
          system.client.workflow.execute('databaseBackup', { taskQueue: system.taskQueue, workflowId }),
          (error: Error) => {
            assert.ok(error instanceof WorkflowFailedError);
            assert.match(String(error.cause?.message), /S3 refused the backup: the secret key \(AWS_SECRET_ACCESS_KEY\) does not match/);
            return true;
          },
        );
        assert.ok(Date.now() - started < 20_000, 'not retried for minutes');
        const history = await system.client.workflow.getHandle(workflowId).fetchHistory();
        const attempts = history
          .events!.filter((e) => e.activityTaskStartedEventAttributes)
          .map((e) => e.activityTaskStartedEventAttributes!.attempt);
        assert.deepEqual(attempts.slice(0, 1), [1]);
        assert.equal(
          history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'backupDatabase').length,
          1,
        );
        const alert = await db('email_outbox').where({ kind: 'admin_backup_failed', to_address: 'ops@bebsy.example' }).first();
        assert.ok(alert, 'the admins are emailed');
        assert.match(alert.text, /AWS_SECRET_ACCESS_KEY/);
      } finally {
        await system.close();
        await db.destroy();
      }
    });
  });

  it('backs up to the local folder without S3 settings, and drills it', async () => {
    await withEmptyDatabase(async (url) => {
      const db = createDb(url);
      const dir = path.join(os.tmpdir(), `bebsy-backups-${randomUUID()}`);
      try {
        const activities = createBackupActivities({ db, databaseUrl: url, config: backupConfig({ s3: null, dir }) });
        const name = 'bebsy_backup_20261204_020000';
        const backup = await activities.backupDatabase({ name });
        assert.equal(backup.store, 'local');
        const file = await fs.readFile(path.join(dir, `${name}.dump`));
        assert.equal(file.length, backup.sizeBytes);
        assert.equal(createHash('sha256').update(file).digest('hex'), backup.sha256);
        assert.deepEqual((await fs.readdir(dir)).sort(), [`${name}.dump`, `${name}.dump.sha256`]);
        const drill = await activities.drillBackup({ name });
        assert.equal(drill.passed, true);
        assert.equal((await db('database_backups').where({ name }).first()).status, 'verified');
        // a damaged backup fails its drill (recorded, the scratch database dropped) and is never restored
        const damaged = Buffer.from(file);
        damaged[Math.floor(damaged.length / 2)] ^= 0xff;
        await fs.writeFile(path.join(dir, `${name}.dump`), damaged);
        await assert.rejects(activities.drillBackup({ name }), /restore drill of bebsy_backup_20261204_020000 failed/);
        const row = await db('database_backups').where({ name }).first();
        assert.equal(row.status, 'drill_failed');
        assert.equal(row.drill_status, 'failed');
        assert.deepEqual(
          (await db.raw<{ rows: unknown[] }>("SELECT 1 FROM pg_database WHERE datname LIKE 'bebsy_drill_%'")).rows,
          [],
          'the scratch database is dropped after a failed drill too',
        );
        await assert.rejects(activities.restoreBackup({ name, database: 'bebsy_never_restored', force: false }), /is damaged/);
        assert.equal(
          (await db.raw<{ rows: unknown[] }>("SELECT 1 FROM pg_database WHERE datname = 'bebsy_never_restored'")).rows.length,
          0,
        );
        await assert.rejects(
          activities.restoreBackup({ name: 'bebsy_backup_20000101_000000', database: 'bebsy_never_restored', force: false }),
          /there is no backup bebsy_backup_20000101_000000 in /,
        );
        await fs.writeFile(path.join(dir, `${name}.dump`), file);
        // the folder's retention
        await fs.writeFile(path.join(dir, 'bebsy_backup_20190101_000000.dump'), 'old');
        assert.deepEqual((await activities.pruneBackups({ now: new Date().toISOString(), keep: name })).removed, [
          'bebsy_backup_20190101_000000',
        ]);
      } finally {
        await db.destroy();
        await fs.rm(dir, { recursive: true, force: true });
      }
    });
  });

  it('ensures the nightly-backup and housekeeping Schedules, and deletes them when off', async () => {
    const system = await startTestSystem({}, { worker: false });
    const backupId = `nightly-backup-test-${randomUUID()}`;
    const housekeepingId = `housekeeping-test-${randomUUID()}`;
    try {
      const config = loadConfig({ DATABASE_URL: testEnv.databaseUrl, TEMPORAL_TASK_QUEUE: system.taskQueue });
      assert.equal(config.backups.cron, '0 2 * * *');
      assert.equal(await ensureBackupSchedule(system.client, config, backupId), 'created');
      assert.equal(await ensureBackupSchedule(system.client, config, backupId), 'updated');
      assert.equal(await ensureHousekeepingSchedule(system.client, config, housekeepingId), 'created');
      const described = await system.client.schedule.getHandle(backupId).describe();
      assert.deepEqual(described.spec.timezone, 'Europe/Amsterdam');
      assert.equal(described.policies.overlap, 'SKIP');
      assert.equal(described.action.type === 'startWorkflow' && described.action.workflowType, 'databaseBackup');
      const next = described.info.nextActionTimes[0];
      assert.equal(
        new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Amsterdam', hour: '2-digit', minute: '2-digit' }).format(next),
        '02:00',
      );

      const off = loadConfig({ DATABASE_URL: testEnv.databaseUrl, BACKUP_CRON: 'off', HOUSEKEEPING_CRON: 'off' });
      assert.equal(await ensureBackupSchedule(system.client, off, backupId), 'deleted');
      assert.equal(await ensureBackupSchedule(system.client, off, backupId), 'absent');
      assert.equal(await ensureHousekeepingSchedule(system.client, off, housekeepingId), 'deleted');
      await assert.rejects(system.client.schedule.getHandle(backupId).describe(), ScheduleNotFoundError);
    } finally {
      await system.client.schedule
        .getHandle(backupId)
        .delete()
        .catch(() => undefined);
      await system.client.schedule
        .getHandle(housekeepingId)
        .delete()
        .catch(() => undefined);
      await system.close();
    }
  });
});
