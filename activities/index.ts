import { evaluateReferralRules, type RuleVerdict } from '../domain/referral-rules.js';
import type { BookingEvent, TransitionRecord } from '../domain/lifecycle.js';
import type { Db } from '../db/knex.js';
import * as lifecycle from '../db/repositories/lifecycle.js';
import type { EmailConfig, ReferralPolicyConfig } from '../config/env.js';
import type { Resend } from 'resend';
import { createEmailActivities } from './email.js';
import { createDigestActivities } from './digest.js';
import { createNotificationActivities } from './notifications.js';
import { createImportActivities } from './imports.js';

export type { SendEmailInput, SendEmailResult } from './email.js';

export interface ActivityDependencies {
  db: Db;
  policy: Pick<ReferralPolicyConfig, 'maxReferralsPerCustomer' | 'requireBookingReference'>;
  /** Email settings (`config.email`): the outbox, or Resend when RESEND_API_KEY is set. */
  email: EmailConfig;
  /** A ready Resend client (tests); by default one is made from `email.transport` when it is Resend. */
  resend?: Resend;
}

/**
 * Every activity of the worker: the referral lifecycle's, its emails (notifications and the
 * approval digest) and the customer import's. Each is idempotent: Temporal retries an activity
 * whose result it did not record, so running one twice must change nothing the second time.
 */
export function createWorkerActivities({ db, policy, email, resend }: ActivityDependencies) {
  const emailActivities = createEmailActivities({ db, email, resend });
  return {
    ...emailActivities,
    ...createNotificationActivities(db, emailActivities.sendEmail, email.adminRecipients),
    ...createDigestActivities(db, emailActivities.sendEmail, email.adminRecipients),
    ...createImportActivities(db),
    async checkReferralRules({ referralId }: { referralId: string }): Promise<RuleVerdict> {
      return evaluateReferralRules(await lifecycle.referralFacts(db, referralId), policy);
    },
    async recordTransition(record: TransitionRecord): Promise<void> {
      await lifecycle.recordTransition(db, record);
    },
    async takePendingBookingEvents({ referralId }: { referralId: string }): Promise<BookingEvent[]> {
      return lifecycle.claimPendingBookingEvents(db, referralId);
    },
    async payReward({ referralId, amountCents }: { referralId: string; amountCents: number }): Promise<{ voucherCode: string }> {
      return lifecycle.payReward(db, referralId, amountCents);
    },
    async recordClawback({ referralId, webhookId, at }: { referralId: string; webhookId: string; at: string }): Promise<void> {
      await lifecycle.recordClawback(db, referralId, webhookId, at);
    },
  };
}

export type WorkerActivities = ReturnType<typeof createWorkerActivities>;
