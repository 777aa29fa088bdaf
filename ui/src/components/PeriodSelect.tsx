import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { PERIODS, type Period } from '../api/types';

/** 7 / 30 / 90 / 365 days as a segmented radio group (arrow keys move between them). */
export function PeriodSelect({ value, onChange, name = 'period' }: { value: Period; onChange: (period: Period) => void; name?: string }) {
  const { t } = useTranslation();
  // Checked at once; the URL (and so `value`) follows in a router transition.
  const [checked, setChecked] = useState(value);
  useEffect(() => setChecked(value), [value]);
  return (
    <fieldset className="segmented" data-testid="period-select">
      <legend className="visually-hidden">{t('period.label')}</legend>
      {PERIODS.map((period) => (
        <label key={period} className={period === checked ? 'active' : undefined}>
          <input
            type="radio"
            name={name}
            value={period}
            checked={period === checked}
            onChange={() => {
              setChecked(period);
              onChange(period);
            }}
          />
          <span>{t('period.days', { count: period })}</span>
        </label>
      ))}
    </fieldset>
  );
}

export function parsePeriod(value: string | null, fallback: Period | undefined): Period | undefined {
  const n = Number(value);
  return (PERIODS as readonly number[]).includes(n) ? (n as Period) : fallback;
}
