import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import argon2 from 'argon2';
import Fastify, { type FastifyInstance } from 'fastify';
import { adminToken, createCustomer, eventually, unique } from '../support/system.js';
import {
  adminSession,
  checkScreen,
  launchChromium,
  pendingReferral,
  screenshotDir,
  startBrowserSystem,
  type BrowserSystem,
} from './support.js';

/**
 * The admin UI and the public page in Debian's Chromium, against the real API, worker,
 * Postgres and Temporal: UI → API → workflow. Each screen is screenshotted (SCREENSHOT_DIR)
 * and checked with axe-core for serious accessibility violations.
 */
describe('admin UI in a real browser', () => {
  const BOOKING_SITE = 'https://boeken.bebsy.test/reizen';
  let system: BrowserSystem;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let token: string;
  let collector: FastifyInstance;
  const faroPayloads: unknown[] = [];

  before(async () => {
    collector = Fastify();
    collector.addHook('onRequest', async (request, reply) => {
      reply
        .header('access-control-allow-origin', '*')
        .header('access-control-allow-headers', '*')
        .header('access-control-allow-methods', 'POST, OPTIONS');
      if (request.method === 'OPTIONS') return reply.status(204).send();
    });
    collector.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    collector.post('/collect', async (request) => {
      faroPayloads.push(typeof request.body === 'string' ? JSON.parse(request.body) : request.body);
      return { ok: true };
    });
    await collector.listen({ host: '127.0.0.1', port: 0 });
    const collectorUrl = `http://127.0.0.1:${(collector.server.address() as { port: number }).port}/collect`;

    system = await startBrowserSystem({ REWARD_HOLD_DAYS: '0', FARO_COLLECTOR_URL: collectorUrl, BOOKING_SITE_URL: BOOKING_SITE });
    token = await adminToken(system.app);
    browser = await launchChromium();
    // axe is injected as a script: the real CSP (script-src 'self') would block it
    context = await browser.newContext({
      baseURL: system.baseUrl,
      bypassCSP: true,
      locale: 'nl-NL',
      timezoneId: 'Europe/Amsterdam',
      viewport: { width: 1366, height: 900 },
    });
    page = await context.newPage();
    await mkdir(screenshotDir, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await system?.close();
    await collector?.close();
  });

  let username: string;
  it('signs in, with a forced password change for a flagged account on a card with the logo and the language switch', async () => {
    username = unique('beheerder');
    await system
      .db('admin_users')
      .insert({ username, password_hash: await argon2.hash('tijdelijk-wachtwoord'), role: 'admin', must_change_password: true });
    await page.goto('/login');
    await checkScreen(page, '01-login');
    await page.getByLabel('Gebruikersnaam').fill(username);
    await page.getByLabel('Wachtwoord', { exact: true }).fill('verkeerd');
    await page.getByRole('button', { name: 'Inloggen' }).click();
    await page.getByTestId('login-error').waitFor();
    await page.getByLabel('Wachtwoord', { exact: true }).fill('tijdelijk-wachtwoord');
    await page.getByRole('button', { name: 'Inloggen' }).click();
    await page.waitForURL('**/change-password');
    await page.getByRole('heading', { name: 'Nieuw wachtwoord instellen' }).waitFor();
    assert.match(await page.locator('.auth-brand').innerText(), /Bebsy/, 'the logo, as on the sign-in page');
    await page.getByTestId('language-select').selectOption('en');
    await page.getByRole('heading', { name: 'Set a new password' }).waitFor();
    await page.getByTestId('language-select').selectOption('nl');
    await checkScreen(page, '02-change-password');
    await page.getByLabel('Huidig wachtwoord').fill('tijdelijk-wachtwoord');
    await page.getByLabel('Nieuw wachtwoord', { exact: true }).fill('een-nieuw-lang-wachtwoord');
    await page.getByLabel('Herhaal nieuw wachtwoord').fill('een-nieuw-lang-wachtwoord');
    await page.getByRole('button', { name: 'Wachtwoord opslaan' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const row = await system.db('admin_users').where({ username }).first();
    assert.equal(row.must_change_password, false);
    assert.ok(await argon2.verify(row.password_hash, 'een-nieuw-lang-wachtwoord'));
    await page.getByTestId('stat-total').waitFor();
    await checkScreen(page, '03-dashboard');
  });

  it('approves a referral and watches it reach paid (UI → API → workflow)', async () => {
    const { id } = await pendingReferral(system, token);
    await page.goto(`/referrals/${id}`);
    await page.getByRole('heading', { name: `Verwijzing #${id}` }).waitFor();
    await checkScreen(page, '04-referral-pending');
    await page.getByRole('button', { name: 'Goedkeuren' }).click();
    await page.locator('[data-testid="referral-status"][data-status="paid"]').waitFor({ timeout: 20_000 });
    await page.getByTestId('voucher-code').waitFor();
    assert.match(await page.getByTestId('voucher-code').innerText(), /^BEBSY-/);
    assert.equal((await system.db('rewards').where({ referral_id: id })).length, 1);
    assert.match(
      (await page.getByTestId('temporal-link').getAttribute('href')) ?? '',
      new RegExp(`/workflows/referral-${id}-[a-z2-9]{8}$`),
    );
    await checkScreen(page, '05-referral-paid');
  });

  it('shows the analytics on the dashboard: status chart, revenue impact with ROI, top referrers linking to the customer', async () => {
    // A referrer with five bookings this week: at the top of the week's board.
    const name = `Femke ${unique('Top')}`;
    const referrer = await createCustomer(system.app, token, { name });
    await system.db('referrals').insert(
      Array.from({ length: 5 }, () => ({
        referrer_id: referrer.id,
        new_customer_email: `${unique('vriend')}@example.nl`,
        status: 'pending_approval',
        reward_amount_cents: 2500,
        workflow_id: unique('wf'),
        booking_confirmed_at: new Date(),
        booking_value_cents: 129_900,
      })),
    );
    await page.goto('/?period=7');
    await page.getByTestId('status-series-chart').waitFor();
    assert.match(await page.getByTestId('revenue-impact').innerText(), /Rendement \(ROI\)/);
    assert.match(await page.getByTestId('revenue-roi').innerText(), /%/, 'a reward was paid this week: ROI is a percentage');
    const board = page.getByTestId('top-referrers');
    await board.waitFor();
    await page.getByRole('img', { name: 'Ingediende verwijzingen per dag, verdeeld naar hun huidige status' }).waitFor();
    await checkScreen(page, '05b-dashboard-analytics');
    // the numbers behind the status chart, folded under "Toon als tabel": today has the five
    const statusChart = page.locator('figure', { has: page.getByTestId('status-series-chart') });
    await statusChart.getByText('Toon als tabel').click();
    const table = statusChart.getByRole('table');
    assert.ok((await table.getByRole('columnheader').allInnerTexts()).includes('Te beoordelen'));
    const today = table.getByRole('row').last();
    assert.ok(Number((await today.getByRole('cell').nth(1).innerText()).replace(/\./g, '')) >= 5, 'today: at least the five new referrals');
    await board.getByRole('link', { name }).click();
    await page.waitForURL(`**/customers/${referrer.id}`);
  });

  it('rejects a referral with a reason', async () => {
    const { id } = await pendingReferral(system, token);
    await page.goto(`/referrals/${id}`);
    await page.getByRole('button', { name: 'Afwijzen' }).click();
    await page.getByLabel('Reden van afwijzing').fill('Boeking via een reisbureau');
    await page.getByRole('button', { name: 'Afwijzing bevestigen' }).click();
    await page.locator('[data-testid="referral-status"][data-status="rejected"]').waitFor();
    const row = await system.db('referrals').where({ id }).first();
    assert.equal(row.rejection_reason, 'Boeking via een reisbureau');
    assert.equal(row.rejected_by, `admin:${username}`);
    await checkScreen(page, '06-referral-rejected');
  });

  it('shows no reward amount for a referral the rule checks rejected, only "Geen beloning"', async () => {
    const referrer = await createCustomer(system.app, token);
    const { id } = (
      await system.app.inject({
        method: 'POST',
        url: '/api/referrals',
        payload: { referrer_code: referrer.referral_code, new_customer_email: referrer.email },
      })
    ).json();
    await eventually(async () => (await system.db('referrals').where({ id }).first()).status === 'rejected');
    await page.goto(`/referrals/${id}`);
    await page.getByTestId('rejection-reason').waitFor();
    assert.equal(await page.getByTestId('no-reward').innerText(), 'Geen beloning');
    assert.doesNotMatch(await page.locator('main').innerText(), /€\s?25,00/);
  });

  it('names the deciding admin once: "by admin" in English, "door admin" in Dutch, in the timeline and the audit log', async () => {
    const { id } = await pendingReferral(system, token);
    const reject = await system.app.inject({
      method: 'PUT',
      url: `/api/referrals/${id}/status`,
      headers: { authorization: `Bearer ${token}` },
      payload: { status: 'rejected', reason: 'Dubbele boeking' },
    });
    assert.equal(reject.statusCode, 200, reject.body);
    await page.goto(`/referrals/${id}`);
    const decidedBy = page.getByTestId('timeline').locator('[data-status="rejected"]');
    await decidedBy.getByText('door admin', { exact: true }).waitFor();
    await page.getByTestId('language-select').selectOption('en');
    await decidedBy.getByText('by admin', { exact: true }).waitFor();
    const auditWho = await page.getByTestId('audit-table').locator('tbody td:nth-child(2)').allInnerTexts();
    assert.ok(auditWho.includes('admin'), `the audit log names the admin: ${auditWho.join(', ')}`);
    assert.doesNotMatch(await page.locator('main').innerText(), /admin admin/);
    await page.getByTestId('language-select').selectOption('nl');
  });

  it('keeps every menu item fully in sight on a 375 px wide phone: the menu wraps instead of cutting items off', async () => {
    const phone = await browser.newContext({
      baseURL: system.baseUrl,
      bypassCSP: true,
      locale: 'nl-NL',
      viewport: { width: 375, height: 812 },
      isMobile: true,
    });
    await phone.addInitScript((value) => localStorage.setItem('bebsy.session', value), await adminSession(system));
    const phonePage = await phone.newPage();
    try {
      await phonePage.goto('/');
      const links = phonePage.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link');
      await links.first().waitFor();
      // the name's first line (a count badge may follow it)
      assert.deepEqual(
        (await links.allInnerTexts()).map((text) => text.split('\n')[0]),
        ['Dashboard', 'Te beoordelen', 'Verwijzingen', 'Klanten', 'Importeren', 'E-mails', 'Beheer'],
      );
      for (const link of await links.all()) {
        const name = await link.innerText();
        const box = await link.boundingBox();
        assert.ok(box && box.x >= 0 && box.y >= 0 && box.x + box.width <= 375, `${name} lies within the screen: ${JSON.stringify(box)}`);
        const clipped = await link.evaluate((el) =>
          [el, ...el.querySelectorAll('*:not(.visually-hidden)')].some((e) => e.scrollWidth > e.clientWidth),
        );
        assert.equal(clipped, false, `${name} is shown whole`);
      }
      assert.equal(await phonePage.evaluate(() => document.documentElement.scrollWidth), 375, 'nothing sticks out sideways');
      await checkScreen(phonePage, '15-phone-menu');
    } finally {
      await phone.close();
    }
  });

  it('bulk-approves several referrals with progress and an outcome per referral', async () => {
    const ids = [
      (await pendingReferral(system, token)).id,
      (await pendingReferral(system, token)).id,
      (await pendingReferral(system, token)).id,
    ];
    await page.goto('/referrals?status=pending_approval&sort=oldest');
    await page.getByTestId('referrals-table').waitFor();
    for (const id of ids) await page.getByLabel(`Selecteer verwijzing ${id}`).check();
    await page.getByRole('button', { name: /Goedkeuren \(3\)/ }).click();
    await page.getByRole('button', { name: /Ja, keur 3 goed/ }).click();
    await page.getByRole('heading', { name: 'Klaar' }).waitFor({ timeout: 20_000 });
    for (const id of ids) assert.equal(await page.getByTestId(`bulk-result-${id}`).getAttribute('data-ok'), 'true');
    await checkScreen(page, '07-bulk-approved');
    await eventually(async () => (await system.db('referrals').whereIn('id', ids).where({ status: 'paid' })).length === 3, {
      timeoutMs: 20_000,
    });
  });

  it('works through the review queue and the customer screens', async () => {
    await pendingReferral(system, token);
    await page.goto('/review');
    await page.getByTestId('review-list').waitFor();
    await checkScreen(page, '08-review-queue');
    await page.goto('/customers');
    await page.getByTestId('customers-table').waitFor();
    await checkScreen(page, '09-customers');
    await page.getByRole('link', { name: 'Klant toevoegen' }).click();
    const email = `${unique('nieuw')}@example.nl`;
    await page.getByLabel('Naam').fill('Femke Visser');
    await page.getByLabel('E-mailadres').fill(email);
    await page.getByLabel('Bebsy-klantnummer').fill(unique('BEB-'));
    await page.getByRole('button', { name: 'Klant opslaan' }).click();
    await page.getByTestId('referral-code').waitFor();
    const code = (await page.getByTestId('referral-code').innerText()).trim();
    assert.equal((await system.db('customers').where({ email }).first()).referral_code, code);
    assert.match(await page.getByTestId('share-link').inputValue(), new RegExp(`/r/${code}$`));
    await checkScreen(page, '10-customer-detail');
  });

  it('starts a new customer search at its first page, not at the cursor of the last one', async () => {
    const marker = unique('paging');
    const created = [];
    for (let i = 1; i <= 26; i++) created.push(await createCustomer(system.app, token, { name: `Klant ${marker} ${i}` }));
    await page.goto(`/customers?search=${marker}`);
    await page.getByTestId('customers-table').waitFor();
    await page.getByRole('button', { name: 'Volgende' }).click();
    await page.waitForURL(/cursor=/);
    const search = page.getByLabel('Zoeken');
    await search.fill(`${marker} 7`);
    await search.press('Enter');
    await page.getByTestId(`customer-row-${created[6].id}`).waitFor();
    assert.doesNotMatch(page.url(), /cursor=/);
  });

  it('switches to English and remembers it', async () => {
    await page.goto('/');
    await page.getByTestId('language-select').selectOption('en');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByRole('navigation', { name: /main/i }).getByRole('link', { name: 'Customers' }).waitFor();
    await page.reload();
    await page.getByRole('navigation', { name: /main/i }).getByRole('link', { name: 'Customers' }).waitFor();
    await checkScreen(page, '11-dashboard-english');
    await page.getByTestId('language-select').selectOption('nl');
    await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Klanten' }).waitFor();
  });

  it('lets a referred friend submit the public form, points them to BOOKING_SITE_URL with their code, and is friendly about an unknown code', async () => {
    const referrer = await createCustomer(system.app, token, { name: 'Sanne de Boer' });
    const mobile = await browser.newContext({
      baseURL: system.baseUrl,
      bypassCSP: true,
      locale: 'nl-NL',
      viewport: { width: 390, height: 844 },
      isMobile: true,
    });
    const friendPage = await mobile.newPage();
    const bookingLink = `${BOOKING_SITE}?ref=${referrer.referral_code}`;
    try {
      await friendPage.goto(`/r/${referrer.referral_code}`);
      await friendPage.getByText(/Sanne/).first().waitFor();
      const cta = friendPage.getByRole('link', { name: /Boek je reis op bebsy\.nl/ });
      assert.equal(await cta.getAttribute('href'), bookingLink);
      await checkScreen(friendPage, '12-public-form');
      const friend = `${unique('vriendin')}@example.nl`;
      await friendPage.getByLabel('Je e-mailadres').fill(friend);
      await friendPage.getByRole('button', { name: 'Verstuur' }).click();
      await friendPage.getByTestId('public-confirmation').waitFor();
      assert.equal(await cta.getAttribute('href'), bookingLink, 'the next step after the form: booking');
      await checkScreen(friendPage, '13-public-confirmation');
      const row = await system.db('referrals').where({ new_customer_email: friend }).first();
      assert.equal(row.referrer_id, referrer.id);
      assert.equal(row.new_customer_locale, 'nl', "the form's language, for the friend's welcome email");
      await friendPage.goto('/r/ZZZZZZZZ');
      await friendPage.getByTestId('public-unknown-code').waitFor();
      assert.equal(await friendPage.getByRole('link', { name: 'Naar bebsy.nl' }).getAttribute('href'), BOOKING_SITE);
      await checkScreen(friendPage, '14-public-unknown-code');
    } finally {
      await mobile.close();
    }
  });

  it('reports page views, errors and web vitals to the configured Faro collector, with trace headers on API calls', async () => {
    const traced: string[] = [];
    page.on('request', (request) => {
      if (/\/api\/(referrals|customers)/.test(request.url()) && request.headers()['traceparent'])
        traced.push(request.headers()['traceparent']);
    });
    await page.goto('/referrals');
    await page.getByTestId('referrals-table').waitFor();
    await page.goto('/customers');
    await page.getByTestId('customers-table').waitFor();
    await page.evaluate(() =>
      setTimeout(() => {
        throw new Error('faro browser test error');
      }),
    );
    const sent = () => JSON.stringify(faroPayloads);
    await eventually(async () => sent().includes('faro browser test error') && sent().includes('"type":"web-vitals"'), {
      timeoutMs: 20_000,
    });
    const text = sent();
    assert.match(text, /"app":\{"name":"bebsy-referrals-admin","environment":"test"/, 'the app reaches the collector');
    assert.match(text, /"view":\{"name":"\/(referrals|customers)"/, 'page views by route pattern, without ids');
    assert.match(text, /"exceptions":\[\{"type":"Error","value":"faro browser test error"/, 'uncaught errors');
    assert.match(text, /"measurements":\[\{"type":"web-vitals"/, 'web vitals');
    // Faro (and its fetch instrumentation) loads lazily after the first render: the page's first
    // calls may go out before it; a search now, in the same page, is an API call made after it
    await page.getByLabel('Zoeken').fill('traced');
    await eventually(async () => traced.length > 0, { timeoutMs: 5_000 }).catch(() => undefined);
    assert.ok(traced.length > 0, 'API calls carry a W3C traceparent header');
    assert.match(traced[0], /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });
});
