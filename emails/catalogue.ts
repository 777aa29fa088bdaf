import type { FlagReason } from '../domain/referral-rules.js';
import type { EmailKind, EmailLocale, MessageOf } from './messages.js';

/**
 * The words of every email, per locale. Templates lay them out; nothing here knows HTML.
 * Tone: warm and plain, "je/jij" in Dutch, no marketing fluff.
 */
export interface EmailContent {
  subject: string;
  /** The inbox preview line. */
  preview: string;
  greeting: string;
  paragraphs: string[];
  /** A fact that stands out, e.g. the voucher code. */
  highlight?: { label: string; value: string };
  list?: { title: string; items: string[] };
  action?: { label: string; href: string };
  closing: string[];
}

export interface Formatters {
  money(cents: number): string;
  date(iso: string): string;
  /** An absolute link into the frontend (FRONTEND_URL + path). */
  link(path: string): string;
}

type Catalogue = { [K in EmailKind]: (data: MessageOf<K>['data'], f: Formatters) => EmailContent };

const nlFlags: Record<FlagReason, string> = {
  similar_to_referrer_email: 'Het e-mailadres van de vriend lijkt op dat van de aanbrenger',
  disposable_email_domain: 'Wegwerp-e-mailadres',
  high_referral_velocity: 'Veel verwijzingen van deze klant in het afgelopen uur',
  booking_reference_in_use: 'Het boekingsnummer hoorde al bij een andere verwijzing',
  booking_customer_mismatch: 'De klant van de boeking is niet de doorverwezen vriend',
};
const enFlags: Record<FlagReason, string> = {
  similar_to_referrer_email: "The friend's email address resembles the referrer's",
  disposable_email_domain: 'Disposable email address',
  high_referral_velocity: 'Many referrals from this customer in the past hour',
  booking_reference_in_use: 'The booking reference already belonged to another referral',
  booking_customer_mismatch: "The booking's customer is not the referred friend",
};

const nlClosing = ['Hartelijke groet,', 'Het team van Bebsy'];
const enClosing = ['Warm regards,', 'The Bebsy team'];

