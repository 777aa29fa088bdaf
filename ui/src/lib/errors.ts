import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { REFERRAL_STATUSES, type ReferralStatus } from '../api/types';

const isStatus = (value: string): value is ReferralStatus => (REFERRAL_STATUSES as readonly string[]).includes(value);

/**
 * The workflow's review messages (409) are English sentences with a known shape
 * (workflows/referral-lifecycle.ts): say them in the UI language.
 */
function transitionText(t: TFunction, message: string): string | null {
  let m = /^The referral is already being (\w+) by (.+)$/.exec(message);
  if (m) return t('errors.transition.beingDecided', { decision: t(`decision.${m[1]}`, { defaultValue: m[1] }), actor: m[2] });
  m = /^The referral is already (\w+)$/.exec(message);
  if (m && isStatus(m[1])) return t('errors.transition.already', { status: t(`status.${m[1]}`).toLocaleLowerCase() });
  m = /^The referral became (\w+) before it could be (\w+)$/.exec(message);
  if (m && isStatus(m[1]))
    return t('errors.transition.became', {
      status: t(`status.${m[1]}`).toLocaleLowerCase(),
      decision: t(`decision.${m[2]}`, { defaultValue: m[2] }),
    });
  if (/still being checked/.test(message)) return t('errors.transition.stillChecking');
  if (/cannot be approved before its booking is confirmed/.test(message)) return t('errors.transition.notBooked');
  if (/rejection needs a reason/.test(message)) return t('errors.reasonRequired');
  return null;
}

/** Words an admin understands for any error from the API (or the network). */
export function errorText(t: TFunction, error: unknown): string {
  if (!(error instanceof ApiError)) return t('errors.unexpected');
  switch (error.code) {
    case 'invalid_transition':
    case 'review_conflict':
      return transitionText(t, error.message) ?? t('errors.invalid_transition', { message: error.message });
    case 'validation_error':
      if (/reason is required/.test(error.message)) return t('errors.reasonRequired');
      return t('errors.validation_error');
    case 'network_error':
    case 'unauthorized':
    case 'invalid_credentials':
    case 'forbidden':
    case 'not_found':
    case 'customer_exists':
    case 'unknown_referral_code':
    case 'workflow_unavailable':
    case 'service_unavailable':
    case 'password_change_required':
    case 'weak_password':
    case 'rate_limited':
    case 'internal_error':
      return t(`errors.${error.code}`);
    default:
      if (error.status === 404) return t('errors.not_found');
      if (error.status === 429) return t('errors.rate_limited');
      if (error.status === 503) return t('errors.service_unavailable');
      if (error.status >= 500) return t('errors.internal_error');
      return t('errors.generic', { status: error.status });
  }
}

/** A field problem from the API's `details`, in the UI language. */
export function fieldText(t: TFunction, message: string): string {
  if (/required/.test(message)) return t('fields.required');
  if (/valid email/.test(message)) return t('fields.invalidEmail');
  if (/already taken/.test(message)) return t('fields.taken');
  if (/8 characters/.test(message)) return t('fields.referralCode');
  if (/fewer than|at least/.test(message)) return t('fields.tooShort');
  if (/more than|at most/.test(message)) return t('fields.tooLong');
  return t('fields.invalid');
}

export function useErrorText() {
  const { t } = useTranslation();
  return (error: unknown) => errorText(t, error);
}
