import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { Referral } from '../api/types';
import { useFormat } from '../lib/format';
import { FlagBadge, StatusBadge } from './StatusBadge';

interface Props {
  referrals: Referral[];
  caption: string;
  showReferrer?: boolean;
  /** A leading cell per row (e.g. a checkbox) and its header. */
  select?: { header: ReactNode; cell: (referral: Referral) => ReactNode };
  stale?: boolean;
  isSelected?: (referral: Referral) => boolean;
}

export function ReferralTable({ referrals, caption, showReferrer = true, select, stale, isSelected }: Props) {
  const { t } = useTranslation();
  const f = useFormat();
  return (
    <div className={stale ? 'table-wrap stale' : 'table-wrap'}>
      <table className="table" data-testid="referrals-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {select && (
              <th scope="col" className="select-cell">
                {select.header}
              </th>
            )}
            <th scope="col">{t('referral.id')}</th>
            <th scope="col">{t('referral.status')}</th>
            <th scope="col">{t('referral.friend')}</th>
            {showReferrer && <th scope="col">{t('referral.referrer')}</th>}
            <th scope="col">{t('referral.booking')}</th>
            <th scope="col">{t('referral.submitted')}</th>
          </tr>
        </thead>
        <tbody>
          {referrals.map((r) => (
            <tr key={r.id} data-testid={`referral-row-${r.id}`} className={isSelected?.(r) ? 'selected' : undefined}>
              {select && <td className="select-cell">{select.cell(r)}</td>}
              <td>
                <Link to={`/referrals/${r.id}`} aria-label={t('referral.open', { id: r.id })}>
                  #{r.id}
                </Link>
              </td>
              <td>
                <span className="badges">
                  <StatusBadge status={r.status} />
                  {r.flagged && <FlagBadge />}
                </span>
              </td>
              <td className="truncate">{r.new_customer_email}</td>
              {showReferrer && (
                <td className="stack">
                  <Link to={`/customers/${r.referrer_id}`}>{r.referrer_name}</Link>
                  <span className="mono muted">{r.referrer_code}</span>
                </td>
              )}
              <td className="stack">
                {r.booking_reference ? <span className="mono">{r.booking_reference}</span> : <span className="muted">—</span>}
                {r.booking_value !== null && <span className="muted">{f.money(r.booking_value, r.currency ?? 'EUR')}</span>}
              </td>
              <td className="nowrap">
                <time dateTime={r.submitted_at}>{f.dateTime(r.submitted_at)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
