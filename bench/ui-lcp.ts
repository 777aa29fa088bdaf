import type { Browser } from 'playwright-core';
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

export async function measureLcp(options: { baseUrl: string; session: { token: string; user: unknown }; runs: number; targets?: LcpTarget[] }): Promise<LcpResult[]> {
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
