import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { writeLargeCsv } from '../support/imports.js';
import { adminSession, screenshotDir, seriousAxeViolations, signedInPage, startBrowserSystem, type BrowserSystem } from './support.js';

const ROWS = 60_000;

/**
 * The admin UI page "Importeren" in Chromium against the real API and worker: upload, live
 * progress, counts, the first rejected rows and the error report; refused uploads in Dutch.
 */
describe('admin UI: customer import', () => {
  let system: BrowserSystem;
  let browser: Browser;
  let page: Page;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bebsy-import-ui-'));
    system = await startBrowserSystem({ IMPORT_STORAGE_DIR: path.join(dir, 'storage') });
    ({ browser, page } = await signedInPage(system, await adminSession(system), { acceptDownloads: true }));
  });
  after(async () => {
    await browser?.close();
    await system?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * Holds the import mid-file: a trigger of the test's own makes the insert of the rejected row
   * UI-X1 (in the last batch, after 50,000 rows were committed) wait for an advisory lock the
   * test holds, so the page is looked at while the import is certainly running.
   */
  const HOLD_KEY = 74_210_001;
  const holdName = `test_hold_import_${process.pid}`;
  async function holdImportAtRejectedRow() {
    await system.db.raw(`
      CREATE FUNCTION ${holdName}_fn() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_advisory_xact_lock_shared(${HOLD_KEY}); RETURN NEW; END $$`);
    await system.db.raw(
      `CREATE TRIGGER ${holdName}_trg BEFORE INSERT ON customer_import_errors FOR EACH ROW WHEN (NEW.bebsy_customer_id = 'UI-X1') EXECUTE FUNCTION ${holdName}_fn()`,
    );
    const hold = await system.db.transaction();
    await hold.raw('SELECT pg_advisory_xact_lock(?)', [HOLD_KEY]);
    return {
      release: () => hold.rollback(),
      async drop() {
        if (!hold.isCompleted()) await hold.rollback();
        await system.db.raw(`DROP TRIGGER IF EXISTS ${holdName}_trg ON customer_import_errors`);
        await system.db.raw(`DROP FUNCTION IF EXISTS ${holdName}_fn()`);
      },
    };
  }

  it('uploads a file, shows live progress, the counts and the error report', async () => {
    const file = path.join(dir, 'klanten-export.csv');
    await writeLargeCsv(file, ROWS, 'UI');
    await appendFile(file, 'UI-X1;;leeg@voorbeeld.nl;nl\r\nUI-X2;Piet Fout;geen-adres;nl\r\n');

    const held = await holdImportAtRejectedRow();
    try {
      await page.goto('/');
      await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Importeren' }).click();
      await page.getByRole('heading', { name: 'Importeren', level: 1 }).waitFor();
      await page.getByLabel('CSV-bestand').setInputFiles(file);
      await page.getByRole('button', { name: 'Import starten' }).click();

      await page.getByTestId('import-detail').waitFor();
      await page.getByRole('heading', { name: 'klanten-export.csv', level: 1 }).waitFor();
      // While it runs (held after the first 50,000 rows; the page polls): status, progress bar, rows read, a stop button.
      await page.getByTestId('import-status').filter({ hasText: 'Bezig' }).waitFor({ timeout: 30_000 });
      const progressText = page.locator('.import-progress [role="status"]');
      await progressText.filter({ hasText: '50.000 rijen gelezen' }).waitFor({ timeout: 30_000 });
      const importId = page.url().split('/').pop()!;
      const job = await system.db('customer_imports').where({ id: importId }).first();
      assert.deepEqual([job.status, job.phase, job.rows_processed], ['running', 'staging', 50_000], 'held in the middle of the file');
      const shown = Number(await page.getByTestId('import-progressbar').getAttribute('value'));
      const expected = Math.floor((Number(job.bytes_processed) / Number(job.file_bytes)) * 100);
      assert.equal(shown, expected, 'the bar shows the share of the file read');
      assert.ok(shown > 0 && shown < 100, `a part of the file, not all or nothing: ${shown}%`);
      assert.match(await progressText.innerText(), new RegExp(`^${shown}% · Bestand lezen · 50\\.000 rijen gelezen$`));
      await page.getByRole('button', { name: 'Import stoppen' }).waitFor();
      await page.screenshot({ path: `${screenshotDir}/import-running.png`, fullPage: true });
      await held.release();
    } finally {
      await held.drop();
    }

    await page.getByTestId('import-status').filter({ hasText: 'Voltooid' }).waitFor({ timeout: 90_000 });
    await page.getByTestId('import-done').waitFor();
    assert.equal(await page.getByTestId('import-done').getAttribute('class'), 'notice notice-warning', 'rejected rows: amber, not green');
    assert.equal(
      await page.getByTestId('import-done').innerText(),
      'De import is voltooid, maar 2 rijen zijn afgekeurd en niet geïmporteerd.',
    );
    assert.deepEqual(await page.getByTestId('import-rejections').locator('tbody tr').allInnerTexts(), [
      `${(ROWS + 2).toLocaleString('nl-NL')}\tUI-X1\tNaam ontbreekt`,
      `${(ROWS + 3).toLocaleString('nl-NL')}\tUI-X2\tE-mailadres is ongeldig`,
    ]);
    assert.equal(await page.getByTestId('import-count-inserted').locator('dd').textContent(), '60.000');
    assert.equal(await page.getByTestId('import-count-rejected').locator('dd').textContent(), '2');
    assert.equal(await page.getByTestId('import-progressbar').count(), 0, 'no progress bar once completed');
    const size = await page.locator('dt', { hasText: 'Grootte' }).locator('xpath=following-sibling::dd[1]').textContent();
    assert.match(size ?? '', /^\d+(,\d)? (kB|MB)$/, 'the file size in a readable unit, Dutch decimals');
    await page.screenshot({ path: `${screenshotDir}/import-completed.png`, fullPage: true });
    assert.deepEqual(await seriousAxeViolations(page), []);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: /Foutenrapport downloaden \(2 rijen\)/ }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `import-${page.url().split('/').pop()}-fouten.csv`);
    const report = await readFile((await download.path())!, 'utf8');
    assert.deepEqual(
      report
        .replace(/^\ufeff/, '')
        .trim()
        .split('\r\n'),
      [
        'regel;klantnummer;naam;e-mail;code;reden',
        `${ROWS + 2};UI-X1;;leeg@voorbeeld.nl;missing_name;naam ontbreekt`,
        `${ROWS + 3};UI-X2;Piet Fout;geen-adres;invalid_email;e-mailadres is ongeldig`,
      ],
    );

    await page.getByRole('link', { name: 'Importeren' }).first().click();
    const row = page.getByTestId('imports-table').getByRole('row', { name: /klanten-export\.csv/ });
    await row.getByText('Voltooid').waitFor();
    await page.screenshot({ path: `${screenshotDir}/imports-list.png`, fullPage: true });
    assert.deepEqual(await seriousAxeViolations(page), []);
  });

  async function upload(name: string, buffer: Buffer) {
    await page.goto('/imports');
    await page.getByLabel('CSV-bestand').setInputFiles({ name, mimeType: 'text/csv', buffer });
    await page.getByRole('button', { name: 'Import starten' }).click();
  }

  it('says why an upload is refused in Dutch only: missing columns, a PNG named .csv, an empty file', async () => {
    const refusal = async (name: string, buffer: Buffer) => {
      await upload(name, buffer);
      const text = await page.getByTestId('import-upload-error').innerText();
      assert.doesNotMatch(text, /\b(the|lacks|found|file is)\b/i, `no English: ${text}`);
      return text;
    };
    assert.equal(
      await refusal('kolommen.csv', await readFile('test/fixtures/imports/no-header.csv')),
      'De kopregel mist de kolommen klantnummer, naam en e-mail. Gevonden kolommen: ‘foo’, ‘bar’ en ‘baz’.',
    );
    assert.equal(
      await refusal('schermafdruk.csv', await readFile('test/fixtures/imports/screenshot.png')),
      'Dit bestand is geen CSV-tekstbestand, maar een PNG-afbeelding. Sla het op als CSV (UTF-8 of Windows-1252) en upload dat bestand.',
    );
    await page.screenshot({ path: `${screenshotDir}/import-refused-png.png`, fullPage: true });
    assert.deepEqual(await seriousAxeViolations(page), []);
    assert.equal(await refusal('leeg.csv', Buffer.alloc(0)), 'Het bestand is leeg.');
  });

  it('shows an amber banner and the first ten rejected rows, in words, when every row was rejected', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => (i % 2 ? `AR-${i};Geen Mail ${i};;nl` : `AR-${i};;naamloos.${i}@voorbeeld.nl;nl`));
    await upload('alles-fout.csv', Buffer.from(['Klantnummer;Naam;E-mail;Taal', ...rows].join('\r\n')));
    await page.getByRole('heading', { name: 'alles-fout.csv', level: 1 }).waitFor();
    await page.getByTestId('import-status').filter({ hasText: 'Voltooid' }).waitFor({ timeout: 30_000 });
    const banner = page.getByTestId('import-done');
    assert.equal(await banner.getAttribute('class'), 'notice notice-warning');
    assert.equal(await banner.innerText(), 'Er is niets geïmporteerd: alle 12 rijen zijn afgekeurd.');
    assert.equal(await page.locator('.notice-success').count(), 0, 'no green banner');
    assert.deepEqual(
      await page.getByTestId('import-rejections').locator('tbody tr').allInnerTexts(),
      rows.slice(0, 10).map((_, i) => `${i + 2}\tAR-${i}\t${i % 2 ? 'E-mailadres ontbreekt' : 'Naam ontbreekt'}`),
    );
    await page.getByText('De eerste 10 van 12; het foutenrapport bevat ze allemaal.').waitFor();
    await page.screenshot({ path: `${screenshotDir}/import-all-rejected.png`, fullPage: true });
    assert.deepEqual(await seriousAxeViolations(page), []);
  });
});
