import { useTranslation } from 'react-i18next';
import { NavLink } from 'react-router';
import type { EmailStatus } from '../api/types';

const BADGE_CLASS: Record<EmailStatus, string> = {
  sent: 'badge-paid',
  queued: 'badge-pending_approval',
  failed_permanent: 'badge-rejected',
};

/** An outbox status in words (Verzonden / In de wachtrij / Mislukt) with its colour. */
export function EmailStatusBadge({ status, testId }: { status: EmailStatus; testId?: string }) {
  const { t } = useTranslation();
  return (
    <span className={`badge ${BADGE_CLASS[status] ?? 'badge-other'}`} data-status={status} data-testid={testId}>
      {t(`emailStatus.${status}`)}
    </span>
  );
}

/**
 * A rendered email, isolated: `sandbox=""` gives the document a unique origin with no scripts,
 * forms, popups or top navigation, so the message can neither run code nor reach the admin UI.
 */
export function EmailFrame({ html, title, testId }: { html: string; title: string; testId?: string }) {
  return <iframe className="email-frame" sandbox="" srcDoc={html} title={title} data-testid={testId} referrerPolicy="no-referrer" />;
}

/** The text part as sent (plain text, whitespace kept). */
export function EmailText({ text, labelledBy, testId }: { text: string; labelledBy: string; testId?: string }) {
  return (
    <pre className="email-text" tabIndex={0} aria-labelledby={labelledBy} data-testid={testId}>
      {text}
    </pre>
  );
}

/** Outbox | Voorbeelden. */
export function EmailTabs() {
  const { t } = useTranslation();
  return (
    <nav className="tabs" aria-label={t('emails.sections')}>
      <NavLink to="/emails" end>
        {t('emails.outbox')}
      </NavLink>
      <NavLink to="/emails/previews">{t('emails.previews')}</NavLink>
    </nav>
  );
}
