import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useCustomers } from '../api/queries';
import { ExportMenu } from '../components/ExportMenu';
import { Pagination } from '../components/Pagination';
import { SearchBox } from '../components/SearchBox';
import { EmptyState, ErrorState, Loading } from '../components/States';
import { useSession } from '../auth/auth-store';
import { useFormat } from '../lib/format';
import { usePageTitle, useQueryParams } from '../lib/hooks';

const LIMIT = 25;

export default function CustomersPage() {
  const { t } = useTranslation();
  usePageTitle(t('customers.title'));
  const f = useFormat();
  const session = useSession();
  const { params, update } = useQueryParams();
  const search = params.get('search') ?? '';
  const page = Math.max(1, Number(params.get('page')) || 1);
  const customers = useCustomers({ page, cursor: params.get('cursor') || undefined, limit: LIMIT, search: search || undefined });

  return (
    <div className="page">
      <div className="page-header">
        <h1>{t('customers.title')}</h1>
        {session?.user.role === 'admin' && (
          <Link to="/customers/new" className="btn btn-primary">
            {t('customers.add')}
          </Link>
        )}
      </div>
      <div className="toolbar">
        <SearchBox
          label={t('customers.search')}
          placeholder={t('customers.searchPlaceholder')}
          value={search}
          onSearch={(value) => update({ search: value || null })}
        />
        <ExportMenu entity="customers" filters={{ search }} />
      </div>

      {customers.isPending ? (
        <Loading />
      ) : customers.isError ? (
        <ErrorState error={customers.error} onRetry={() => void customers.refetch()} />
      ) : customers.data.data.length === 0 ? (
        <EmptyState title={search ? t('customers.noResults', { search }) : t('customers.empty')}>
          {!search && <p>{t('customers.emptyHint')}</p>}
        </EmptyState>
      ) : (
        <>
          <div className={customers.isPlaceholderData ? 'table-wrap stale' : 'table-wrap'}>
            <table className="table" data-testid="customers-table">
              <caption className="visually-hidden">{t('customers.title')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('customers.name')}</th>
                  <th scope="col">{t('customers.email')}</th>
                  <th scope="col">{t('customers.bebsyId')}</th>
                  <th scope="col">{t('customers.code')}</th>
                  <th scope="col">{t('customers.created')}</th>
                </tr>
              </thead>
              <tbody>
                {customers.data.data.map((customer) => (
                  <tr key={customer.id} data-testid={`customer-row-${customer.id}`}>
                    <td>
                      <Link to={`/customers/${customer.id}`}>{customer.name}</Link>
                    </td>
                    <td>{customer.email}</td>
                    <td className="mono">{customer.bebsy_customer_id}</td>
                    <td className="mono">{customer.referral_code}</td>
                    <td>{f.date(customer.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination
            info={customers.data.pagination}
            busy={customers.isFetching}
            onPage={(p) => update({ page: p > 1 ? String(p) : null, cursor: null })}
            onCursor={(cursor) => update({ cursor, page: null })}
          />
        </>
      )}
    </div>
  );
}
