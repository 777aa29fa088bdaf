import { evaluateReferralRules, type RuleVerdict } from '../domain/referral-rules.js';
import type { BookingEvent, TransitionRecord } from '../domain/lifecycle.js';
import type { Db } from '../db/knex.js';
import * as lifecycle from '../db/repositories/lifecycle.js';
import type { BackupConfig, EmailConfig, ReferralPolicyConfig } from '../config/env.js';
import type { Resend } from 'resend';
import { createEmailActivities } from './email.js';
import { createDigestActivities } from './digest.js';
import { createNotificationActivities } from './notifications.js';
import { createImportActivities } from './imports.js';
import { createBackupActivities } from './backups.js';
import { createBackupAlertActivities } from './backups-alerts.js';
import { createHousekeepingActivities } from './housekeeping.js';

export type { SendEmailInput, SendEmailResult } from './email.js';

export interface ActivityDependencies {
  db: Db;
  policy: Pick<ReferralPolicyConfig, 'maxReferralsPerCustomer' | 'requireBookingReference'>;
  /** Email settings (`config.email`): the outbox, or Resend when RESEND_API_KEY is set. */
  email: EmailConfig;
  /** A ready Resend client (tests); by default one is made from `email.transport` when it is Resend. */
  resend?: Resend;
  /**
   * Backups (`config.backups`) and the live database's URL they dump; by default the URL the db
   * client connects to and backups in .data/backups.
   */
  backups?: { config: BackupConfig; databaseUrl?: string; ssl?: boolean };
  /** Housekeeping (`config.housekeeping`); by default a year of audit rows is kept. */
  housekeeping?: { auditRetentionDays: number };
}

/** The URL the knex client connects with (db/knex.ts createDb). */
function connectionUrl(db: Db): string {
  const connection = db.client.config.connection as { connectionString?: string } | string;
  return typeof connection === 'string' ? connection : (connection.connectionString ?? '');
}

const DEFAULT_BACKUPS: BackupConfig = {
  cron: null,
  timeZone: 'Europe/Amsterdam',
  retentionDays: 30,
  dir: '.data/backups',
  s3: null,
  pgBinDir: null,
};

/**
 * Every activity of the worker: the referral lifecycle's, its emails (notifications and the
 * approval digest), the customer import's, the backups' (dump, drill, retention, restore,
 * alerts) and housekeeping's. Each is idempotent: Temporal retries an activity
 * whose result it did not record, so running one twice must change nothing the second time.
 */
export function createWorkerActivities({ db, policy, email, resend, backups, housekeeping }: ActivityDependencies) {
  const emailActivities = createEmailActivities({ db, email, resend });
  return {
    ...emailActivities,
    ...createBackupActivities({
      db,
      databaseUrl: backups?.databaseUrl ?? connectionUrl(db),
      ssl: backups?.ssl,
      config: backups?.config ?? DEFAULT_BACKUPS,
    }),
    ...createBackupAlertActivities(db, email),
    ...createHousekeepingActivities(db, housekeeping ?? { auditRetentionDays: 365 }),
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
