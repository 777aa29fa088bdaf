import type { Db } from '../db/knex.js';
import { notificationFacts, type NotificationFacts } from '../db/repositories/notifications.js';
import type { EmailMessage } from '../emails/messages.js';
import type { SendEmailInput, SendEmailResult } from './email.js';

/** The moments of a referral's life someone hears about (docs/architecture.md, Emails). */
export type ReferralNotification =
  'friend_welcome' | 'admin_flagged' | 'friend_booked' | 'reward_approved' | 'reward_paid' | 'referral_expired';

const firstName = (name: string) => name.trim().split(/\s+/)[0];

/** The messages one notification sends: to the referrer, the friend, or every admin. */
export function notificationMessages(notification: ReferralNotification, r: NotificationFacts, adminRecipients: string[]): EmailMessage[] {
  const referrer = { to: r.referrer_email, locale: r.referrer_locale };
  const referrerFirstName = firstName(r.referrer_name);
  switch (notification) {
    case 'friend_welcome':
      // In the language of the friend's form; not said (older referrals, API clients): Dutch, Bebsy's language.
      return [{ kind: 'friend_welcome', to: r.new_customer_email, locale: r.new_customer_locale ?? 'nl', data: { referrerFirstName } }];
    case 'admin_flagged':
      return adminRecipients.map((to) => ({
        kind: 'admin_flagged',
        to,
        locale: 'nl',
        data: { referralId: r.id, reasons: r.flag_reasons, referrerName: r.referrer_name, referrerCode: r.referrer_code },
      }));
    case 'friend_booked':
      return [{ kind: 'friend_booked', ...referrer, data: { referrerFirstName, referralCode: r.referrer_code } }];
    case 'reward_approved':
      return [{ kind: 'reward_approved', ...referrer, data: { referrerFirstName, amountCents: r.reward_amount_cents } }];
    case 'reward_paid':
      if (!r.voucher_code) throw new Error(`Referral ${r.id} has no reward to announce`);
      return [
        {
          kind: 'reward_paid',
          ...referrer,
          data: { referrerFirstName, amountCents: r.reward_amount_cents, voucherCode: r.voucher_code, referralCode: r.referrer_code },
        },
      ];
    case 'referral_expired':
      return [{ kind: 'referral_expired', ...referrer, data: { referrerFirstName, referralCode: r.referrer_code } }];
  }
}

/**
 * `notifyReferral`: reads the referral's facts and sends each message of a notification
 * through `sendEmail`, keyed by referral, notification and recipient, so a retry (or a
 * replayed workflow) never sends one twice.
 */
export function createNotificationActivities(
  db: Db,
  sendEmail: (input: SendEmailInput) => Promise<SendEmailResult>,
  adminRecipients: string[],
) {
  return {
    async notifyReferral({ referralId, notification }: { referralId: string; notification: ReferralNotification }): Promise<number> {
      const facts = await notificationFacts(db, referralId);
      if (!facts) throw new Error(`Referral ${referralId} does not exist`);
      const messages = notificationMessages(notification, facts, adminRecipients);
      for (const message of messages) {
        await sendEmail({ idempotencyKey: `referral-${referralId}:${notification}:${message.to}`, message });
      }
      return messages.length;
    },
  };
}
