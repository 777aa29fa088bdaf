import { useTranslation } from 'react-i18next';
import { DEFAULT_CONFIG, useConfig } from '../api/queries';

/** BOOKING_SITE_URL, from GET /api/config. */
export function useBookingSite(): string {
  return useConfig().data?.booking_site_url ?? DEFAULT_CONFIG.booking_site_url;
}

/**
 * Where a referred friend books: the booking site with the referral code as `?ref=`, so it can
 * see who sent them (the referral itself is matched by email and booking reference, not by this
 * parameter). Opens in a new window, so the form here stays as it was.
 */
export function BookingCta({ code, primary = false }: { code: string; primary?: boolean }) {
  const { t } = useTranslation();
  const url = new URL(useBookingSite());
  url.searchParams.set('ref', code);
  return (
    <div className="booking-cta">
      <p>{t('public.bookingCtaIntro')}</p>
      <a
        className={`btn btn-block btn-large ${primary ? 'btn-primary' : 'btn-secondary'}`}
        href={url.toString()}
        target="_blank"
        rel="noopener"
        data-testid="booking-cta"
      >
        {t('public.bookingCta')}
        <span className="visually-hidden"> ({t('common.newWindow')})</span>
        <span aria-hidden="true"> ↗</span>
      </a>
    </div>
  );
}
