import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { unique } from '../support/system.js';
import { adminSession, screenshotDir, seriousAxeViolations, signedInPage, startBrowserSystem, type BrowserSystem } from './support.js';

/** The form "Klant toevoegen" in Chromium against the real API: a value over the schema's limit is refused naming that limit. */
describe('admin UI: new customer form', () => {
  let system: BrowserSystem;
  let browser: Browser;
  let page: Page;

  before(async () => {
    system = await startBrowserSystem();
    ({ browser, page } = await signedInPage(system, await adminSession(system)));
  });
  after(async () => {
    await browser?.close();
    await system?.close();
  });

  it('says the maximum length the API allows for a name and a customer number that are too long', async () => {
    const id = unique('NC');
    await page.goto('/customers/new');
    await page.getByLabel('Naam').fill('Jan '.repeat(51)); // 204 characters, 203 once trimmed; the API allows 200
    await page.getByLabel('E-mailadres').fill(`${id.toLowerCase()}@voorbeeld.nl`);
    await page.getByLabel('Bebsy-klantnummer').fill(id);
    await page.getByRole('button', { name: 'Klant opslaan' }).click();
    const nameError = page.locator('#customer-name-error');
    await nameError.waitFor();
    assert.equal(await nameError.innerText(), 'Maximaal 200 tekens.');
    assert.equal(await page.getByLabel('Naam').getAttribute('aria-invalid'), 'true');
    await page.screenshot({ path: `${screenshotDir}/new-customer-too-long.png`, fullPage: true });
    assert.deepEqual(await seriousAxeViolations(page), []);

    await page.getByLabel('Naam').fill('Jan de Vries');
    await page.getByLabel('Bebsy-klantnummer').fill('N'.repeat(65));
    await page.getByRole('button', { name: 'Klant opslaan' }).click();
    await page.locator('#customer-bebsy_customer_id-error').getByText('Maximaal 64 tekens.', { exact: true }).waitFor();
    assert.equal(await page.locator('#customer-name-error').count(), 0, 'the name is fine now');
  });
});
