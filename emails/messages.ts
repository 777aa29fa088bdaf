import { LOCALES, type Locale } from '../domain/locale.js';
import type { FlagReason } from '../domain/referral-rules.js';

/**
 * Every email the referral platform sends, as a discriminated union on `kind`. Each message
 * carries its recipient, the recipient's locale and the facts its template needs; nothing
 * else (the workflow passes these through Temporal, so keep them small).
 */
export type EmailLocale = Locale;

export const EMAIL_LOCALES: readonly EmailLocale[] = LOCALES;

interface Base<K extends string, D> {
  kind: K;
  /** Recipient address. */
  to: string;
  /** The customer's locale; admin mail is Dutch unless said otherwise. */
  locale: EmailLocale;
  data: D;
}

/** To the referrer: the friend's booking was confirmed by the booking system. */
export type FriendBookedMessage = Base<
  'friend_booked',
  { referrerFirstName: string; friendFirstName?: string | null; referralCode: string }
>;

/** To the referrer: an admin (or the rules) approved the reward; it is paid after the hold. */
export type RewardApprovedMessage = Base<
  'reward_approved',
  { referrerFirstName: string; amountCents: number; payoutAfter?: string | null }
>;

/** To the referrer: the reward voucher is issued. */
export type RewardPaidMessage = Base<
  'reward_paid',
  { referrerFirstName: string; amountCents: number; voucherCode: string; referralCode: string }
>;

/** To the referrer: the friend did not book in time. */
export type ReferralExpiredMessage = Base<
  'referral_expired',
  { referrerFirstName: string; friendFirstName?: string | null; referralCode: string }
>;

/** To the referred friend: welcome, you were referred by a Bebsy customer. */
export type FriendWelcomeMessage = Base<'friend_welcome', { friendFirstName?: string | null; referrerFirstName: string }>;

/** To admins: a referral was flagged by the fraud rules and needs a human. */
export type AdminFlaggedMessage = Base<
  'admin_flagged',
  { referralId: string; reasons: FlagReason[]; referrerName?: string | null; referrerCode?: string | null }
>;

/** To admins: the daily digest of referrals waiting for approval. */
export type AdminDigestMessage = Base<
  'admin_digest',
  { pendingCount: number; oldest: Array<{ referralId: string; referrerName: string; submittedAt: string }> }
>;

export type EmailMessage =
  | FriendBookedMessage
  | RewardApprovedMessage
  | RewardPaidMessage
  | ReferralExpiredMessage
  | FriendWelcomeMessage
  | AdminFlaggedMessage
  | AdminDigestMessage;

export type EmailKind = EmailMessage['kind'];

export const EMAIL_KINDS: readonly EmailKind[] = [
  'friend_booked',
  'reward_approved',
  'reward_paid',
  'referral_expired',
  'friend_welcome',
  'admin_flagged',
  'admin_digest',
];

export type MessageOf<K extends EmailKind> = Extract<EmailMessage, { kind: K }>;

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** What rendering needs from the configuration. */
export interface RenderContext {
  /** Base URL of the admin UI and public pages (FRONTEND_URL), without trailing slash needed. */
  frontendUrl: string;
}
