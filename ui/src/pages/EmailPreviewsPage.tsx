import { useTranslation } from 'react-i18next';
import { useEmailPreview } from '../api/queries';
import { EMAIL_KINDS, EMAIL_LOCALES, type EmailKind, type EmailLocale } from '../api/types';
import { EmailFrame, EmailTabs, EmailText } from '../components/EmailParts';
import { ErrorState, Loading } from '../components/States';
import { usePageTitle, useQueryParams } from '../lib/hooks';
import { SelectField } from '../components/SelectField';

const oneOf = <T extends string>(values: readonly T[], value: string | null, fallback: T): T =>
  (values as readonly string[]).includes(value ?? '') ? (value as T) : fallback;

/** Every template with sample data, in Dutch and English, as recipients would see it. */
export default function EmailPreviewsPage() {
  const { t } = useTranslation();
  usePageTitle(t('previews.title'));
  const { params, update } = useQueryParams();
  const template = oneOf<EmailKind>(EMAIL_KINDS, params.get('template'), EMAIL_KINDS[0]);
  const locale = oneOf<EmailLocale>(EMAIL_LOCALES, params.get('locale'), 'nl');
  const preview = useEmailPreview(template, locale);

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
        <SelectField
          id="preview-template"
          label={t('previews.template')}
          value={template}
          options={EMAIL_KINDS.map((k) => ({ value: k, label: t(`emailKind.${k}`) }))}
          onChange={(template) => update({ template })}
        />
        <SelectField
          id="preview-locale"
          label={t('previews.locale')}
          value={locale}
          options={EMAIL_LOCALES.map((l) => ({ value: l, label: t(`language.${l}`), lang: l }))}
          onChange={(locale) => update({ locale })}
        />
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
              title={t('previews.frameTitle', {
                template: t(`emailKind.${preview.data.template}`),
                language: t(`language.${preview.data.locale}`),
              })}
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
