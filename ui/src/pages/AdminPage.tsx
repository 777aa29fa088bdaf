import { useTranslation } from 'react-i18next';
import { useBackups, type Backup, type BackupStatus } from '../api/backups';
import { EmptyState, ErrorState, Loading } from '../components/States';
import { useFormat } from '../lib/format';
import { usePageTitle } from '../lib/hooks';

/** The badge colour of each backup status (the referral statuses' palette). */
const STATUS_BADGE: Record<BackupStatus, string> = {
  running: 'badge-awaiting_booking',
  uploaded: 'badge-pending_approval',
  verified: 'badge-paid',
  failed: 'badge-rejected',
  drill_failed: 'badge-rejected',
  pruned: 'badge-expired',
};

/** Beheer: the backups (size, restore drill), the Schedules' next runs and what housekeeping pruned. */
export default function AdminPage() {
  const { t } = useTranslation();
  usePageTitle(t('admin.title'));
  const f = useFormat();
  const overview = useBackups();

  const drill = (backup: Backup) => {
    if (backup.drill_status === 'passed') return t('admin.drill.passed', { seconds: f.number(Math.round(backup.drill_seconds ?? 0)) });
    if (backup.drill_status === 'failed') return t('admin.drill.failed');
    return t('admin.drill.none');
  };

  return (
    <div className="page">
      <div className="page-header">
        <h1>{t('admin.title')}</h1>
      </div>
      <p className="muted">{t('admin.intro')}</p>

      {overview.isPending ? (
        <Loading />
      ) : overview.isError ? (
        <ErrorState error={overview.error} onRetry={() => void overview.refetch()} />
      ) : (
        <>
          <section aria-labelledby="admin-schedules">
            <h2 id="admin-schedules">{t('admin.schedules')}</h2>
            <div className="table-wrap">
              <table className="table" data-testid="schedules-table">
                <caption className="visually-hidden">{t('admin.schedules')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('admin.schedule')}</th>
                    <th scope="col">{t('admin.cron')}</th>
                    <th scope="col">{t('admin.nextRun')}</th>
                  </tr>
                </thead>
                <tbody>
                  {overview.data.schedules.map((s) => (
                    <tr key={s.id} data-testid={`schedule-${s.id}`}>
                      <td>{t(`admin.scheduleName.${s.id}`, { defaultValue: s.id })}</td>
                      <td>{s.cron ? <code>{s.cron}</code> : t('admin.off')}</td>
                      <td>{s.paused ? t('admin.paused') : f.dateTime(s.next_run)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>

          <section aria-labelledby="admin-backups">
            <h2 id="admin-backups">{t('admin.backups')}</h2>
            <p className="muted" data-testid="backup-store">
              {overview.data.store.kind === 's3'
                ? t('admin.store.s3', { location: overview.data.store.location, days: overview.data.store.retention_days })
                : t('admin.store.local', { location: overview.data.store.location, days: overview.data.store.retention_days })}
            </p>
            {overview.data.backups.length === 0 ? (
              <EmptyState title={t('admin.noBackups')}>{t('admin.noBackupsHint')}</EmptyState>
            ) : (
              <div className="table-wrap">
                <table className="table" data-testid="backups-table">
                  <caption className="visually-hidden">{t('admin.backups')}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t('admin.name')}</th>
                      <th scope="col">{t('admin.status')}</th>
                      <th scope="col" className="num">
                        {t('admin.size')}
                      </th>
                      <th scope="col">{t('admin.drillLabel')}</th>
                      <th scope="col">{t('admin.started')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {overview.data.backups.map((b) => (
                      <tr key={b.name} data-testid={`backup-${b.name}`}>
                        <td>
                          <code>{b.name}</code>
                          {b.location && <div className="muted">{b.location}</div>}
                        </td>
                        <td>
                          <span className={`badge ${STATUS_BADGE[b.status]}`}>{t(`admin.backupStatus.${b.status}`)}</span>
                          {b.error && <div className="field-error">{b.error}</div>}
                        </td>
                        <td className="num">{b.size_bytes === null ? '—' : f.fileSize(b.size_bytes)}</td>
                        <td>
                          {drill(b)}
                          {b.drill_status === 'passed' && b.rows !== null && b.tables !== null && (
                            <div className="muted">{t('admin.drill.counts', { tables: f.number(b.tables), rows: f.number(b.rows) })}</div>
                          )}
                          {b.drill_error && <div className="field-error">{b.drill_error}</div>}
                        </td>
                        <td>{f.dateTime(b.started_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <section aria-labelledby="admin-housekeeping">
            <h2 id="admin-housekeeping">{t('admin.housekeeping')}</h2>
            {overview.data.housekeeping.length === 0 ? (
              <EmptyState title={t('admin.noHousekeeping')} />
            ) : (
              <div className="table-wrap">
                <table className="table" data-testid="housekeeping-table">
                  <caption className="visually-hidden">{t('admin.housekeeping')}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t('admin.started')}</th>
                      <th scope="col">{t('admin.status')}</th>
                      <th scope="col" className="num">
                        {t('admin.pruned.audit')}
                      </th>
                      <th scope="col" className="num">
                        {t('admin.pruned.webhooks')}
                      </th>
                      <th scope="col" className="num">
                        {t('admin.pruned.imports')}
                      </th>
                      <th scope="col" className="num">
                        {t('admin.pruned.outbox')}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {overview.data.housekeeping.map((run) => (
                      <tr key={run.workflow_id} data-testid={`housekeeping-${run.workflow_id}`}>
                        <td>{f.dateTime(run.started_at)}</td>
                        <td>
                          {t(`admin.runStatus.${run.status}`)}
                          {run.error && <div className="field-error">{run.error}</div>}
                        </td>
                        {(['audit_log_rows', 'webhook_inbox_rows', 'import_files', 'outbox_bodies'] as const).map((key) => (
                          <td key={key} className="num">
                            {run.pruned[key] === null ? '—' : f.number(run.pruned[key])}
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
    </div>
  );
}
