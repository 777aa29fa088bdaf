import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../scripts/infra/chromium.js';
export { launchChromium };
import { createCustomer, eventually, signedWebhook, startTestSystem, unique, type TestSystem } from '../support/system.js';

export interface BrowserSystem extends TestSystem {
  baseUrl: string;
}

/** The test system with its API actually listening (it serves the built UI at /). */
export async function startBrowserSystem(env: Record<string, string> = {}): Promise<BrowserSystem> {
  const system = await startTestSystem(env);
  await system.app.listen({ host: '127.0.0.1', port: 0 });
  const address = system.app.server.address();
  if (!address || typeof address === 'string') throw new Error('the API is not listening');
  return Object.assign(system, { baseUrl: `http://127.0.0.1:${address.port}` });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core in the page; answers the serious and critical violations (WCAG 2.1 A/AA). It
 * waits for the screen to settle first: while a list fetches its next page it shows the previous
 * rows dimmed (`.stale`, opacity 0.6), on purpose and for a moment, which axe would judge as
 * too little contrast.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.waitForFunction(() => document.querySelector('.stale') === null);
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export const screenshotDir = process.env.SCREENSHOT_DIR ?? '.data/screenshots';

/** Screenshots the page as `name` (SCREENSHOT_DIR) and fails on serious or critical axe violations. */
export async function checkScreen(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${screenshotDir}/${name}.png`, fullPage: true });
  const violations = await seriousAxeViolations(page);
  assert.deepEqual(violations, [], `${name}: ${JSON.stringify(violations, null, 1)}`);
}

/**
 * A referral whose booking is confirmed, waiting for an admin: submitted for a new referrer,
 * booked by `friendEmail` (a disposable address gets it flagged).
 */
export async function pendingReferral(system: BrowserSystem, token: string, friendEmail = `${unique('vriend')}@example.nl`) {
  const referrer = await createCustomer(system.app, token);
  const reference = unique('BK-');
  const { id } = (
    await system.app.inject({
      method: 'POST',
      url: '/api/referrals',
      payload: { referrer_code: referrer.referral_code, new_customer_email: friendEmail, booking_reference: reference },
    })
  ).json();
  await eventually(async () => (await system.db('referrals').where({ id }).first()).status === 'awaiting_booking');
  const hook = signedWebhook(system.config.webhooks.bookingSecret, {
    type: 'booking.confirmed',
    data: { booking_reference: reference, customer_email: friendEmail, booking_value: 1499, currency: 'EUR', departure_date: '2020-05-01' },
  });
  await system.app.inject({ method: 'POST', url: '/api/webhooks/bookings', headers: hook.headers, payload: hook.payload });
  await eventually(async () => (await system.db('referrals').where({ id }).first()).status === 'pending_approval');
  return { id: id as string, referrer };
}

/** The admin's session as the UI keeps it in localStorage, the forced password change already behind it. */
export async function adminSession(system: BrowserSystem): Promise<string> {
  const login = await system.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'admin123' } });
  if (login.statusCode !== 200) throw new Error(`admin login failed: ${login.statusCode} ${login.body}`);
  const reply = login.json();
  return JSON.stringify({ ...reply, user: { ...reply.user, must_change_password: false } });
}

/**
 * Chromium with one page signed in as `session`, Dutch, Amsterdam time, a 1366×900 laptop
 * screen; the CSP is bypassed so axe can be injected as a script. The screenshot folder exists.
 */
export async function signedInPage(
  system: BrowserSystem,
  session: string,
  { acceptDownloads = false } = {},
): Promise<{ browser: Browser; context: BrowserContext; page: Page }> {
  const browser = await launchChromium();
  const context = await browser.newContext({
    baseURL: system.baseUrl,
    bypassCSP: true,
    acceptDownloads,
    locale: 'nl-NL',
    timezoneId: 'Europe/Amsterdam',
    viewport: { width: 1366, height: 900 },
  });
  await context.addInitScript((value) => localStorage.setItem('bebsy.session', value), session);
  await mkdir(screenshotDir, { recursive: true });
  return { browser, context, page: await context.newPage() };
}
