import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { useEmailPreview } from '../api/queries';
import { EMAIL_KINDS, EMAIL_LOCALES, type EmailKind, type EmailLocale } from '../api/types';
import { EmailFrame, EmailTabs, EmailText } from '../components/EmailParts';
import { ErrorState, Loading } from '../components/States';
import { usePageTitle } from '../lib/hooks';

const oneOf = <T extends string>(values: readonly T[], value: string | null, fallback: T): T => ((values as readonly string[]).includes(value ?? '') ? (value as T) : fallback);

/** Every template with sample data, in Dutch and English, as recipients would see it. */
export default function EmailPreviewsPage() {
  const { t } = useTranslation();
  usePageTitle(t('previews.title'));
  const [params, setParams] = useSearchParams();
  const template = oneOf<EmailKind>(EMAIL_KINDS, params.get('template'), EMAIL_KINDS[0]);
  const locale = oneOf<EmailLocale>(EMAIL_LOCALES, params.get('locale'), 'nl');
  const preview = useEmailPreview(template, locale);

  const update = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    next.set(key, value);
    setParams(next, { replace: true });
  };

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>{t('emails.title')}</h1>
          <p className="muted">{t('previews.intro')}</p>
        </div>
      </div>
      <EmailTabs />

      <div className="toolbar filters" role="group" aria-label={t('previews.choose')}>
        <div className="field field-inline">
          <label htmlFor="preview-template">{t('previews.template')}</label>
          <select id="preview-template" value={template} onChange={(e) => update('template', e.target.value)}>
            {EMAIL_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`emailKind.${k}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-inline">
          <label htmlFor="preview-locale">{t('previews.locale')}</label>
          <select id="preview-locale" value={locale} onChange={(e) => update('locale', e.target.value)}>
            {EMAIL_LOCALES.map((l) => (
              <option key={l} value={l} lang={l}>
                {t(`language.${l}`)}
              </option>
            ))}
          </select>
        </div>
      </div>

      {preview.isPending ? (
        <Loading />
      ) : preview.isError ? (
        <ErrorState error={preview.error} onRetry={() => void preview.refetch()} />
      ) : (
        <div className={preview.isPlaceholderData ? 'stale' : undefined} aria-busy={preview.isFetching}>
          <section className="panel" aria-labelledby="preview-html">
            <h2 id="preview-html">{t('previews.html')}</h2>
            <p>
              <span className="muted">{t('previews.subject')}: </span>
              <strong data-testid="preview-subject" lang={preview.data.locale}>
                {preview.data.subject}
              </strong>
            </p>
            <EmailFrame
              html={preview.data.html}
              title={t('previews.frameTitle', { template: t(`emailKind.${preview.data.template}`), language: t(`language.${preview.data.locale}`) })}
              testId="preview-frame"
            />
          </section>
          <section className="panel" aria-labelledby="preview-text">
            <h2 id="preview-text">{t('email.text')}</h2>
            <EmailText text={preview.data.text} labelledBy="preview-text" testId="preview-text" />
          </section>
        </div>
      )}
    </div>
  );
}
