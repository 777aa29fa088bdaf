import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { TopReferrer } from '../api/types';
import { useFormat } from '../lib/format';

/** The leaderboard: referrers by referrals whose booking was confirmed; names link to the customer. */
export function TopReferrers({ rows }: { rows: TopReferrer[] }) {
  const { t } = useTranslation();
  const f = useFormat();
  if (rows.length === 0) return <p className="muted">{t('dashboard.noReferrals')}</p>;
  return (
    <div className="table-wrap">
      <table className="table table-compact" data-testid="top-referrers">
        <thead>
          <tr>
            <th scope="col" className="num">
              #
            </th>
            <th scope="col">{t('dashboard.referrer')}</th>
            <th scope="col" className="num">
              {t('dashboard.series.confirmed')}
            </th>
            <th scope="col" className="num">
              {t('dashboard.total')}
            </th>
            <th scope="col" className="num">
              {t('dashboard.rewardsPaid')}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.customer_id}>
              <td className="num">{r.rank}</td>
              <td>
                <Link to={`/customers/${r.customer_id}`}>{r.name}</Link> <span className="muted code">{r.referral_code}</span>
              </td>
              <td className="num">{f.number(r.converted)}</td>
              <td className="num">{f.number(r.referrals)}</td>
              <td className="num">{f.money(r.rewards_amount)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
