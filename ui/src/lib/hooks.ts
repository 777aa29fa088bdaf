import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';

/** document.title as "<page> · Bebsy verwijzingen". */
export function usePageTitle(title: string | undefined): void {
  const { t } = useTranslation();
  useEffect(() => {
    document.title = title ? `${title} · ${t('app.name')}` : t('app.name');
  }, [title, t]);
}

export function useDebouncedValue<T>(value: T, delayMs = 300): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return debounced;
}

/**
 * The page's filters live in the URL query. `update` sets (or, for an empty value, removes)
 * keys; any change other than the page itself returns to the first page.
 */
export function useQueryParams() {
  const [params, setParams] = useSearchParams();
  const update = (changes: Record<string, string | null | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    // any other change (a filter, the search) starts again at the first page, even when the
    // same call also names the page: a cursor from the old results would skip rows of the new
    if (Object.keys(changes).some((key) => key !== 'page' && key !== 'cursor')) {
      next.delete('page');
      next.delete('cursor');
    }
    setParams(next, { replace: true });
  };
  const clear = () => setParams({}, { replace: true });
  return { params, update, clear };
}
