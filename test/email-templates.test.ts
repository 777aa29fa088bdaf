import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMAIL_KINDS, EMAIL_LOCALES, renderEmail, type EmailKind, type EmailLocale, type EmailMessage } from '../emails/render.js';
import { sampleMessage } from '../emails/samples.js';

const context = { frontendUrl: 'https://referrals.bebsy.test/' };

/** Facts every part (subject, html, text) or a named part must contain, per message and locale. */
const facts: Record<EmailKind, Record<EmailLocale, { subject: string[]; body: string[] }>> = {
  friend_booked: {
    nl: { subject: ['Daan', 'geboekt'], body: ['Hoi Sanne', 'Daan', 'ABC12345', 'https://referrals.bebsy.test/r/ABC12345'] },
    en: { subject: ['Daan', 'booked'], body: ['Hi Sanne', 'Daan', 'ABC12345', 'https://referrals.bebsy.test/r/ABC12345'] },
  },
  reward_approved: {
    nl: { subject: ['€ 25,00', 'goedgekeurd'], body: ['Hoi Sanne', '€ 25,00', '1 juli 2026'] },
    en: { subject: ['€25.00', 'approved'], body: ['Hi Sanne', '€25.00', '1 July 2026'] },
  },
  reward_paid: {
    nl: { subject: ['€ 25,00', 'voucher'], body: ['Hoi Sanne', '€ 25,00', 'BEBSY-7KQ2-M9XD', 'Vouchercode', 'afrekenen'] },
    en: { subject: ['€25.00', 'voucher'], body: ['Hi Sanne', '€25.00', 'BEBSY-7KQ2-M9XD', 'Voucher code', 'check out'] },
  },
  referral_expired: {
    nl: { subject: ['verlopen'], body: ['Hoi Sanne', 'Daan', 'ABC12345', 'blijft geldig'] },
    en: { subject: ['expired'], body: ['Hi Sanne', 'Daan', 'ABC12345', 'stays valid'] },
  },
  friend_welcome: {
    nl: { subject: ['Welkom', 'Sanne'], body: ['Hoi Daan', 'Sanne heeft Bebsy aan je aangeraden'] },
    en: { subject: ['Welcome', 'Sanne'], body: ['Hi Daan', 'Sanne recommended Bebsy to you'] },
  },
  admin_flagged: {
    nl: {
      subject: ['#42', 'beoordeling'],
      body: ['#42', 'Sanne de Jong', 'Wegwerp-e-mailadres', 'https://referrals.bebsy.test/referrals/42'],
    },
    en: {
      subject: ['#42', 'review'],
      body: ['#42', 'Sanne de Jong', 'Disposable email address', 'https://referrals.bebsy.test/referrals/42'],
    },
  },
  admin_digest: {
    nl: {
      subject: ['7 verwijzingen'],
      body: ['7 verwijzingen', '#12', 'Sanne de Jong', '2 mei 2026', '#15', 'https://referrals.bebsy.test/review'],
    },
    en: {
      subject: ['7 referrals'],
      body: ['7 referrals', '#12', 'Sanne de Jong', '2 May 2026', '#15', 'https://referrals.bebsy.test/review'],
    },
  },
};

/** The HTML escapes a few characters; compare the visible text. */
const visible = (html: string) =>
  html
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\u00a0|&nbsp;/g, ' ');

describe('email templates', () => {
  for (const kind of EMAIL_KINDS) {
    for (const locale of EMAIL_LOCALES) {
      it(`${kind} renders in ${locale} with its key facts in subject, html and text`, async () => {
        const email = await renderEmail(sampleMessage(kind, locale), context);
        const expected = facts[kind][locale];
        for (const fact of expected.subject) assert.ok(email.subject.includes(fact), `subject "${email.subject}" lacks "${fact}"`);
        for (const fact of expected.body) {
          assert.ok(visible(email.html).includes(fact), `html lacks "${fact}"`);
          assert.ok(email.text.includes(fact), `text lacks "${fact}":\n${email.text}`);
        }
        assert.match(email.html, new RegExp(`<html[^>]*lang="${locale}"`));
        assert.doesNotMatch(email.text, /<[a-z]/i, 'the text part has no markup');
      });
    }
  }

  it('Dutch and English differ, Dutch greets with "Hoi"', async () => {
    const nl = await renderEmail(sampleMessage('reward_paid', 'nl'), context);
    const en = await renderEmail(sampleMessage('reward_paid', 'en'), context);
    assert.notEqual(nl.subject, en.subject);
    assert.ok(nl.text.startsWith('Hoi Sanne,'));
    assert.ok(en.text.startsWith('Hi Sanne,'));
  });

  it('amounts follow the locale: € 25,00 in Dutch, €25.00 in English, cents kept', async () => {
    const message = (locale: EmailLocale): EmailMessage => ({
      ...sampleMessage('reward_paid', locale),
      data: { ...sampleMessage('reward_paid').data, amountCents: 123456 },
    });
    assert.ok((await renderEmail(message('nl'), context)).subject.includes('€ 1.234,56'));
    assert.ok((await renderEmail(message('en'), context)).subject.includes('€1,234.56'));
  });

  it('escapes names supplied by users in the html', async () => {
    const message: EmailMessage = {
      kind: 'friend_welcome',
      to: 'x@example.nl',
      locale: 'nl',
      data: { referrerFirstName: '<script>alert(1)</script>', friendFirstName: '<b>Eva</b>' },
    };
    const email = await renderEmail(message, context);
    assert.doesNotMatch(email.html, /<script>|<b>Eva/);
    assert.ok(email.html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  });

  it('works without optional facts (no friend name, no payout date, nothing pending listed)', async () => {
    const booked = await renderEmail(
      { kind: 'friend_booked', to: 'x@example.nl', locale: 'nl', data: { referrerFirstName: 'Sanne', referralCode: 'ABC12345' } },
      context,
    );
    assert.ok(booked.subject.startsWith('Je vriend of vriendin'));
    const approved = await renderEmail(
      { kind: 'reward_approved', to: 'x@example.nl', locale: 'en', data: { referrerFirstName: 'Sanne', amountCents: 2500 } },
      context,
    );
    assert.ok(approved.text.includes('cancellation period'));
    const welcome = await renderEmail(
      { kind: 'friend_welcome', to: 'x@example.nl', locale: 'nl', data: { referrerFirstName: 'Sanne' } },
      context,
    );
    assert.ok(welcome.text.startsWith('Hoi,'));
    const digest = await renderEmail(
      { kind: 'admin_digest', to: 'admin@bebsy.nl', locale: 'nl', data: { pendingCount: 1, oldest: [] } },
      context,
    );
    assert.equal(digest.subject, '1 verwijzing wacht op goedkeuring');
  });
});
