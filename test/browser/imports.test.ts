import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { writeLargeCsv } from '../support/imports.js';
import { adminSession, screenshotDir, seriousAxeViolations, signedInPage, startBrowserSystem, type BrowserSystem } from './support.js';

const ROWS = 60_000;

/** The admin UI page "Importeren" in Chromium against the real API and worker: upload, live progress, counts, error report. */
describe('admin UI: customer import', () => {
  let system: BrowserSystem;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bebsy-import-ui-'));
    system = await startBrowserSystem({ IMPORT_STORAGE_DIR: path.join(dir, 'storage') });
    ({ browser, context, page } = await signedInPage(system, await adminSession(system), { acceptDownloads: true }));
  });
  after(async () => {
    await browser?.close();
    await system?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads a file, shows live progress, the counts and the error report', async () => {
    const file = path.join(dir, 'klanten-export.csv');
    await writeLargeCsv(file, ROWS, 'UI');
    await appendFile(file, 'UI-X1;;leeg@voorbeeld.nl;nl\r\nUI-X2;Piet Fout;geen-adres;nl\r\n');

    await page.goto('/');
    await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Importeren' }).click();
    await page.getByRole('heading', { name: 'Importeren', level: 1 }).waitFor();
    await page.getByLabel('CSV-bestand').setInputFiles(file);
    await page.getByRole('button', { name: 'Import starten' }).click();

    await page.getByTestId('import-detail').waitFor();
    await page.getByRole('heading', { name: 'klanten-export.csv', level: 1 }).waitFor();
    // While it runs (the page polls): the progress bar moves and a stop button is offered.
    await page.getByTestId('import-status').filter({ hasText: /Bezig|Voltooid/ }).waitFor({ timeout: 30_000 });
    if (await page.getByTestId('import-progressbar').isVisible()) {
      await page.getByRole('button', { name: 'Import stoppen' }).waitFor();
      await page.screenshot({ path: `${screenshotDir}/import-running.png`, fullPage: true });
    }

    await page.getByTestId('import-status').filter({ hasText: 'Voltooid' }).waitFor({ timeout: 90_000 });
    await page.getByTestId('import-done').waitFor();
    assert.equal(await page.getByTestId('import-count-inserted').locator('dd').textContent(), '60.000');
    assert.equal(await page.getByTestId('import-count-rejected').locator('dd').textContent(), '2');
    assert.equal(await page.getByTestId('import-progressbar').count(), 0, 'no progress bar once completed');
    const size = await page.locator('dt', { hasText: 'Grootte' }).locator('xpath=following-sibling::dd[1]').textContent();
    assert.match(size ?? '', /^\d+(,\d)? (kB|MB)$/, 'the file size in a readable unit, Dutch decimals');
    await page.screenshot({ path: `${screenshotDir}/import-completed.png`, fullPage: true });
    assert.deepEqual(await seriousAxeViolations(page), []);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /Foutenrapport downloaden \(2 rijen\)/ }).click()]);
    assert.equal(download.suggestedFilename(), `import-${page.url().split('/').pop()}-fouten.csv`);
    const report = await readFile((await download.path())!, 'utf8');
    assert.deepEqual(report.replace(/^\ufeff/, '').trim().split('\r\n'), [
      'regel;klantnummer;naam;e-mail;code;reden',
      `${ROWS + 2};UI-X1;;leeg@voorbeeld.nl;missing_name;naam ontbreekt`,
      `${ROWS + 3};UI-X2;Piet Fout;geen-adres;invalid_email;e-mailadres is ongeldig`,
    ]);

    await page.getByRole('link', { name: 'Importeren' }).first().click();
    const row = page.getByTestId('imports-table').getByRole('row', { name: /klanten-export\.csv/ });
    await row.getByText('Voltooid').waitFor();
    await page.screenshot({ path: `${screenshotDir}/imports-list.png`, fullPage: true });
    assert.deepEqual(await seriousAxeViolations(page), []);
  });
});
