import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { useEmail } from '../api/queries';
import { EmailDeliveryBadge, emailDelivery } from '../components/EmailDelivery';
import { EmailFrame, EmailText } from '../components/EmailParts';
import { ErrorState, Loading } from '../components/States';
import { useFormat } from '../lib/format';
import { usePageTitle } from '../lib/hooks';

/** One outbox message: its facts, the HTML as the recipient sees it (sandboxed) and the text part. */
export default function EmailDetailPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { id = '' } = useParams();
  const email = useEmail(id);
  usePageTitle(email.data?.subject ?? t('email.title'));

  if (email.isPending) return <Loading />;
  if (email.isError) return <ErrorState error={email.error} onRetry={() => void email.refetch()} />;
  const e = email.data;
  const delivery = emailDelivery(e);

  return (
    <div className="page">
      <p className="breadcrumb">
        <Link to="/emails">← {t('emails.title')}</Link>
      </p>
      <div className="page-header">
        <div>
          <h1>{e.subject}</h1>
          <p className="muted">{t('email.heading', { id: e.id })}</p>
        </div>
        <EmailDeliveryBadge email={e} testId="email-status" />
      </div>

      <section className="panel" aria-labelledby="email-facts">
        <h2 id="email-facts">{t('email.facts')}</h2>
        <dl className="facts">
          <dt>{t('emails.to')}</dt>
          <dd>{e.to_address}</dd>
          <dt>{t('emails.kind')}</dt>
          <dd>{t(`emailKind.${e.kind}`, { defaultValue: e.kind })}</dd>
          <dt>{t('emails.locale')}</dt>
          <dd>{t(`language.${e.locale}`, { defaultValue: e.locale })}</dd>
          <dt>{t('emails.status')}</dt>
          <dd>{t(`emailStatus.${delivery}`)}</dd>
          {e.error && (
            <>
              <dt>{t('email.error')}</dt>
              <dd className="email-error" data-testid="email-error">
                {e.error}
              </dd>
            </>
          )}
          <dt>{t('email.provider')}</dt>
          <dd>{e.provider ?? t('email.none')}</dd>
          {e.provider_message_id && (
            <>
              <dt>{t('email.providerId')}</dt>
              <dd className="mono">{e.provider_message_id}</dd>
            </>
          )}
          <dt>{t('email.attempts')}</dt>
          <dd>{f.number(e.attempts)}</dd>
          <dt>{t('emails.created')}</dt>
          <dd>{f.dateTime(e.created_at)}</dd>
          <dt>{delivery === 'stored' ? t('email.storedAt') : t('email.sentAt')}</dt>
          <dd>{e.sent_at ? f.dateTime(e.sent_at) : t('email.notSent')}</dd>
          <dt>{t('email.key')}</dt>
          <dd className="mono">{e.idempotency_key}</dd>
        </dl>
      </section>

      <section className="panel" aria-labelledby="email-html">
        <h2 id="email-html">{t('email.html')}</h2>
        <EmailFrame html={e.html} title={t('email.frameTitle', { subject: e.subject })} testId="email-frame" />
      </section>

      <section className="panel" aria-labelledby="email-text">
        <h2 id="email-text">{t('email.text')}</h2>
        <EmailText text={e.text} labelledBy="email-text" testId="email-text" />
      </section>
    </div>
  );
}
