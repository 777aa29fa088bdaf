import type { TFunction } from 'i18next';

/**
 * Who did something, in words: system:payout, booking-system, customer; an admin (`admin:jan`)
 * by their username alone, so the first account reads "door admin", not "door beheerder admin".
 */
export function actorText(t: TFunction, actor: string): string {
  if (actor.startsWith('admin:')) return actor.slice('admin:'.length);
  return t(`actor.${actor.replace(/[:.]/g, '_')}`, { defaultValue: actor });
}

/** A reason code (rule rejection, flag, cancellation) in words; free text stays as written. */
export function reasonText(t: TFunction, reason: string): string {
  const expiry = /^no booking within (\d+) days$/.exec(reason);
  if (expiry) return t('reason.noBookingWithin', { count: Number(expiry[1]) });
  return /^[a-z_]+$/.test(reason) ? t(`reason.${reason}`, { defaultValue: reason }) : reason;
}
