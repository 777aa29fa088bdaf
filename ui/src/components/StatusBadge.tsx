import { useTranslation } from 'react-i18next';
import type { ReferralStatus } from '../api/types';

/** A referral status in words with its colour; the colour is never the only signal. */
export function StatusBadge({ status, testId }: { status: ReferralStatus; testId?: string }) {
  const { t } = useTranslation();
  return (
    <span className={`badge badge-${status}`} data-status={status} data-testid={testId}>
      {t(`status.${status}`)}
    </span>
  );
}

export function FlagBadge() {
  const { t } = useTranslation();
  return (
    <span className="badge badge-flag" title={t('referral.flaggedHint')}>
      <span aria-hidden="true">⚑ </span>
      {t('referral.flagged')}
    </span>
  );
}
