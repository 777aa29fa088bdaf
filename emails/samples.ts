import type { EmailKind, EmailLocale, MessageOf } from './messages.js';

/** Sample data for every message: previews in the admin UI and the template tests. */
const sampleData: { [K in EmailKind]: MessageOf<K>['data'] } = {
  friend_booked: { referrerFirstName: 'Sanne', friendFirstName: 'Daan', referralCode: 'ABC12345' },
  reward_approved: { referrerFirstName: 'Sanne', amountCents: 2500, payoutAfter: '2026-07-01T10:00:00Z' },
  reward_paid: { referrerFirstName: 'Sanne', amountCents: 2500, voucherCode: 'BEBSY-7KQ2-M9XD', referralCode: 'ABC12345' },
  referral_expired: { referrerFirstName: 'Sanne', friendFirstName: 'Daan', referralCode: 'ABC12345' },
  friend_welcome: { friendFirstName: 'Daan', referrerFirstName: 'Sanne' },
  admin_flagged: { referralId: '42', reasons: ['disposable_email_domain'], referrerName: 'Sanne de Jong', referrerCode: 'ABC12345' },
  admin_digest: {
    pendingCount: 7,
    oldest: [
      { referralId: '12', referrerName: 'Sanne de Jong', submittedAt: '2026-05-02T08:30:00Z' },
      { referralId: '15', referrerName: 'Pieter Bakker', submittedAt: '2026-05-03T14:00:00Z' },
    ],
  },
};

const sampleRecipient = (kind: EmailKind) =>
  kind.startsWith('admin_') ? 'admin@bebsy.nl' : kind === 'friend_welcome' ? 'daan@example.nl' : 'sanne@example.nl';

export function sampleMessage<K extends EmailKind>(kind: K, locale: EmailLocale = 'nl'): MessageOf<K> {
  return { kind, to: sampleRecipient(kind), locale, data: sampleData[kind] } as MessageOf<K>;
}
