import type { Db } from '../db/knex.js';
import { notificationFacts, type NotificationFacts } from '../db/repositories/notifications.js';
import type { EmailMessage } from '../emails/messages.js';
import { recipientKey, type SendEmailInput, type SendEmailResult } from './email.js';

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
 * The idempotency key of one referral email: `<workflow id>:<notification>:<recipient>`, e.g.
 * `referral-123-k7mq2xpa:reward_paid:sanne@example.nl`. The referral's workflow id (its row's
 * `workflow_id`), not its number: a database restored from a backup numbers new referrals again
 * from ids that lost referrals had, and a key of the number alone would make the new referral's
 * email a repeat of the lost one's at the provider (Resend drops a reused Idempotency-Key for
 * 24 hours; SMTP's Message-ID is derived from the key). A referral whose row still holds an
 * older `referral-<id>` workflow id keeps the key it had before. A long address goes in as its
 * SHA-256 (`recipientKey`). See docs/architecture.md.
 */
export const referralEmailKey = (workflowId: string, notification: ReferralNotification, to: string): string =>
  recipientKey(`${workflowId}:${notification}`, to);

/**
 * `notifyReferral`: reads the referral's facts and sends each message of a notification
 * through `sendEmail`, keyed by the referral's workflow id, notification and recipient
 * (`referralEmailKey`), so a retry (or a replayed workflow) never sends one twice. The workflow
 * id is the row's: the worker has checked that the calling workflow owns the row
 * (worker/workflow-ownership.ts).
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
        await sendEmail({ idempotencyKey: referralEmailKey(facts.workflow_id, notification, message.to), message });
      }
      return messages.length;
    },
  };
}
