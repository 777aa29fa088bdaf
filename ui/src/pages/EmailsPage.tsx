import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useEmails } from '../api/queries';
import { EMAIL_KINDS, EMAIL_STATUSES, type EmailKind, type EmailStatus } from '../api/types';
import { EmailDeliveryBadge, EmailTransportNote } from '../components/EmailDelivery';
import { EmailTabs } from '../components/EmailParts';
import { Pagination } from '../components/Pagination';
import { SearchBox } from '../components/SearchBox';
import { EmptyState, ErrorState, Loading } from '../components/States';
import { useFormat } from '../lib/format';
import { usePageTitle, useQueryParams } from '../lib/hooks';
import { SelectField } from '../components/SelectField';

const LIMIT = 25;

const oneOf = <T extends string>(values: readonly T[], value: string | null): T | undefined =>
  (values as readonly string[]).includes(value ?? '') ? (value as T) : undefined;

/** The outbox: every message the platform sent or tried to send, newest first. */
export default function EmailsPage() {
  const { t } = useTranslation();
  usePageTitle(t('emails.title'));
  const f = useFormat();
  const { params, update, clear } = useQueryParams();
  const status = oneOf<EmailStatus>(EMAIL_STATUSES, params.get('status'));
  const kind = oneOf<EmailKind>(EMAIL_KINDS, params.get('kind'));
  const search = params.get('search') ?? '';
  const page = Math.max(1, Number(params.get('page')) || 1);
  const emails = useEmails({ status, kind, search: search || undefined, page, limit: LIMIT });
  const hasFilters = Boolean(status || kind || search);
  const transport = emails.data?.transport;

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>{t('emails.title')}</h1>
          <p className="muted">{t('emails.intro')}</p>
        </div>
      </div>
      <EmailTabs />
      {transport && <EmailTransportNote transport={transport} />}

      <div className="toolbar filters" role="search" aria-label={t('emails.filters')}>
        <SearchBox
          label={t('emails.search')}
          placeholder={t('emails.searchPlaceholder')}
          value={search}
          onSearch={(v) => update({ search: v || null })}
        />
        <SelectField
          id="email-filter-status"
          label={t('emails.status')}
          value={status ?? ''}
          options={[
            { value: '', label: t('emails.allStatuses') },
            ...EMAIL_STATUSES.map((s) => ({ value: s, label: t(`emails.statusFilter.${s}`) })),
          ]}
          onChange={(value) => update({ status: value || null })}
        />
        <SelectField
          id="email-filter-kind"
          label={t('emails.kind')}
          value={kind ?? ''}
          options={[{ value: '', label: t('emails.allKinds') }, ...EMAIL_KINDS.map((k) => ({ value: k, label: t(`emailKind.${k}`) }))]}
          onChange={(value) => update({ kind: value || null })}
        />
        {hasFilters && (
          <button type="button" className="btn btn-ghost btn-small clear-filters" onClick={() => clear()}>
            {t('emails.clearFilters')}
          </button>
        )}
      </div>

      {emails.isPending ? (
        <Loading />
      ) : emails.isError ? (
        <ErrorState error={emails.error} onRetry={() => void emails.refetch()} />
      ) : emails.data.data.length === 0 ? (
        <EmptyState title={hasFilters ? t('emails.noResults') : t('emails.empty')}>
          {!hasFilters && <p>{t('emails.emptyHint')}</p>}
        </EmptyState>
      ) : (
        <>
          <div className={emails.isPlaceholderData ? 'table-wrap stale' : 'table-wrap'}>
            <table className="table" data-testid="emails-table">
              <caption className="visually-hidden">{t('emails.outbox')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('emails.subject')}</th>
                  <th scope="col">{t('emails.to')}</th>
                  <th scope="col">{t('emails.kind')}</th>
                  <th scope="col">{t('emails.locale')}</th>
                  <th scope="col">{t('emails.status')}</th>
                  <th scope="col">{t('emails.created')}</th>
                </tr>
              </thead>
              <tbody>
                {emails.data.data.map((email) => (
                  <tr key={email.id} data-testid={`email-row-${email.id}`}>
                    <td>
                      <Link to={`/emails/${email.id}`}>{email.subject}</Link>
                    </td>
                    <td>{email.to_address}</td>
                    <td>{t(`emailKind.${email.kind}`, { defaultValue: email.kind })}</td>
                    <td>{t(`language.${email.locale}`, { defaultValue: email.locale })}</td>
                    <td>
                      <EmailDeliveryBadge email={email} testId={`email-status-${email.id}`} />
                      {email.status !== 'sent' && email.error && (
                        <p className="email-error" data-testid={`email-error-${email.id}`}>
                          {email.error}
                        </p>
                      )}
                    </td>
                    <td>{f.dateTime(email.sent_at ?? email.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination info={emails.data.pagination} busy={emails.isFetching} onPage={(p) => update({ page: p > 1 ? String(p) : null })} />
        </>
      )}
    </div>
  );
}
