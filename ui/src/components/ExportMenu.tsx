import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../api/client';
import { useErrorText } from '../lib/errors';
import { SelectField } from './SelectField';

const FORMATS = ['csv', 'excel-csv', 'json'] as const;
type Format = (typeof FORMATS)[number];

export type ExportFilters = Record<string, string | number | boolean | undefined | null>;

/**
 * Exports the list with its current filters. The API answers a one-time download URL (valid
 * for a minute) and the browser downloads it natively, streamed to disk: no blob of the whole
 * file in memory, and no bearer token in the URL.
 */
export function ExportMenu({ entity, filters }: { entity: 'customers' | 'referrals'; filters: ExportFilters }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const [format, setFormat] = useState<Format>('csv');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const download = async () => {
    setBusy(true);
    setError(null);
    try {
      const { url } = await api<{ url: string }>(`/export/${entity}/link${qs({ ...filters, format })}`, { method: 'POST' });
      const link = document.createElement('a');
      link.href = url;
      link.download = '';
      link.click();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="export-menu" data-testid={`export-${entity}`}>
      <SelectField
        id={`export-format-${entity}`}
        label={t('export.format')}
        value={format}
        options={FORMATS.map((f) => ({ value: f, label: t(`export.formats.${f}`) }))}
        onChange={(value) => setFormat(value as Format)}
      />
      <button type="button" className="btn btn-secondary" onClick={() => void download()} disabled={busy}>
        {busy ? t('export.busy') : t('export.button')}
      </button>
      {error !== null && (
        <p className="field-error" role="alert">
          {t('export.failed', { message: errorText(error) })}
        </p>
      )}
    </div>
  );
}
