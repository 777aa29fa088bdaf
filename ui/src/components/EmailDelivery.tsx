import { useTranslation } from 'react-i18next';
import type { EmailStatus, EmailSummary, EmailTransport } from '../api/types';
import { EmailStatusBadge } from './EmailParts';
import { Notice } from './States';

/**
 * Where a message stands for an admin: `stored` is "sent" by the outbox transport (kept in the
 * table, never delivered); `retrying` is queued after an attempt that failed (Temporal retries it).
 */
export type EmailDelivery = EmailStatus | 'stored' | 'retrying';

export function emailDelivery(email: Pick<EmailSummary, 'status' | 'provider' | 'attempts' | 'error'>): EmailDelivery {
  if (email.status === 'sent' && email.provider === 'outbox') return 'stored';
  if (email.status === 'queued' && email.attempts > 0 && email.error) return 'retrying';
  return email.status;
}

/** The message's status in words: Verzonden, Opgeslagen (niet verzonden), In de wachtrij, Wordt opnieuw geprobeerd, Mislukt. */
export function EmailDeliveryBadge({ email, testId }: { email: EmailSummary; testId?: string }) {
  const { t } = useTranslation();
  const delivery = emailDelivery(email);
  if (delivery !== 'stored' && delivery !== 'retrying') return <EmailStatusBadge status={delivery} testId={testId} />;
  return (
    <span className={`badge ${delivery === 'stored' ? 'badge-other' : 'badge-flag'}`} data-status={delivery} data-testid={testId}>
      {t(`emailStatus.${delivery}`)}
    </span>
  );
}

/** Which transport is in use, so nobody takes a stored message for a sent one. */
export function EmailTransportNote({ transport }: { transport: EmailTransport }) {
  const { t } = useTranslation();
  return (
    <Notice kind="info" testId="email-transport">
      {t(`emails.transport.${transport}`)}
    </Notice>
  );
}
