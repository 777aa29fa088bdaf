import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { ApiError, api } from '../api/client';
import { useConfig } from '../api/queries';
import type { PublicReferralCode, SubmitReferralReply } from '../api/types';
import { BookingCta, useBookingSite } from '../components/BookingCta';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { Loading, Notice } from '../components/States';
import { currentLanguage } from '../i18n';
import { TextField } from '../components/TextField';
import { errorText, fieldText } from '../lib/errors';
import { usePageTitle } from '../lib/hooks';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** /r/:code — the page a referred friend opens from a shared link. No sign-in, mobile first. */
export default function PublicReferralPage() {
  const { t } = useTranslation();
  usePageTitle(t('public.title'));
  const { code = '' } = useParams();
  const config = useConfig();
  const bookingSite = useBookingSite();
  const owner = useQuery({
    queryKey: ['public-code', code],
    queryFn: ({ signal }) => api<PublicReferralCode>(`/public/referral-codes/${encodeURIComponent(code)}`, { auth: false, signal }),
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
  });
  const requireBooking = config.data?.require_booking_reference ?? false;
  const [email, setEmail] = useState('');
  const [booking, setBooking] = useState('');
  const [problems, setProblems] = useState<{ email?: string; booking?: string }>({});

  const submit = useMutation({
    mutationFn: () =>
      api<SubmitReferralReply>('/referrals', {
        method: 'POST',
        auth: false,
        body: {
          referrer_code: owner.data?.referral_code ?? code,
          new_customer_email: email.trim(),
          ...(booking.trim() ? { booking_reference: booking.trim() } : {}),
          // the friend's welcome email comes in the language they read this page in
          locale: currentLanguage(),
        },
      }),
    onError: (error) => {
      if (!(error instanceof ApiError)) return;
      const fields = error.fieldProblems();
      setProblems({
        email: fields.new_customer_email ? fieldText(t, fields.new_customer_email) : undefined,
        booking: fields.booking_reference ? fieldText(t, fields.booking_reference) : undefined,
      });
    },
  });

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const next: typeof problems = {};
    if (!email.trim()) next.email = t('fields.required');
    else if (!EMAIL.test(email.trim())) next.email = t('fields.invalidEmail');
    if (requireBooking && !booking.trim()) next.booking = t('fields.required');
    setProblems(next);
    if (next.email) document.getElementById('public-email')?.focus();
    else if (next.booking) document.getElementById('public-booking')?.focus();
    else submit.mutate();
  };

  const unknown = owner.error instanceof ApiError && (owner.error.status === 404 || owner.error.status === 400);
  const errorUnplaced = submit.error && !problems.email && !problems.booking;

  let body;
  if (owner.isPending) body = <Loading />;
  else if (unknown) {
    body = (
      <div data-testid="public-unknown-code">
        <h1>{t('public.unknownTitle')}</h1>
        <p>{t('public.unknownText', { code })}</p>
        <p>
          <a href={bookingSite}>{t('public.toBebsy')}</a>
        </p>
      </div>
    );
  } else if (owner.isError) {
    body = (
      <div>
        <h1>{t('public.title')}</h1>
        <Notice kind="error">{errorText(t, owner.error)}</Notice>
        <button type="button" className="btn btn-secondary" onClick={() => void owner.refetch()}>
          {t('common.retry')}
        </button>
      </div>
    );
  } else if (submit.isSuccess) {
    body = (
      <div role="status" data-testid="public-confirmation">
        <h1>{t('public.thanksTitle')}</h1>
        <p>{t('public.thanksText', { name: owner.data.referrer_first_name, email: submit.data.new_customer_email })}</p>
        <p className="muted">{t('public.thanksNext', { name: owner.data.referrer_first_name })}</p>
        <BookingCta code={owner.data.referral_code} primary />
      </div>
    );
  } else {
    body = (
      <>
        <h1>{t('public.heading', { name: owner.data.referrer_first_name })}</h1>
        <p className="lead">{t('public.intro', { name: owner.data.referrer_first_name })}</p>
        {errorUnplaced && <Notice kind="error">{errorText(t, submit.error)}</Notice>}
        <form onSubmit={onSubmit} noValidate className="public-form">
          <TextField
            id="public-email"
            label={t('public.email')}
            type="email"
            inputMode="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            hint={t('public.emailHint')}
            error={problems.email}
          />
          <TextField
            id="public-booking"
            label={
              <>
                {t('public.booking')}
                {!requireBooking && <span className="muted"> ({t('common.optional')})</span>}
              </>
            }
            autoComplete="off"
            required={requireBooking}
            value={booking}
            onChange={(e) => setBooking(e.target.value)}
            hint={t('public.bookingHint')}
            error={problems.booking}
          />
          <button type="submit" className="btn btn-primary btn-block btn-large" disabled={submit.isPending}>
            {submit.isPending ? t('public.sending') : t('public.submit')}
          </button>
          <p className="fine-print">{t('public.privacy')}</p>
        </form>
        <BookingCta code={owner.data.referral_code} />
      </>
    );
  }

  return (
    <div className="public-page">
      <header className="public-header">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true">
            B
          </span>
          <span className="brand-name">Bebsy</span>
        </span>
        <LanguageSwitch compact />
      </header>
      <main className="public-main" id="main">
        <div className="public-card">{body}</div>
      </main>
    </div>
  );
}
