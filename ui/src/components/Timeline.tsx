import { useTranslation } from 'react-i18next';
import type { ReferralStatus } from '../api/types';
import { actorText, reasonText } from '../lib/actors';
import { useFormat } from '../lib/format';
import { StatusBadge } from './StatusBadge';

export interface TimelineEntry {
  key: string;
  to: ReferralStatus | null;
  /** Shown instead of a status badge (e.g. a clawback). */
  label?: string;
  at: string;
  actor: string;
  reason?: string;
}

export function Timeline({ entries, next }: { entries: TimelineEntry[]; next?: string | null }) {
  const { t } = useTranslation();
  const f = useFormat();
  return (
    <ol className="timeline" data-testid="timeline">
      {entries.map((entry) => (
        <li key={entry.key} className="timeline-item" data-status={entry.to ?? undefined}>
          <span className={`timeline-dot dot-${entry.to ?? 'other'}`} aria-hidden="true" />
          <div className="timeline-body">
            <div className="timeline-head">
              {entry.to ? <StatusBadge status={entry.to} /> : <span className="badge badge-other">{entry.label}</span>}
              <time dateTime={entry.at}>{f.dateTime(entry.at)}</time>
            </div>
            <p className="timeline-actor">{t('timeline.by', { actor: actorText(t, entry.actor) })}</p>
            {entry.reason && <p className="timeline-reason">{t('timeline.reason', { reason: reasonText(t, entry.reason) })}</p>}
          </div>
        </li>
      ))}
      {next && (
        <li className="timeline-item timeline-next">
          <span className="timeline-dot dot-next" aria-hidden="true" />
          <div className="timeline-body">
            <p className="timeline-actor">
              <span className="visually-hidden">{t('timeline.nextLabel')}: </span>
              {next}
            </p>
          </div>
        </li>
      )}
    </ol>
  );
}
