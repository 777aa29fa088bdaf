import { useTranslation } from 'react-i18next';
import type { Pagination as PageInfo } from '../api/types';
import { useFormat } from '../lib/format';

/** Previous / next with "page x of y" and the total; pages are 1-based. */
export function Pagination({ info, onPage, busy }: { info: PageInfo; onPage: (page: number) => void; busy?: boolean }) {
  const { t } = useTranslation();
  const f = useFormat();
  const last = Math.max(1, info.total_pages);
  const first = info.total === 0 ? 0 : (info.page - 1) * info.limit + 1;
  const end = Math.min(info.total, info.page * info.limit);
  return (
    <nav className="pagination" aria-label={t('pagination.label')}>
      <span className="pagination-range" aria-live="polite">
        {t('pagination.range', { from: f.number(first), to: f.number(end), total: f.number(info.total) })}
      </span>
      <div className="pagination-buttons">
        <button type="button" className="btn btn-secondary btn-small" disabled={info.page <= 1 || busy} onClick={() => onPage(1)}>
          {t('pagination.first')}
        </button>
        <button type="button" className="btn btn-secondary btn-small" disabled={info.page <= 1 || busy} onClick={() => onPage(info.page - 1)}>
          <span aria-hidden="true">‹ </span>
          {t('pagination.previous')}
        </button>
        <span className="pagination-page">{t('pagination.page', { page: f.number(info.page), pages: f.number(last) })}</span>
        <button type="button" className="btn btn-secondary btn-small" disabled={info.page >= last || busy} onClick={() => onPage(info.page + 1)}>
          {t('pagination.next')}
          <span aria-hidden="true"> ›</span>
        </button>
      </div>
    </nav>
  );
}
