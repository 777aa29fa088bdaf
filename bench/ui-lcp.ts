import argon2 from 'argon2';
import type { Browser } from 'playwright-core';
import type { Db } from '../db/knex.js';
import { buildUi } from '../scripts/build-ui.js';
import { seedLarge } from '../scripts/seed-large/seed.js';
import { ms, table } from './stats.js';
import { launchChromium } from '../scripts/infra/chromium.js';

/**
 * Largest Contentful Paint of the admin UI's screens in headless Chromium, each load in a
 * fresh browser context (cold cache, like a first visit). The baseline is the sign-in page:
 * the same app shell and bundle without data, so the ratio shows what the data costs.
 */
export interface LcpTarget {
  name: string;
  path: string;
  /** The element that proves the screen shows its data. */
  readySelector: string;
  signedIn: boolean;
}

export const LCP_TARGETS: LcpTarget[] = [
  { name: 'sign-in page (baseline)', path: '/login', readySelector: 'form', signedIn: false },
  { name: 'dashboard', path: '/?period=30', readySelector: '[data-testid="trend-chart"]', signedIn: true },
  { name: 'referral list', path: '/referrals', readySelector: '[data-testid="referrals-table"]', signedIn: true },
];

export interface LcpResult {
  name: string;
  samplesMs: number[];
  medianMs: number;
  worstMs: number;
}

export async function measureLcp(options: {
  baseUrl: string;
  session: { token: string; user: unknown };
  runs: number;
  targets?: LcpTarget[];
}): Promise<LcpResult[]> {
  const browser: Browser = await launchChromium();
  try {
    const results: LcpResult[] = [];
    for (const target of options.targets ?? LCP_TARGETS) {
      const samples: number[] = [];
      for (let run = 0; run < options.runs; run++) samples.push(await lcpOnce(browser, options.baseUrl, target, options.session));
      const sorted = [...samples].sort((a, b) => a - b);
      results.push({ name: target.name, samplesMs: samples, medianMs: sorted[Math.floor(sorted.length / 2)], worstMs: sorted.at(-1)! });
    }
    return results;
  } finally {
    await browser.close();
  }
}

async function lcpOnce(browser: Browser, baseUrl: string, target: LcpTarget, session: { token: string; user: unknown }): Promise<number> {
  const context = await browser.newContext({ baseURL: baseUrl, locale: 'nl-NL', viewport: { width: 1366, height: 900 } });
  try {
    const page = await context.newPage();
    await page.addInitScript(
      ({ signedIn, sessionJson }) => {
        if (signedIn) localStorage.setItem('bebsy.session', sessionJson);
        const w = window as unknown as { __lcp: number };
        w.__lcp = 0;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) w.__lcp = Math.max(w.__lcp, entry.startTime);
        }).observe({ type: 'largest-contentful-paint', buffered: true });
      },
      { signedIn: target.signedIn, sessionJson: JSON.stringify(session) },
    );
    await page.goto(target.path);
    await page.locator(target.readySelector).first().waitFor({ timeout: 30_000 });
    // LCP is reported after the frame that painted it: give it two frames.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    const lcp = await page.evaluate(() => (window as unknown as { __lcp: number }).__lcp);
    if (!lcp) throw new Error(`no LCP recorded for ${target.path}`);
    return lcp;
  } finally {
    await context.close();
  }
}

/**
 * The admin UI phase of `npm run bench`: generates `rows` customers and referrals into the
 * bench database (seed:large), builds the UI when stale, signs in a bench admin and measures
 * LCP of each screen against the sign-in page. Prints its own table.
 */
export async function benchUiLcp(options: {
  db: Db;
  databaseUrl: string;
  baseUrl: string;
  rows: number;
  runs: number;
  log: (line: string) => void;
}): Promise<LcpResult[]> {
  options.log(`admin UI: generating ${options.rows.toLocaleString('en')} customers and referrals`);
  await seedLarge({ databaseUrl: options.databaseUrl, customers: options.rows, referrals: options.rows, seed: 1, log: () => undefined });
  await buildUi({ onlyWhenStale: true });
  const username = `bench-${Date.now()}`;
  const password = 'bench-password-not-secret';
  await options
    .db('admin_users')
    .insert({ username, password_hash: await argon2.hash(password), role: 'admin', must_change_password: false });
  const login = await fetch(`${options.baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!login.ok) throw new Error(`bench admin could not sign in: ${login.status}`);
  options.log(`admin UI: measuring LCP, ${options.runs} cold loads per screen`);
  const results = await measureLcp({ baseUrl: options.baseUrl, session: await login.json(), runs: options.runs });
  const baseline = results[0].medianMs;
  console.log('');
  console.log(
    `Admin UI: Largest Contentful Paint, headless Chromium, cold cache, ${options.rows.toLocaleString('en')} customers + ${options.rows.toLocaleString('en')} referrals`,
  );
  console.log(
    table(
      [
        ['screen', 'median', 'worst', 'vs sign-in page', 'samples (ms)'],
        ...results.map((r) => [
          r.name,
          ms(r.medianMs),
          ms(r.worstMs),
          `${(r.medianMs / baseline).toFixed(2)}x`,
          r.samplesMs.map((v) => v.toFixed(0)).join(' '),
        ]),
      ],
      ['l', 'r', 'r', 'r', 'l'],
    ),
  );
  return results;
}
