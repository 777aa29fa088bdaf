import { useTranslation } from 'react-i18next';
import type { CustomerImport } from '../api/imports';
import { useFormat } from '../lib/format';

/** The import's status as a badge, in the admin's language. */
export function ImportStatusBadge({ job }: { job: Pick<CustomerImport, 'status'> }) {
  const { t } = useTranslation();
  return (
    <span className={`badge badge-import-${job.status}`} data-testid="import-status">
      {t(`imports.status.${job.status}`)}
    </span>
  );
}

/** Progress bar (indeterminate while validating) with the phase and rows read so far. */
export function ImportProgress({ job }: { job: CustomerImport }) {
  const { t } = useTranslation();
  const f = useFormat();
  return (
    <div className="progress-row import-progress">
      <progress max={100} value={job.percent ?? undefined} aria-label={t('imports.progress')} data-testid="import-progressbar" />
      <span className="num" role="status" aria-live="polite">
        {job.percent !== null && `${f.number(job.percent)}% · `}
        {t(`imports.phase.${job.phase}`)} · {t('imports.rowsRead', { count: job.rows_processed, rows: f.number(job.rows_processed) })}
      </span>
    </div>
  );
}
