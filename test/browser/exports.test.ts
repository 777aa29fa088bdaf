import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { generateReferralCode } from '../../domain/referral-code.js';
import { unique } from '../support/system.js';
import { adminSession, screenshotDir, seriousAxeViolations, signedInPage, startBrowserSystem, type BrowserSystem } from './support.js';

/**
 * The export menus of the customer and referral lists in Chromium against the real API: the
 * file the browser downloads (natively, through a one-time link) carries the list's current
 * filters and the chosen format.
 */
describe('admin UI: exports', () => {
  let system: BrowserSystem;
  let browser: Browser;
  let page: Page;
  const tag = unique('uiexp').toLowerCase();
  const referrerCode = generateReferralCode(randomInt);

  before(async () => {
    system = await startBrowserSystem();
    const session = await adminSession(system);

    const customer = (n: number, name: string, code = generateReferralCode(randomInt)) => ({
      bebsy_customer_id: `${tag}-${n}`,
      name,
      email: `klant${n}.${tag}@example.nl`,
      referral_code: code,
    });
    const [referrer] = await system
      .db('customers')
      .insert([
        customer(1, 'Anna de Jong', referrerCode),
        customer(2, '=HYPERLINK("http://evil.example","klik")'),
        customer(3, 'Vries; "Jan" de'),
      ])
      .returning(['id']);
    await system.db('referrals').insert(
      ['paid', 'paid', 'expired'].map((status, n) => ({
        referrer_id: referrer.id,
        status,
        new_customer_email: `vriend${n}.${tag}@example.nl`,
        reward_amount_cents: 2500,
        workflow_id: `referral-ui-export-${tag}-${n}`,
      })),
    );

    ({ browser, page } = await signedInPage(system, session, { acceptDownloads: true }));
  });
  after(async () => {
    await browser?.close();
    await system?.close();
  });

  /** Picks the format, clicks Exporteren, answers the downloaded file's name and text. */
  async function exportAs(formatLabel: string) {
    await page.getByLabel('Exportformaat').selectOption({ label: formatLabel });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Exporteren' }).click()]);
    const path = await download.path();
    return { filename: download.suggestedFilename(), bytes: await readFile(path) };
  }

  it('downloads the filtered customers as Excel CSV', async () => {
    await page.goto(`/customers?search=${tag}`);
    await page.getByTestId('customers-table').getByText('Anna de Jong').waitFor();
    await page.screenshot({ path: `${screenshotDir}/exports-customers.png`, fullPage: true });
    assert.deepEqual(await seriousAxeViolations(page), []);

    const { filename, bytes } = await exportAs('Excel (CSV)');
    assert.match(filename, /^bebsy-customers-\d{4}-\d{2}-\d{2}\.csv$/);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 BOM');
    const records = parse(bytes, { bom: true, delimiter: ';' }) as string[][];
    assert.equal(records[0].join(';'), 'id;bebsy_customer_id;name;email;referral_code;locale;created_at;updated_at');
    const names = records.slice(1).map((r) => r[2]);
    assert.deepEqual(names.sort(), ['Anna de Jong', 'Vries; "Jan" de', `'=HYPERLINK("http://evil.example","klik")`].sort());
  });

  it('downloads the referrals with the status filter as JSON', async () => {
    await page.goto(`/referrals?search=${referrerCode}&status=paid`);
    await page.getByRole('table').waitFor();
    await page.getByLabel('Exportformaat').selectOption({ label: 'JSON' });
    await page.screenshot({ path: `${screenshotDir}/exports-referrals.png`, fullPage: true });
    assert.deepEqual(await seriousAxeViolations(page), []);

    const { filename, bytes } = await exportAs('JSON');
    assert.match(filename, /^bebsy-referrals-\d{4}-\d{2}-\d{2}\.json$/);
    const rows = JSON.parse(bytes.toString('utf8')) as { status: string; referrer_code: string; reward_amount: number }[];
    assert.equal(rows.length, 2);
    assert.ok(rows.every((r) => r.status === 'paid' && r.referrer_code === referrerCode && r.reward_amount === 25));
  });
});