const nl: Catalogue = {
  friend_booked: (d, f) => {
    const friend = d.friendFirstName || 'Je vriend of vriendin';
    return {
      subject: `${friend} heeft geboekt met jouw code`,
      preview: 'Je beloning komt eraan zodra de boeking is goedgekeurd.',
      greeting: `Hoi ${d.referrerFirstName},`,
      paragraphs: [
        `${friend} heeft een reis geboekt met jouw verwijzingscode ${d.referralCode}. Fijn dat je Bebsy hebt aangeraden!`,
        'We kijken de boeking nu na. Zodra je beloning is goedgekeurd, hoor je het van ons.',
      ],
      action: { label: 'Deel je code nog eens', href: f.link(`/r/${encodeURIComponent(d.referralCode)}`) },
      closing: nlClosing,
    };
  },
  reward_approved: (d, f) => ({
    subject: `Je beloning van ${f.money(d.amountCents)} is goedgekeurd`,
    preview: 'Je ontvangt je voucher na de annuleringstermijn van de reis.',
    greeting: `Hoi ${d.referrerFirstName},`,
    paragraphs: [
      `Goed nieuws: je beloning van ${f.money(d.amountCents)} voor het aanraden van Bebsy is goedgekeurd.`,
      d.payoutAfter
        ? `Je ontvangt hem na ${f.date(d.payoutAfter)}, als de annuleringstermijn van de reis voorbij is.`
        : 'Je ontvangt hem zodra de annuleringstermijn van de reis voorbij is.',
      'Je hoeft niets te doen: we sturen je een e-mail met je vouchercode.',
    ],
    closing: nlClosing,
  }),
  reward_paid: (d, f) => ({
    subject: `Je voucher van ${f.money(d.amountCents)} staat klaar`,
    preview: `Je vouchercode: ${d.voucherCode}`,
    greeting: `Hoi ${d.referrerFirstName},`,
    paragraphs: [
      `Dank je wel dat je Bebsy hebt aangeraden. Hier is je beloning: een voucher van ${f.money(d.amountCents)}.`,
      'Zo gebruik je hem: vul de code in bij je volgende boeking, in het veld "Vouchercode" bij het afrekenen. Het bedrag gaat dan van de reissom af.',
      'Nog iemand die toe is aan een reis? Je verwijzingscode blijft gewoon geldig.',
    ],
    highlight: { label: 'Jouw vouchercode', value: d.voucherCode },
    action: { label: 'Deel je code nog eens', href: f.link(`/r/${encodeURIComponent(d.referralCode)}`) },
    closing: nlClosing,
  }),
  referral_expired: (d, f) => ({
    subject: 'Je verwijzing is verlopen',
    preview: 'Geen zorgen: je code blijft geldig.',
    greeting: `Hoi ${d.referrerFirstName},`,
    paragraphs: [
      `${d.friendFirstName ? `${d.friendFirstName} heeft` : 'Je vriend of vriendin heeft'} binnen de termijn geen reis geboekt, dus deze verwijzing is verlopen.`,
      `Jammer, maar niet erg: je code ${d.referralCode} blijft geldig. Misschien komt het later beter uit. Dank je wel dat je aan ons dacht.`,
    ],
    action: { label: 'Jouw verwijzingslink', href: f.link(`/r/${encodeURIComponent(d.referralCode)}`) },
    closing: nlClosing,
  }),
  friend_welcome: (d) => ({
    subject: `Welkom bij Bebsy: ${d.referrerFirstName} heeft ons aangeraden`,
    preview: `${d.referrerFirstName} heeft Bebsy aan je aangeraden.`,
    greeting: d.friendFirstName ? `Hoi ${d.friendFirstName},` : 'Hoi,',
    paragraphs: [
      `${d.referrerFirstName} heeft Bebsy aan je aangeraden. Wat leuk dat je er bent!`,
      `Zodra je reis is geboekt en bevestigd, krijgt ${d.referrerFirstName} van ons een bedankje. Aan je boeking verandert niets.`,
      'We wensen je alvast een fijne reis.',
    ],
    closing: nlClosing,
  }),
  admin_flagged: (d, f) => ({
    subject: `Verwijzing #${d.referralId} gemarkeerd: beoordeling nodig`,
    preview: 'Een verwijzing wacht op een beoordeling door een mens.',
    greeting: 'Hallo,',
    paragraphs: [
      `Verwijzing #${d.referralId}${d.referrerName ? ` van ${d.referrerName}${d.referrerCode ? ` (${d.referrerCode})` : ''}` : ''} is door de controle gemarkeerd en wacht op je beoordeling.`,
    ],
    list: d.reasons.length ? { title: 'Reden', items: d.reasons.map((r) => nlFlags[r] ?? r) } : undefined,
    action: { label: 'Verwijzing bekijken', href: f.link(`/referrals/${encodeURIComponent(d.referralId)}`) },
    closing: ['Het referralsysteem van Bebsy'],
  }),
  admin_digest: (d, f) => ({
    subject: d.pendingCount === 1 ? '1 verwijzing wacht op goedkeuring' : `${d.pendingCount} verwijzingen wachten op goedkeuring`,
    preview: 'Het dagelijkse overzicht van de beoordelingslijst.',
    greeting: 'Goedemorgen,',
    paragraphs: [
      d.pendingCount === 1 ? 'Er wacht 1 verwijzing op goedkeuring.' : `Er wachten ${d.pendingCount} verwijzingen op goedkeuring.`,
    ],
    list: d.oldest.length
      ? { title: 'De oudste', items: d.oldest.map((r) => `#${r.referralId} · ${r.referrerName} · ingediend op ${f.date(r.submittedAt)}`) }
      : undefined,
    action: { label: 'Naar de beoordelingslijst', href: f.link('/review') },
    closing: ['Het referralsysteem van Bebsy'],
  }),
};

