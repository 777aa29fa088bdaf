import { useTranslation } from 'react-i18next';
import type { Pagination as PageInfo } from '../api/types';
import { useFormat } from '../lib/format';

/**
 * First / previous / next with "page x of y" and the total; pages are 1-based. Lists that
 * answer cursors (keyset pages) move by cursor, the others by page number. A total the API
 * only estimated is shown with "≈".
 */
export function Pagination({
  info,
  onPage,
  onCursor,
  busy,
}: {
  info: PageInfo;
  onPage: (page: number) => void;
  onCursor?: (cursor: string) => void;
  busy?: boolean;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  const keyset = onCursor !== undefined && info.next_cursor !== undefined;
  const last = Math.max(1, info.total_pages);
  const first = info.total === 0 ? 0 : (info.page - 1) * info.limit + 1;
  const end = Math.min(info.total, info.page * info.limit);
  const total = info.total_exact === false ? t('pagination.estimate', { total: f.number(info.total) }) : f.number(info.total);
  const hasPrev = keyset ? Boolean(info.prev_cursor) : info.page > 1;
  const hasNext = keyset ? Boolean(info.next_cursor) : info.page < last;
  const previous = () => (keyset ? onCursor(info.prev_cursor!) : onPage(info.page - 1));
  const next = () => (keyset ? onCursor(info.next_cursor!) : onPage(info.page + 1));
  return (
    <nav className="pagination" aria-label={t('pagination.label')}>
      <span className="pagination-range" aria-live="polite">
        {t('pagination.range', { from: f.number(first), to: f.number(end), total })}
      </span>
      <div className="pagination-buttons">
        <button type="button" className="btn btn-secondary btn-small" disabled={!hasPrev || busy} onClick={() => onPage(1)}>
          {t('pagination.first')}
        </button>
        <button type="button" className="btn btn-secondary btn-small" disabled={!hasPrev || busy} onClick={previous}>
          <span aria-hidden="true">‹ </span>
          {t('pagination.previous')}
        </button>
        <span className="pagination-page">
          {info.total_exact === false
            ? t('pagination.pageOnly', { page: f.number(info.page) })
            : t('pagination.page', { page: f.number(info.page), pages: f.number(last) })}
        </span>
        <button type="button" className="btn btn-secondary btn-small" disabled={!hasNext || busy} onClick={next}>
          {t('pagination.next')}
          <span aria-hidden="true"> ›</span>
        </button>
      </div>
    </nav>
  );
}
