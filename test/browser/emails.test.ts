import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createEmailActivities } from '../../activities/email.js';
import { sampleMessage } from '../../emails/samples.js';
import { unique } from '../support/system.js';
import { adminSession, screenshotDir, seriousAxeViolations, signedInPage, startBrowserSystem, type BrowserSystem } from './support.js';

/**
 * The admin UI page "E-mails" in Debian's Chromium against the real API: the outbox (a message
 * stored by the default outbox transport, one being retried and a failed one, with the transport named), a message's rendered HTML in a sandboxed iframe, and the template
 * previews in both languages. Screens are screenshotted and checked with axe-core; one pass
 * runs under the API's real Content-Security-Policy to prove the iframe renders there.
 */
describe('admin UI: e-mails', () => {
  let system: BrowserSystem;
  let browser: Browser;
  let page: Page;
  let session: string;
  const marker = unique('mail');
  const sentKey = `${marker}:reward_paid`;
  const failedKey = `${marker}:friend_booked`;
  const retryingKey = `${marker}:reward_approved`;

  before(async () => {
    system = await startBrowserSystem();
    session = await adminSession(system);

    const { sendEmail } = createEmailActivities({ db: system.db, email: system.config.email });
    await sendEmail({ idempotencyKey: sentKey, message: { ...sampleMessage('reward_paid', 'nl'), to: `sanne.${marker}@example.nl` } });
    await assert.rejects(
      sendEmail({ idempotencyKey: failedKey, message: { ...sampleMessage('friend_booked', 'nl'), to: `geen-adres-${marker}` } }),
    );
    // what an SMTP transport leaves after a refused connection: queued, an attempt made, its error (Temporal retries)
    await system.db('email_outbox').insert({
      idempotency_key: retryingKey,
      kind: 'reward_approved',
      to_address: `daan.${marker}@example.nl`,
      locale: 'nl',
      subject: 'Je beloning is goedgekeurd',
      html: '<p>Hoi Daan</p>',
      text: 'Hoi Daan',
      attempts: 2,
      provider: 'smtp',
      error: 'smtp ECONNECTION: connect ECONNREFUSED 127.0.0.1:25',
    });

    ({ browser, page } = await signedInPage(system, session));
  });
  after(async () => {
    await browser?.close();
    await system?.close();
  });

  async function checkScreen(name: string) {
    await page.screenshot({ path: `${screenshotDir}/${name}.png`, fullPage: true });
    const violations = await seriousAxeViolations(page);
    assert.deepEqual(violations, [], `${name}: ${JSON.stringify(violations, null, 1)}`);
  }

  const outboxId = async (key: string) => String((await system.db('email_outbox').where({ idempotency_key: key }).first()).id);

  it('names the outbox transport and says stored, not sent; shows retried and failed messages with their errors', async () => {
    await page.goto('/');
    await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'E-mails' }).click();
    await page.getByRole('heading', { name: 'E-mails', level: 1 }).waitFor();
    await page.getByLabel('Zoeken').fill(marker);
    await page.getByLabel('Zoeken').press('Enter');
    // Enter searches at once: the list narrows to this test's three messages
    await page.waitForFunction(() => document.querySelectorAll('[data-testid^="email-row-"]').length === 3);
    const sentId = await outboxId(sentKey);
    const failedId = await outboxId(failedKey);
    const retryingId = await outboxId(retryingKey);
    await page.getByTestId(`email-row-${sentId}`).waitFor();
    assert.equal(await page.getByTestId('email-transport').innerText(), 'Transport: outbox — berichten worden bewaard, niet verzonden.');
    assert.equal(await page.getByTestId(`email-status-${sentId}`).innerText(), 'Opgeslagen, niet verzonden');
    assert.equal(await page.getByTestId(`email-error-${sentId}`).count(), 0);
    assert.equal(await page.getByTestId(`email-status-${retryingId}`).innerText(), 'Wordt opnieuw geprobeerd');
    assert.match(await page.getByTestId(`email-error-${retryingId}`).innerText(), /ECONNREFUSED/);
    assert.equal(await page.getByTestId(`email-status-${failedId}`).innerText(), 'Mislukt');
    assert.match(await page.getByTestId(`email-error-${failedId}`).innerText(), /invalid_recipient/);
    assert.equal(await page.getByText('Verzonden', { exact: true }).count(), 0, 'nothing stored is called sent');
    await checkScreen('20-emails-outbox');

    await page.getByLabel('Status').selectOption('failed_permanent');
    await page.getByTestId(`email-row-${sentId}`).waitFor({ state: 'detached' });
    await page.getByTestId(`email-row-${failedId}`).waitFor();
    assert.match(page.url(), /status=failed_permanent/);
    await page.getByLabel('Status').selectOption({ label: 'In de wachtrij of opnieuw geprobeerd' });
    await page.getByTestId(`email-row-${failedId}`).waitFor({ state: 'detached' });
    await page.getByTestId(`email-row-${retryingId}`).waitFor();
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Soort').selectOption('reward_paid');
    await page.getByTestId(`email-row-${failedId}`).waitFor({ state: 'detached' });
    await page.getByTestId(`email-row-${sentId}`).waitFor();
  });

  it('opens a stored message: stored, not sent, by the outbox transport; its HTML in a sandboxed iframe and its text part', async () => {
    const sentId = await outboxId(sentKey);
    await page.getByTestId(`email-row-${sentId}`).getByRole('link').click();
    await page.waitForURL(`**/emails/${sentId}`);
    await page.getByRole('heading', { level: 1, name: /voucher/i }).waitFor();
    assert.equal(await page.getByTestId('email-status').innerText(), 'Opgeslagen, niet verzonden');
    const fact = (term: string) => page.locator('dt', { hasText: term }).locator('xpath=following-sibling::dd[1]').innerText();
    assert.equal(await fact('Transport'), 'outbox');
    assert.match(await fact('Opgeslagen op'), /\d{4}/);
    assert.equal(await page.locator('dt', { hasText: 'Verzonden' }).count(), 0);
    const frame = page.getByTestId('email-frame');
    assert.equal(await frame.getAttribute('sandbox'), '');
    assert.match((await frame.getAttribute('title')) ?? '', /^Weergave van de e-mail/);
    await page.frameLocator('[data-testid="email-frame"]').getByText('BEBSY-7KQ2-M9XD', { exact: true }).first().waitFor();
    assert.match(await page.frameLocator('[data-testid="email-frame"]').locator('body').innerText(), /Hoi Sanne/);
    assert.match(await page.getByTestId('email-text').innerText(), /BEBSY-7KQ2-M9XD/);
    await checkScreen('21-email-detail');
  });

  it('previews every template in both languages', async () => {
    await page.getByRole('link', { name: '← E-mails' }).click();
    await page.getByRole('link', { name: 'Voorbeelden' }).click();
    await page.getByLabel('Sjabloon').waitFor();
    const preview = page.frameLocator('[data-testid="preview-frame"]');
    await preview.getByText('Hoi Sanne').first().waitFor();
    await checkScreen('22-email-previews-nl');

    await page.getByLabel('Sjabloon').selectOption('reward_paid');
    await page.getByLabel('Taal van de e-mail').selectOption('en');
    await page.locator('[data-testid="preview-subject"][lang="en"]').waitFor();
    assert.match(await page.getByTestId('preview-subject').innerText(), /voucher/i);
    await preview
      .getByText('Hi Sanne')
      .first()
      .waitFor({ timeout: 5_000 })
      .catch(async () => {
        assert.fail(`the English preview: ${await preview.locator('body').innerText()}`);
      });
    assert.match(await preview.locator('body').innerText(), /BEBSY-7KQ2-M9XD/);
    assert.match((await page.getByTestId('preview-frame').getAttribute('title')) ?? '', /Voucher uitbetaald \(English\)/);
    await checkScreen('23-email-previews-en');

    for (const template of ['friend_booked', 'reward_approved', 'referral_expired', 'friend_welcome', 'admin_flagged', 'admin_digest']) {
      await page.getByLabel('Sjabloon').selectOption(template);
      await page.waitForURL(new RegExp(`template=${template}`));
      const subject = (
        await system.app.inject({
          method: 'GET',
          url: `/api/emails/preview/${template}?locale=en`,
          headers: { authorization: `Bearer ${JSON.parse(session).token}` },
        })
      ).json().subject;
      await page.getByTestId('preview-subject').getByText(subject, { exact: true }).waitFor();
    }
  });

  it('renders the message in its iframe under the real Content-Security-Policy', async () => {
    const strict = await browser.newContext({ baseURL: system.baseUrl, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
    try {
      await strict.addInitScript((value) => localStorage.setItem('bebsy.session', value), session);
      const strictPage = await strict.newPage();
      const cspProblems: string[] = [];
      strictPage.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) cspProblems.push(message.text());
      });
      const response = await strictPage.goto(`/emails/${await outboxId(sentKey)}`);
      assert.match(response?.headers()['content-security-policy'] ?? '', /default-src 'self'/);
      await strictPage.frameLocator('[data-testid="email-frame"]').getByText('BEBSY-7KQ2-M9XD', { exact: true }).first().waitFor();
      await strictPage.goto('/emails/previews?template=admin_digest&locale=nl');
      await strictPage
        .frameLocator('[data-testid="preview-frame"]')
        .locator('body')
        .getByText(/Pieter Bakker/)
        .first()
        .waitFor();
      assert.deepEqual(cspProblems, []);
    } finally {
      await strict.close();
    }
  });
});