const en: Catalogue = {
  friend_booked: (d, f) => {
    const friend = d.friendFirstName || 'Your friend';
    return {
      subject: `${friend} booked with your code`,
      preview: 'Your reward is on its way once the booking is approved.',
      greeting: `Hi ${d.referrerFirstName},`,
      paragraphs: [
        `${friend} booked a trip with your referral code ${d.referralCode}. Thank you for recommending Bebsy!`,
        "We're checking the booking now. As soon as your reward is approved, we'll let you know.",
      ],
      action: { label: 'Share your code again', href: f.link(`/r/${encodeURIComponent(d.referralCode)}`) },
      closing: enClosing,
    };
  },
  reward_approved: (d, f) => ({
    subject: `Your ${f.money(d.amountCents)} reward is approved`,
    preview: "You'll receive your voucher after the trip's cancellation period.",
    greeting: `Hi ${d.referrerFirstName},`,
    paragraphs: [
      `Good news: your ${f.money(d.amountCents)} reward for recommending Bebsy has been approved.`,
      d.payoutAfter
        ? `You'll receive it after ${f.date(d.payoutAfter)}, once the trip's cancellation period has passed.`
        : "You'll receive it once the trip's cancellation period has passed.",
      "There's nothing you need to do: we'll email you your voucher code.",
    ],
    closing: enClosing,
  }),
  reward_paid: (d, f) => ({
    subject: `Your ${f.money(d.amountCents)} voucher is ready`,
    preview: `Your voucher code: ${d.voucherCode}`,
    greeting: `Hi ${d.referrerFirstName},`,
    paragraphs: [
      `Thank you for recommending Bebsy. Here is your reward: a voucher worth ${f.money(d.amountCents)}.`,
      'How to use it: enter the code in the "Voucher code" field when you check out your next booking. The amount is taken off the price of your trip.',
      'Know someone else who could use a trip? Your referral code stays valid.',
    ],
    highlight: { label: 'Your voucher code', value: d.voucherCode },
    action: { label: 'Share your code again', href: f.link(`/r/${encodeURIComponent(d.referralCode)}`) },
    closing: enClosing,
  }),
  referral_expired: (d, f) => ({
    subject: 'Your referral has expired',
    preview: 'No worries: your code stays valid.',
    greeting: `Hi ${d.referrerFirstName},`,
    paragraphs: [
      `${d.friendFirstName || 'Your friend'} didn't book a trip in time, so this referral has expired.`,
      `A pity, but no problem: your code ${d.referralCode} stays valid. Perhaps another time suits better. Thank you for thinking of us.`,
    ],
    action: { label: 'Your referral link', href: f.link(`/r/${encodeURIComponent(d.referralCode)}`) },
    closing: enClosing,
  }),
  friend_welcome: (d) => ({
    subject: `Welcome to Bebsy: ${d.referrerFirstName} recommended us`,
    preview: `${d.referrerFirstName} recommended Bebsy to you.`,
    greeting: d.friendFirstName ? `Hi ${d.friendFirstName},` : 'Hi,',
    paragraphs: [
      `${d.referrerFirstName} recommended Bebsy to you. We're glad you're here!`,
      `Once your trip is booked and confirmed, ${d.referrerFirstName} gets a thank-you from us. Nothing changes about your booking.`,
      'We wish you a wonderful trip.',
    ],
    closing: enClosing,
  }),
  admin_flagged: (d, f) => ({
    subject: `Referral #${d.referralId} flagged: review needed`,
    preview: 'A referral is waiting for a human review.',
    greeting: 'Hello,',
    paragraphs: [
      `Referral #${d.referralId}${d.referrerName ? ` from ${d.referrerName}${d.referrerCode ? ` (${d.referrerCode})` : ''}` : ''} was flagged by the checks and is waiting for your review.`,
    ],
    list: d.reasons.length ? { title: 'Reason', items: d.reasons.map((r) => enFlags[r] ?? r) } : undefined,
    action: { label: 'Open the referral', href: f.link(`/referrals/${encodeURIComponent(d.referralId)}`) },
    closing: ['The Bebsy referral system'],
  }),
  admin_digest: (d, f) => ({
    subject: d.pendingCount === 1 ? '1 referral is waiting for approval' : `${d.pendingCount} referrals are waiting for approval`,
    preview: 'The daily summary of the review queue.',
    greeting: 'Good morning,',
    paragraphs: [d.pendingCount === 1 ? '1 referral is waiting for approval.' : `${d.pendingCount} referrals are waiting for approval.`],
    list: d.oldest.length
      ? { title: 'The oldest', items: d.oldest.map((r) => `#${r.referralId} · ${r.referrerName} · submitted ${f.date(r.submittedAt)}`) }
      : undefined,
    action: { label: 'Open the review queue', href: f.link('/review') },
    closing: ['The Bebsy referral system'],
  }),
};

export const catalogues: Record<EmailLocale, Catalogue> = { nl, en };
