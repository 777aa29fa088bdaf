import { useTranslation } from 'react-i18next';
import type { ImportDetail } from '../api/imports';
import { useFormat } from '../lib/format';

/** The first rejected rows of an import on screen: line, customer number and the reason in the admin's words. */
export function ImportRejections({ job }: { job: ImportDetail }) {
  const { t } = useTranslation();
  const f = useFormat();
  const shown = job.first_rejections.length;
  if (shown === 0) return null;
  return (
    <>
      <div className="table-wrap">
        <table className="table" data-testid="import-rejections">
          <caption className="visually-hidden">{t('imports.rejections.title')}</caption>
          <thead>
            <tr>
              <th scope="col" className="num">
                {t('imports.rejections.line')}
              </th>
              <th scope="col">{t('imports.rejections.customerId')}</th>
              <th scope="col">{t('imports.rejections.reason')}</th>
            </tr>
          </thead>
          <tbody>
            {job.first_rejections.map((row) => (
              <tr key={row.line} data-testid={`import-rejection-${row.line}`}>
                <td className="num">{f.number(row.line)}</td>
                <td>{row.bebsy_customer_id || <span className="muted">{t('imports.rejections.empty')}</span>}</td>
                <td>{t(`imports.reasons.${row.reason}`, { defaultValue: row.reason })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {job.rejected > shown && (
        <p className="muted">{t('imports.rejections.firstOf', { shown: f.number(shown), total: f.number(job.rejected) })}</p>
      )}
    </>
  );
}
