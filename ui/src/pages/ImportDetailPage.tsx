import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { downloadErrorReport, isRunning, useCancelImport, useImport } from '../api/imports';
import { ImportProgress, ImportStatusBadge } from '../components/ImportProgress';
import { ImportRejections } from '../components/ImportRejections';
import { ErrorState, Loading, Notice } from '../components/States';
import { useSession } from '../auth/auth-store';
import { useFormat } from '../lib/format';
import { usePageTitle } from '../lib/hooks';
import { useImportErrorText, useImportFailureText } from './import-errors';

const COUNTS = ['inserted', 'updated', 'unchanged', 'rejected'] as const;

export default function ImportDetailPage() {
  const { id = '' } = useParams();
  const { t, i18n } = useTranslation();
  const f = useFormat();
  const session = useSession();
  const query = useImport(id);
  const cancel = useCancelImport(id);
  const errorText = useImportErrorText();
  const failureText = useImportFailureText();
  const [downloadError, setDownloadError] = useState<unknown>(null);
  usePageTitle(query.data ? t('imports.detailTitle', { name: query.data.file_name }) : t('imports.title'));

  if (query.isPending) return <Loading />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  const job = query.data;
  const running = isRunning(job);
  const imported = job.inserted + job.updated + job.unchanged;

  const download = () => {
    setDownloadError(null);
    downloadErrorReport(job, i18n.language).catch(setDownloadError);
  };

  return (
    <div className="page">
      <p className="breadcrumb">
        <Link to="/imports">{t('imports.title')}</Link>
      </p>
      <div className="page-header">
        <h1>{job.file_name}</h1>
        <ImportStatusBadge job={job} />
      </div>

      <section className="card panel" aria-labelledby="import-progress" data-testid="import-detail">
        <div className="panel-header">
          <h2 id="import-progress">{t('imports.progress')}</h2>
          {running && session?.user.role === 'admin' && (
            <button
              type="button"
              className="btn btn-secondary btn-small"
              disabled={cancel.isPending || job.status === 'cancelling'}
              onClick={() => cancel.mutate()}
              data-testid="import-cancel"
            >
              {job.status === 'cancelling' ? t('imports.cancelling') : t('imports.cancel')}
            </button>
          )}
        </div>
        {running && <ImportProgress job={job} />}
        {job.status === 'completed' &&
          (job.rejected === 0 ? (
            <Notice kind="success" testId="import-done">
              {t('imports.completed', { rows: f.number(job.rows_processed) })}
            </Notice>
          ) : (
            <Notice kind="warning" testId="import-done">
              {t(imported === 0 ? 'imports.completedNothing' : 'imports.completedWithRejections', {
                count: job.rejected,
                rejected: f.number(job.rejected),
              })}
            </Notice>
          ))}
        {job.status === 'failed' && (
          <Notice kind="error" testId="import-failed">
            {t('imports.failed', { error: job.failure ? failureText(job.failure) : (job.error ?? '') })}
          </Notice>
        )}
        {job.status === 'cancelled' && <Notice kind="info">{t('imports.cancelledNote')}</Notice>}
        {cancel.isError && <Notice kind="error">{errorText(cancel.error)}</Notice>}

        <dl className="cards import-counts" data-testid="import-counts">
          {COUNTS.map((key) => (
            <div key={key} className="card stat" data-testid={`import-count-${key}`}>
              <dt className="stat-label">{t(`imports.counts.${key}`)}</dt>
              <dd className="stat-value">{f.number(job[key])}</dd>
            </div>
          ))}
        </dl>

        {job.rejected > 0 && (
          <section aria-labelledby="import-rejections-title">
            <h3 id="import-rejections-title">{t('imports.rejections.title')}</h3>
            <ImportRejections job={job} />
            <p>
              <button type="button" className="btn btn-secondary" onClick={download} data-testid="import-error-report">
                {t('imports.downloadReport', { count: job.rejected, rows: f.number(job.rejected) })}
              </button>
            </p>
          </section>
        )}
        {downloadError !== null && <Notice kind="error">{errorText(downloadError)}</Notice>}

        <dl className="facts">
          <dt>{t('imports.fileSize')}</dt>
          <dd>{f.fileSize(job.file_bytes)}</dd>
          {job.encoding && (
            <>
              <dt>{t('imports.format')}</dt>
              <dd>
                {job.encoding === 'utf-8' ? 'UTF-8' : 'Windows-1252'} ·{' '}
                {t(`imports.delimiter.${job.delimiter === '\t' ? 'tab' : job.delimiter === ',' ? 'comma' : 'semicolon'}`)}
              </dd>
            </>
          )}
          <dt>{t('imports.by')}</dt>
          <dd>{job.created_by}</dd>
          <dt>{t('imports.started')}</dt>
          <dd>{f.dateTime(job.started_at ?? job.created_at)}</dd>
          <dt>{t('imports.finished')}</dt>
          <dd>{f.dateTime(job.finished_at)}</dd>
        </dl>
      </section>
    </div>
  );
}
