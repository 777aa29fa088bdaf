import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { useErrorText } from '../lib/errors';

export function Loading({ label }: { label?: string }) {
  const { t } = useTranslation();
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label ?? t('common.loading')}</span>
    </div>
  );
}

export function ErrorState({ error, onRetry, title }: { error: unknown; onRetry?: () => void; title?: string }) {
  const { t } = useTranslation();
  const text = useErrorText();
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">{title ?? t('errors.title')}</p>
      <p>{text(error)}</p>
      {onRetry &&
        !(error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429) && (
          <button type="button" className="btn btn-secondary" onClick={onRetry}>
            {t('common.retry')}
          </button>
        )}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty" data-testid="empty-state">
      <p className="state-title">{title}</p>
      {children}
    </div>
  );
}

/** An inline message: success, error or info, announced to screen readers. */
export function Notice({
  kind,
  children,
  testId,
}: {
  kind: 'success' | 'error' | 'info' | 'warning';
  children: ReactNode;
  testId?: string;
}) {
  return (
    <div className={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'} data-testid={testId}>
      {children}
    </div>
  );
}
