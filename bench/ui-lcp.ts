import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import argon2 from 'argon2';
import type { Browser } from 'playwright-core';
import type { Db } from '../db/knex.js';
import { buildUi } from '../scripts/build-ui.js';
import { seedLarge } from '../scripts/seed-large/seed.js';
import { ms, table } from './stats.js';
import { launchChromium } from '../scripts/infra/chromium.js';
import { projectRoot } from '../scripts/infra/temporal-binaries.js';

/**
 * Largest Contentful Paint of the admin UI's screens in headless Chromium, each load in a
 * fresh browser context (cold cache, like a first visit). The baseline is the sign-in page:
 * the same app shell and bundle without data, so the ratio shows what the data costs.
 *
 * - A load is read once the screen shows its data (the chart's lines, the first table row), not
 *   when the shell or a loading state has painted: an LCP read earlier would miss the data's
 *   paint, which is the candidate that matters.
 * - The browser is warmed by one unmeasured load before the first measured one: the first load
 *   of a freshly launched Chromium pays its own start-up (processes, caches), which would slow
 *   the baseline (measured first) and make the data screens look cheap next to it.
 */
export interface LcpTarget {
  name: string;
  path: string;
  /** An element that exists only once the screen shows its data. */
  readySelector: string;
  signedIn: boolean;
}

export const LCP_TARGETS: LcpTarget[] = [
  { name: 'sign-in page (baseline)', path: '/login', readySelector: 'form', signedIn: false },
  // the chart's lines: drawn from the stats answer (the section shows a loading state before it)
  { name: 'dashboard', path: '/?period=30', readySelector: '[data-testid="trend-chart"] polyline', signedIn: true },
  // the first row of the first page
  { name: 'referral list', path: '/referrals', readySelector: '[data-testid^="referral-row-"]', signedIn: true },
];

export interface LcpResult {
  name: string;
  samplesMs: number[];
  medianMs: number;
  worstMs: number;
}

export interface LcpMeasurement {
  /** The unmeasured first load that warmed the browser (the first target's path), in ms. */
  warmupMs: number;
  results: LcpResult[];
}

export async function measureLcp(options: {
  baseUrl: string;
  session: { token: string; user: unknown };
  runs: number;
  targets?: LcpTarget[];
}): Promise<LcpMeasurement> {
  const browser: Browser = await launchChromium();
  try {
    const targets = options.targets ?? LCP_TARGETS;
    // one load in the new browser, not counted: its start-up costs would land on the baseline
    const warmupMs = await lcpOnce(browser, options.baseUrl, targets[0], options.session);
    const results: LcpResult[] = [];
    for (const target of targets) {
      const samples: number[] = [];
      for (let run = 0; run < options.runs; run++) samples.push(await lcpOnce(browser, options.baseUrl, target, options.session));
      const sorted = [...samples].sort((a, b) => a - b);
      results.push({ name: target.name, samplesMs: samples, medianMs: sorted[Math.floor(sorted.length / 2)], worstMs: sorted.at(-1)! });
    }
    return { warmupMs, results };
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
    // attached, not visible: a flat chart line has an empty box, and the two frames below give the paint
    await page
      .locator(target.readySelector)
      .first()
      .waitFor({ state: 'attached', timeout: 30_000 })
      .catch(async (error: Error) => {
        // what the screen showed instead, for the one reading the broken run
        const shot = path.join(projectRoot, '.data', 'bench-logs', `lcp-${target.path.replace(/\W+/g, '_')}-${Date.now()}.png`);
        await mkdir(path.dirname(shot), { recursive: true });
        await page.screenshot({ path: shot }).catch(() => undefined);
        const text = (
          await page
            .locator('body')
            .innerText()
            .catch(() => '')
        ).slice(0, 500);
        throw new Error(
          `${target.path}: ${target.readySelector} not shown within 30 s (screenshot ${shot}; page text: ${JSON.stringify(text)})`,
          {
            cause: error,
          },
        );
      });
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
  options.log(`admin UI: measuring LCP, one unmeasured load to warm the browser, then ${options.runs} cold loads per screen`);
  const { warmupMs, results } = await measureLcp({ baseUrl: options.baseUrl, session: await login.json(), runs: options.runs });
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
  console.log(
    `(a load is read when its data shows: ${LCP_TARGETS.map((t) => `${t.name} ${t.readySelector}`).join('; ')}; ` +
      `the browser's first load, ${LCP_TARGETS[0].path}, not counted: ${warmupMs.toFixed(0)} ms)`,
  );
  return results;
}
