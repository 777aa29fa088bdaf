import type { Db } from '../db/knex.js';
import { pendingApprovals } from '../db/repositories/approval-digest.js';
import type { AdminDigestMessage } from '../emails/messages.js';
import { recipientKey, type SendEmailInput, type SendEmailResult } from './email.js';

/** What the daily digest tells admins: how many referrals wait for approval, and the oldest ones. */
export type ApprovalDigest = AdminDigestMessage['data'];

/** How many of the oldest pending referrals the digest lists. */
export const DIGEST_OLDEST_LIMIT = 10;

/** The idempotency key of one day's digest to one admin: a retried or duplicated run that day sends nothing new. */
export const approvalDigestKey = (day: string, recipient: string) => recipientKey(`approval-digest:${day}`, recipient);

/**
 * The daily digest of pending approvals: `collectPendingApprovals` reads the review
 * queue from the read model; `sendApprovalDigest` sends one `admin_digest` message per admin
 * through `sendEmail`, keyed by the day (Europe/Amsterdam) and the recipient.
 */
export function createDigestActivities(db: Db, sendEmail: (input: SendEmailInput) => Promise<SendEmailResult>, adminRecipients: string[]) {
  return {
    async collectPendingApprovals(): Promise<ApprovalDigest> {
      const { count, oldest } = await pendingApprovals(db, DIGEST_OLDEST_LIMIT);
      return {
        pendingCount: count,
        oldest: oldest.map((r) => ({
          referralId: String(r.id),
          referrerName: r.referrer_name,
          submittedAt: new Date(r.submitted_at).toISOString(),
        })),
      };
    },

    /** Sends the digest to every admin; returns how many messages that is (0 without admins). */
    async sendApprovalDigest({ day, digest }: { day: string; digest: ApprovalDigest }): Promise<number> {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`sendApprovalDigest needs a day as YYYY-MM-DD, got ${JSON.stringify(day)}`);
      for (const to of adminRecipients) {
        const message: AdminDigestMessage = { kind: 'admin_digest', to, locale: 'nl', data: digest };
        await sendEmail({ idempotencyKey: approvalDigestKey(day, to), message });
      }
      return adminRecipients.length;
    },
  };
}

export type DigestActivities = ReturnType<typeof createDigestActivities>;
