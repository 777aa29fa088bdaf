import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { useImports, useUploadImport } from '../api/imports';
import { ImportStatusBadge } from '../components/ImportProgress';
import { Pagination } from '../components/Pagination';
import { EmptyState, ErrorState, Loading } from '../components/States';
import { useSession } from '../auth/auth-store';
import { useFormat } from '../lib/format';
import { usePageTitle, useQueryParams } from '../lib/hooks';
import { ImportUploadError } from './ImportUploadError';

const LIMIT = 20;

export default function ImportsPage() {
  const { t } = useTranslation();
  usePageTitle(t('imports.title'));
  const f = useFormat();
  const session = useSession();
  const navigate = useNavigate();
  const { params, update } = useQueryParams();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const imports = useImports({ page, limit: LIMIT });
  const upload = useUploadImport();
  const input = useRef<HTMLInputElement>(null);
  const [missingFile, setMissingFile] = useState(false);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const file = input.current?.files?.[0];
    setMissingFile(!file);
    if (!file) return input.current?.focus();
    upload.mutate(file, { onSuccess: (job) => void navigate(`/imports/${job.id}`) });
  };

  return (
    <div className="page">
      <div className="page-header">
        <h1>{t('imports.title')}</h1>
      </div>

      {session?.user.role === 'admin' && (
        <section className="card panel" aria-labelledby="import-upload">
          <h2 id="import-upload">{t('imports.upload')}</h2>
          <p className="muted">{t('imports.uploadHint')}</p>
          <form className="form import-form" onSubmit={submit} noValidate>
            <div className="field">
              <label htmlFor="import-file">{t('imports.file')}</label>
              <input
                id="import-file"
                ref={input}
                type="file"
                accept=".csv,.tsv,.txt,text/csv"
                aria-invalid={missingFile || undefined}
                aria-describedby={missingFile ? 'import-file-error' : undefined}
                data-testid="import-file"
                onChange={() => setMissingFile(false)}
              />
              {missingFile && (
                <p className="field-error" id="import-file-error">
                  {t('imports.chooseFile')}
                </p>
              )}
            </div>
            {upload.isError && <ImportUploadError error={upload.error} />}
            <button type="submit" className="btn btn-primary" disabled={upload.isPending} data-testid="import-submit">
              {upload.isPending ? t('imports.uploading') : t('imports.start')}
            </button>
          </form>
        </section>
      )}

      <h2>{t('imports.recent')}</h2>
      {imports.isPending ? (
        <Loading />
      ) : imports.isError ? (
        <ErrorState error={imports.error} onRetry={() => void imports.refetch()} />
      ) : imports.data.data.length === 0 ? (
        <EmptyState title={t('imports.empty')} />
      ) : (
        <>
          <div className="table-wrap">
            <table className="table" data-testid="imports-table">
              <caption className="visually-hidden">{t('imports.recent')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('imports.fileName')}</th>
                  <th scope="col">{t('imports.statusLabel')}</th>
                  <th scope="col" className="num">
                    {t('imports.counts.inserted')}
                  </th>
                  <th scope="col" className="num">
                    {t('imports.counts.updated')}
                  </th>
                  <th scope="col" className="num">
                    {t('imports.counts.rejected')}
                  </th>
                  <th scope="col">{t('imports.started')}</th>
                </tr>
              </thead>
              <tbody>
                {imports.data.data.map((job) => (
                  <tr key={job.id} data-testid={`import-row-${job.id}`}>
                    <td>
                      <Link to={`/imports/${job.id}`}>{job.file_name}</Link>
                    </td>
                    <td>
                      <ImportStatusBadge job={job} />
                    </td>
                    <td className="num">{f.number(job.inserted)}</td>
                    <td className="num">{f.number(job.updated)}</td>
                    <td className="num">{f.number(job.rejected)}</td>
                    <td>{f.dateTime(job.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination info={imports.data.pagination} busy={imports.isFetching} onPage={(p) => update({ page: p > 1 ? String(p) : null })} />
        </>
      )}
    </div>
  );
}
