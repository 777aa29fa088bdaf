import { useTranslation } from 'react-i18next';
import { Link, useLocation, useParams } from 'react-router';
import { useCustomer } from '../api/queries';
import { CopyButton } from '../components/CopyButton';
import { ReferralTable } from '../components/ReferralTable';
import { EmptyState, ErrorState, Loading, Notice } from '../components/States';
import { useFormat } from '../lib/format';
import { usePageTitle } from '../lib/hooks';

export default function CustomerDetailPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { id = '' } = useParams();
  const location = useLocation();
  const created = (location.state as { created?: boolean } | null)?.created;
  const customer = useCustomer(id);
  usePageTitle(customer.data?.name ?? t('customer.title'));

  if (customer.isPending) return <Loading />;
  if (customer.isError) return <ErrorState error={customer.error} onRetry={() => void customer.refetch()} />;
  const c = customer.data;
  const shareLink = `${window.location.origin}/r/${c.referral_code}`;

  return (
    <div className="page">
      <p className="breadcrumb">
        <Link to="/customers">← {t('customers.title')}</Link>
      </p>
      <div className="page-header">
        <h1>{c.name}</h1>
      </div>
      {created && <Notice kind="success">{t('customer.created')}</Notice>}

      <div className="detail-grid">
        <section className="panel" aria-labelledby="customer-data">
          <h2 id="customer-data">{t('customer.data')}</h2>
          <dl className="facts">
            <dt>{t('customers.email')}</dt>
            <dd>{c.email}</dd>
            <dt>{t('customers.bebsyId')}</dt>
            <dd className="mono">{c.bebsy_customer_id}</dd>
            <dt>{t('newCustomer.locale')}</dt>
            <dd>{t(`language.${c.locale === 'en' ? 'en' : 'nl'}`)}</dd>
            <dt>{t('customers.created')}</dt>
            <dd>{f.dateTime(c.created_at)}</dd>
          </dl>
        </section>

        <section className="panel" aria-labelledby="customer-share">
          <h2 id="customer-share">{t('customer.share')}</h2>
          <p className="muted">{t('customer.shareIntro')}</p>
          <div className="code-block">
            <span className="field-label">{t('customers.code')}</span>
            <span className="referral-code" data-testid="referral-code">
              {c.referral_code}
            </span>
            <CopyButton text={c.referral_code} label={t('customer.copyCode')} />
          </div>
          <div className="code-block">
            <label className="field-label" htmlFor="share-link">
              {t('customer.shareLink')}
            </label>
            <input
              id="share-link"
              className="share-link"
              readOnly
              value={shareLink}
              onFocus={(e) => e.currentTarget.select()}
              data-testid="share-link"
            />
            <CopyButton text={shareLink} label={t('customer.copyLink')} testId="copy-share-link" />
          </div>
        </section>
      </div>

      <section className="panel" aria-labelledby="customer-referrals">
        <div className="panel-header">
          <h2 id="customer-referrals">{t('customer.referrals', { count: c.referral_count })}</h2>
          {c.referral_count > c.referrals.length && (
            <Link to={`/referrals?search=${encodeURIComponent(c.referral_code)}`}>
              {t('customer.allReferrals', { count: c.referral_count })}
            </Link>
          )}
        </div>
        {c.referrals.length === 0 ? (
          <EmptyState title={t('customer.noReferrals')} />
        ) : (
          <ReferralTable referrals={c.referrals} caption={t('customer.referrals', { count: c.referral_count })} showReferrer={false} />
        )}
      </section>
    </div>
  );
}
