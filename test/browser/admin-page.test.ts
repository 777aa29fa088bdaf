import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../../config/env.js';
import {
  ensureBackupSchedule,
  ensureHousekeepingSchedule,
  HOUSEKEEPING_SCHEDULE_ID,
  NIGHTLY_BACKUP_SCHEDULE_ID,
} from '../../temporal-config/schedules.js';
import { testEnv, unique } from '../support/system.js';
import { adminSession, checkScreen, signedInPage, startBrowserSystem, type BrowserSystem } from './support.js';

/**
 * The admin page "Beheer" in Chromium against the real API: the Schedules with their next run
 * (02:00 Amsterdam for the nightly backup), a verified backup with its size and drill, a failed
 * one with its error, and what a housekeeping run pruned. Checked with axe-core.
 */
describe('admin UI: Beheer', () => {
  let system: BrowserSystem;
  let browser: Browser;
  let page: Page;
  const names = { verified: 'bebsy_backup_20991201_020000', failed: 'bebsy_backup_20991202_020000' };
  const housekeepingId = unique('housekeeping-ui-');

  before(async () => {
    system = await startBrowserSystem();
    await system.db('database_backups').whereIn('name', Object.values(names)).delete();
    await system.db('database_backups').insert([
      {
        name: names.verified,
        status: 'verified',
        store: 's3',
        location: `s3://bebsy-backups/${names.verified}.dump`,
        size_bytes: 71_100_000,
        sha256: 'a'.repeat(64),
        table_counts: JSON.stringify({ 'public.customers': 1200, 'public.referrals': 34 }),
        drill_status: 'passed',
        drill_seconds: 12.4,
        drilled_at: new Date('2099-12-01T01:03:00Z'),
        started_at: new Date('2099-12-01T01:00:00Z'),
        finished_at: new Date('2099-12-01T01:02:00Z'),
      },
      {
        name: names.failed,
        status: 'failed',
        error: 'S3 refused the backup: the secret key (AWS_SECRET_ACCESS_KEY) does not match the access key',
        started_at: new Date('2099-12-02T01:00:00Z'),
        finished_at: new Date('2099-12-02T01:00:01Z'),
      },
    ]);
    await system.db('housekeeping_runs').insert({
      workflow_id: housekeepingId,
      status: 'completed',
      pruned: JSON.stringify({ auditLogRows: 1234, webhookInboxRows: 5, importFiles: 0, outboxBodies: 77 }),
      started_at: new Date('2099-12-01T02:30:00Z'),
      finished_at: new Date('2099-12-01T02:30:02Z'),
    });
    // the Schedules as the worker ensures them, on this test's task queue
    const config = loadConfig({ DATABASE_URL: testEnv.databaseUrl, TEMPORAL_TASK_QUEUE: system.taskQueue });
    await ensureBackupSchedule(system.client, config);
    await ensureHousekeepingSchedule(system.client, config);
    ({ browser, page } = await signedInPage(system, await adminSession(system)));
  });
  after(async () => {
    await browser?.close();
    if (system) {
      for (const id of [NIGHTLY_BACKUP_SCHEDULE_ID, HOUSEKEEPING_SCHEDULE_ID])
        await system.client.schedule
          .getHandle(id)
          .delete()
          .catch(() => undefined);
      await system.db('database_backups').whereIn('name', Object.values(names)).delete();
      await system.db('housekeeping_runs').where({ workflow_id: housekeepingId }).delete();
      await system.close();
    }
  });

  it('shows the backups with size and drill, the next runs and what housekeeping pruned', async () => {
    await page.goto('/');
    await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Beheer' }).click();
    await page.getByRole('heading', { name: 'Beheer', level: 1 }).waitFor();

    const nightly = page.getByTestId('schedule-nightly-backup');
    assert.match(await nightly.innerText(), /Nachtelijke back-up\s+0 2 \* \* \*\s+.*02:00/);
    assert.match(await page.getByTestId('schedule-housekeeping').innerText(), /Onderhoud\s+30 3 \* \* \*\s+.*03:30/);

    const good = await page.getByTestId(`backup-${names.verified}`).innerText();
    assert.match(good, /Geverifieerd/);
    assert.match(good, /67,8 MB/);
    assert.match(good, /Geslaagd in 12 s/);
    assert.match(good, /2 tabellen, 1\.234 rijen teruggezet en geteld/);
    const bad = await page.getByTestId(`backup-${names.failed}`).innerText();
    assert.match(bad, /Mislukt/);
    assert.match(bad, /AWS_SECRET_ACCESS_KEY/);
    assert.match(bad, /Niet getest/, 'a backup that was not drilled is not called verified');

    assert.match(await page.getByTestId(`housekeeping-${housekeepingId}`).innerText(), /Klaar\s+1\.234\s+5\s+0\s+77/);
    await checkScreen(page, '60-admin-beheer');
  });
});
