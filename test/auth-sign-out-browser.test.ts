import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import argon2 from 'argon2';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, startBrowserSystem, type BrowserSystem } from './browser/support.js';
import { bearer } from './support/http.js';
import { eventually, unique } from './support/system.js';

/**
 * Signing out in the admin UI ends the session on the server (POST /api/auth/logout), so a copy
 * of the token (another tab, a proxy log, a stolen laptop's disk) no longer reads anything; and
 * a password change in the UI keeps working although it ends every earlier session.
 */
describe('sign-out in the admin UI', { timeout: 120_000 }, () => {
  let system: BrowserSystem;
  let browser: Browser;
  let page: Page;
  before(async () => {
    system = await startBrowserSystem();
    browser = await launchChromium();
    page = await (await browser.newContext({ baseURL: system.baseUrl, locale: 'nl-NL' })).newPage();
  });
  after(async () => {
    await browser?.close();
    await system?.close();
  });

  const tokenInBrowser = async () =>
    page.evaluate(() => (JSON.parse(localStorage.getItem('bebsy.session') ?? 'null') as { token: string } | null)?.token ?? null);
  const customersWith = (token: string) => system.app.inject({ method: 'GET', url: '/api/customers', headers: bearer(token) });

  async function signIn(username: string, password: string) {
    await page.goto('/login');
    await page.getByLabel('Gebruikersnaam').fill(username);
    await page.getByLabel('Wachtwoord', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Inloggen' }).click();
  }

  it('"Uitloggen" ends the token on the server, not only in the browser', async () => {
    const username = unique('uitlog');
    await system.db('admin_users').insert({ username, password_hash: await argon2.hash('een-lang-uitlog-wachtwoord'), role: 'admin' });
    await signIn(username, 'een-lang-uitlog-wachtwoord');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const token = await tokenInBrowser();
    assert.ok(token, 'the UI keeps its token');
    assert.equal((await customersWith(token)).statusCode, 200);

    await page.getByRole('button', { name: 'Uitloggen' }).click();
    await page.waitForURL('**/login');
    assert.equal(await tokenInBrowser(), null);
    await eventually(async () => (await customersWith(token)).statusCode === 401, { timeoutMs: 5_000 });
  });

  it('a password change in the UI goes on with the new token the API answers (the old one has ended)', async () => {
    const username = unique('wissel');
    await system.db('admin_users').insert({
      username,
      password_hash: await argon2.hash('tijdelijk-wachtwoord-1'),
      role: 'admin',
      must_change_password: true,
    });
    await signIn(username, 'tijdelijk-wachtwoord-1');
    await page.waitForURL('**/change-password');
    const before = await tokenInBrowser();
    await page.getByLabel('Huidig wachtwoord').fill('tijdelijk-wachtwoord-1');
    await page.getByLabel('Nieuw wachtwoord', { exact: true }).fill('aaaaaaaaaaaa');
    await page.getByLabel('Herhaal nieuw wachtwoord').fill('aaaaaaaaaaaa');
    await page.getByRole('button', { name: 'Wachtwoord opslaan' }).click();
    await page.getByText('te makkelijk te raden').waitFor();

    await page.getByLabel('Nieuw wachtwoord', { exact: true }).fill('een-nieuw-eigen-wachtwoord');
    await page.getByLabel('Herhaal nieuw wachtwoord').fill('een-nieuw-eigen-wachtwoord');
    await page.getByRole('button', { name: 'Wachtwoord opslaan' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByTestId('stat-total').waitFor();
    const after = await tokenInBrowser();
    assert.ok(after && after !== before, 'the new token is kept');
    assert.equal((await customersWith(before!)).statusCode, 401);
    assert.equal((await customersWith(after)).statusCode, 200);
    assert.equal(page.url().endsWith('/login'), false, 'still signed in');
  });
});
