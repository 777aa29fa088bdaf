import { Resend } from 'resend';
import { Context } from '@temporalio/activity';
import type { EmailConfig } from '../config/env.js';
import type { Db } from '../db/knex.js';
import { findOutboxMessageByKey, insertOutboxMessageOnce } from '../db/repositories/email-outbox.js';
import { outboxTransport } from './email-transports/outbox.js';
import { resendTransport } from './email-transports/resend.js';
import { smtpTransport } from './email-transports/smtp.js';
import type { EmailTransport } from './email-transports/transport.js';

/** The outbox kind of the admins' message about a failed backup or restore drill. */
export const BACKUP_ALERT_KIND = 'admin_backup_failed';

export interface BackupAlert {
  /** The backup or housekeeping run that failed (its name or workflow id). */
  subject: string;
  stage: 'backup' | 'drill' | 'prune' | 'housekeeping';
  error: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function transportFor(db: Db, email: EmailConfig): EmailTransport {
  const t = email.transport;
  if (t.kind === 'smtp') return smtpTransport(db, t, email.from);
  if (t.kind === 'resend') return resendTransport(db, new Resend(t.apiKey, { baseUrl: t.baseUrl }), email.from);
  return outboxTransport(db);
}

/**
 * Alerts after the retries ran out: the Temporal metric `bebsy_backup_failures` (labelled by
 * stage) and one email per admin (ADMIN_NOTIFICATION_EMAILS), stored in the outbox once per
 * subject, stage and recipient like every other message, so a retry sends nothing twice.
 */
export function createBackupAlertActivities(db: Db, email: EmailConfig) {
  const transport = transportFor(db, email);
  return {
    async alertBackupFailure(alert: BackupAlert): Promise<{ emailed: number }> {
      try {
        Context.current()
          .metricMeter.createCounter(
            'bebsy_backup_failures',
            'failures',
            'Backups, drills and housekeeping runs that failed after their retries',
          )
          .add(1, { stage: alert.stage });
      } catch {
        // outside an activity (tests calling it directly): no metric
      }
      const what = {
        backup: 'De back-up',
        drill: 'De hersteltest van de back-up',
        prune: 'Het opruimen van oude back-ups',
        housekeeping: 'Het onderhoud',
      }[alert.stage];
      const subject = `[Bebsy] ${what} is mislukt: ${alert.subject}`;
      const text = `${what} ${alert.subject} is mislukt, ook na nieuwe pogingen.\n\nFout: ${alert.error}\n\nZie Beheer in de admin-omgeving en docs/operations.md (Backups).\n`;
      const html = `<p>${escapeHtml(what)} <strong>${escapeHtml(alert.subject)}</strong> is mislukt, ook na nieuwe pogingen.</p><p>Fout: <code>${escapeHtml(alert.error)}</code></p><p>Zie Beheer in de admin-omgeving en docs/operations.md (Backups).</p>`;
      for (const to of email.adminRecipients) {
        const idempotencyKey = `backup-alert:${alert.stage}:${alert.subject}:${to}`;
        const row =
          (await findOutboxMessageByKey(db, idempotencyKey)) ??
          (await insertOutboxMessageOnce(db, {
            idempotencyKey,
            kind: BACKUP_ALERT_KIND,
            toAddress: to,
            locale: 'nl',
            subject,
            html,
            text,
          }));
        if (row.status === 'queued') await transport.send(row);
      }
      return { emailed: email.adminRecipients.length };
    },
  };
}

export type BackupAlertActivities = ReturnType<typeof createBackupAlertActivities>;
