import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { importEnded, uploadImport } from '../support/imports.js';
import { adminToken } from '../support/system.js';
import { adminSession, checkScreen, signedInPage, startBrowserSystem, type BrowserSystem } from './support.js';

/**
 * A failed import says why in the admin's language only: the worker's English message ("not
 * readable as CSV near line 3") stays in `error` for the logs; the page words the code.
 */
describe('admin UI: a failed import in one language', () => {
  let system: BrowserSystem;
  let browser: Browser;
  let page: Page;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bebsy-import-failure-'));
    system = await startBrowserSystem({ IMPORT_STORAGE_DIR: path.join(dir, 'storage') });
    ({ browser, page } = await signedInPage(system, await adminSession(system)));
  });
  after(async () => {
    await browser?.close();
    await system?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers the failure as a code with its line, and the page words it in Dutch, then in English', async () => {
    const token = await adminToken(system.app);
    const upload = await uploadImport(
      system.app,
      token,
      'Klantnummer;Naam;E-mail\r\nFL-1;Jan;jan.fl1@voorbeeld.nl\r\nFL-2;"Piet;piet@voorbeeld.nl\r\n',
    );
    assert.equal(upload.statusCode, 202, upload.body);
    const job = await importEnded(system.app, token, upload.json().id);
    assert.equal(job.status, 'failed');
    assert.deepEqual((job as { failure?: unknown }).failure, { code: 'unreadable_csv', line: 3 });
    assert.match(job.error ?? '', /not readable as CSV near line 3/, 'the technical message stays for the logs');

    await page.goto(`${system.baseUrl}/imports/${job.id}`);
    const notice = page.getByTestId('import-failed');
    await notice.waitFor();
    const dutch = await notice.innerText();
    assert.match(dutch, /De import is mislukt: het bestand is niet als CSV te lezen rond regel 3/);
    assert.doesNotMatch(dutch, /not readable|quote/i, 'no English inside the Dutch sentence');
    await checkScreen(page, 'import-failed-nl');

    await page.getByTestId('language-select').selectOption('en');
    await page.getByText(/The import failed: the file cannot be read as CSV near line 3/).waitFor();
  });
});
