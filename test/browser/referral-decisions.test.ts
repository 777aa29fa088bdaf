import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { adminToken, createCustomer, eventually, unique } from '../support/system.js';
import { adminSession, checkScreen, pendingReferral, signedInPage, startBrowserSystem, type BrowserSystem } from './support.js';

/**
 * Deciding on referrals in Debian's Chromium against the real API and workflows: a bulk
 * approval that says beforehand what it will skip and what is flagged, and the review queue's
 * `a` key, which holds an approval for an undo window and asks before approving a flagged one.
 */
describe('admin UI: deciding on referrals, in bulk and in the review queue', () => {
  let system: BrowserSystem;
  let browser: Browser;
  let page: Page;
  let token: string;

  before(async () => {
    system = await startBrowserSystem();
    token = await adminToken(system.app);
    ({ browser, page } = await signedInPage(system, await adminSession(system)));
  });
  after(async () => {
    await browser?.close();
    await system?.close();
  });

  const status = async (id: string) => (await system.db('referrals').where({ id }).first()).status as string;

  /** Opens the review queue with this referral selected, moved to the head of the oldest-first queue whatever else waits in it. */
  async function selectInQueue(id: string) {
    await system
      .db('referrals')
      .where({ id })
      .update({ submitted_at: new Date('2001-01-01T09:00:00Z') });
    await page.goto('/review');
    const item = page.getByTestId(`review-item-${id}`);
    await item.click();
    return item;
  }

  it('bulk-approves only what can still be approved, saying beforehand what it skips and how many are flagged', async () => {
    const marker = unique('bulk');
    const pending = [
      (await pendingReferral(system, token, `${marker}-a@example.nl`)).id,
      (await pendingReferral(system, token, `${marker}-b@example.nl`)).id,
      (await pendingReferral(system, token, `${marker}@mailinator.com`)).id,
    ];
    const referrer = await createCustomer(system.app, token);
    await system.db('referrals').insert(
      ['approved', 'approved', 'rejected'].map((decided, i) => ({
        referrer_id: referrer.id,
        new_customer_email: `${marker}-${decided}${i}@example.nl`,
        status: decided,
        reward_amount_cents: 2500,
        workflow_id: unique('wf'),
      })),
    );

    await page.goto(`/referrals?search=${marker}`);
    await page.getByTestId('select-page').check();
    const bar = page.getByTestId('bulk-bar');
    await bar.getByText('6 geselecteerd').waitFor();
    await bar.getByRole('button', { name: 'Afwijzen (3)' }).waitFor();
    await bar.getByRole('button', { name: 'Goedkeuren (3)' }).click();
    assert.equal(
      await page.getByTestId('bulk-plan').locator('p').first().innerText(),
      '3 van 6 geselecteerde verwijzingen kunnen worden goedgekeurd; 3 worden overgeslagen (2 al goedgekeurd, 1 al afgewezen).',
    );
    assert.equal(await page.getByTestId('bulk-flagged').innerText(), 'Let op: 1 daarvan is gesignaleerd door een controleregel.');
    await checkScreen(page, 'decisions-01-bulk-plan');

    await page.getByRole('button', { name: 'Ja, keur 3 goed' }).click();
    await page.getByRole('heading', { name: 'Klaar' }).waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('bulk-summary').innerText(), '3 gelukt, 0 mislukt. 3 overgeslagen.');
    assert.equal(await page.getByTestId('bulk-results').locator('li').count(), 3, 'nothing was sent for the skipped ones');
    for (const id of pending) assert.equal(await status(id), 'approved');
    await checkScreen(page, 'decisions-02-bulk-done');
  });

  it('holds an approval from the `a` key for 5 seconds with "Ongedaan maken" (z): undone, nothing reaches the API; else it is sent', async () => {
    const { id } = await pendingReferral(system, token);
    const item = await selectInQueue(id);
    const toast = page.getByTestId('undo-toast');

    await page.keyboard.press('a');
    await toast.getByText(`Verwijzing #${id} goedgekeurd`).waitFor();
    await item.waitFor({ state: 'detached' });
    await page.keyboard.press('z');
    await toast.waitFor({ state: 'detached' });
    assert.equal(await item.getAttribute('aria-current'), 'true', 'back in the queue, selected again');
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    assert.equal(await status(id), 'pending_approval', 'an undone approval is never sent');

    await page.keyboard.press('a');
    await toast.waitFor();
    await checkScreen(page, 'decisions-03-review-undo-toast');
    await page.getByTestId('review-outcome').getByText(`Verwijzing #${id} is goedgekeurd.`).waitFor({ timeout: 15_000 });
    assert.equal(await status(id), 'approved');
  });

  it('asks "Toch goedkeuren?" before approving a flagged referral, and a second `a` is no answer', async () => {
    const { id } = await pendingReferral(system, token, `${unique('vriend')}@mailinator.com`);
    await selectInQueue(id);

    await page.keyboard.press('a');
    const confirm = page.getByTestId('confirm-flagged');
    await confirm.getByText('Deze verwijzing is gesignaleerd. Toch goedkeuren?').waitFor();
    await page.keyboard.press('a');
    assert.equal(await page.getByTestId('undo-toast').count(), 0, 'nothing held, nothing sent');
    const approveAnyway = confirm.getByRole('button', { name: 'Ja, toch goedkeuren' });
    assert.ok(await approveAnyway.evaluate((button) => button === document.activeElement), 'the answer is one Enter away');
    await checkScreen(page, 'decisions-04-review-flagged-confirm');

    await approveAnyway.press('Enter');
    await page.getByTestId('undo-toast').getByText(`Verwijzing #${id} goedgekeurd`).waitFor();
    await eventually(async () => (await status(id)) === 'approved');
  });

  it('sends a held approval at once when the admin leaves the queue, before its undo window would have closed', async () => {
    const { id } = await pendingReferral(system, token);
    await selectInQueue(id);
    const pressed = Date.now();
    await page.keyboard.press('a');
    await page.getByTestId('undo-toast').waitFor();
    await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Verwijzingen' }).click();
    await eventually(async () => (await status(id)) === 'approved');
    assert.ok(Date.now() - pressed < 5_000, `sent on leaving, ${Date.now() - pressed} ms after \`a\`, not when the window closed`);
  });
});
