/** The API contract as the UI uses it (api/routes and api/schemas.ts are the source). */

// The shared domain (statuses, periods, the workflow's live state) is imported, not copied.
export { REFERRAL_STATUSES, type ReferralStatus } from '../../../domain/referral-status';
export { REPORT_PERIODS as PERIODS, type ReportPeriod as Period } from '../../../domain/periods';
import type { ReferralStatus } from '../../../domain/referral-status';
import type { ReferralState, Transition } from '../../../domain/lifecycle';
export type { Transition };
/** The workflow's `referralState` query answer, as GET /api/referrals/:id embeds it. */
export type LiveState = ReferralState;

export interface User {
  id: string;
  username: string;
  role: 'admin' | 'viewer' | string;
  must_change_password: boolean;
}

export interface LoginReply {
  token: string;
  user: User;
}

export interface Pagination {
  page: number;
  limit: number;
  total: number;
  total_pages: number;
  /** false: more rows match than the API counts; total is an estimate. */
  total_exact?: boolean;
  /** Keyset lists (customers, referrals): the neighbouring pages. */
  next_cursor?: string | null;
  prev_cursor?: string | null;
}

export interface Page<T> {
  data: T[];
  pagination: Pagination;
}

export interface Customer {
  id: string;
  bebsy_customer_id: string;
  name: string;
  email: string;
  referral_code: string;
  locale: string;
  created_at: string;
  updated_at: string;
}

export interface Referral {
  id: string;
  referrer_id: string;
  referrer_code: string;
  referrer_name: string;
  new_customer_email: string;
  booking_reference: string | null;
  status: ReferralStatus;
  reward_amount: number;
  booking_value: number | null;
  currency: string | null;
  departure_date: string | null;
  flagged: boolean;
  flag_reasons: string[];
  rejection_reason: string | null;
  workflow_id: string;
  submitted_at: string;
  awaiting_booking_at: string | null;
  booking_confirmed_at: string | null;
  approved_at: string | null;
  approved_by: string | null;
  paid_at: string | null;
  rejected_at: string | null;
  rejected_by: string | null;
  expired_at: string | null;
  revoked_at: string | null;
  updated_at: string;
}

export interface CustomerDetail extends Customer {
  referrals: Referral[];
  referral_count: number;
}

export interface AuditEntry {
  actor: string;
  action: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  changed_at: string;
}

export interface Reward {
  amount: number;
  currency: string;
  status: 'paid' | 'clawback_due' | string;
  voucher_code: string;
  paid_at: string | null;
  clawback_at: string | null;
}

export interface ReferralDetail extends Referral {
  reward: Reward | null;
  audit_log: AuditEntry[];
  workflow: { id: string; url: string; live: LiveState | null; live_error?: string };
}

export interface ReviewReply {
  id: string;
  status: ReferralStatus;
  actor: string;
}

export interface BulkResult {
  id: string;
  ok: boolean;
  status?: ReferralStatus;
  error?: string;
  message?: string;
}

export interface BulkReply {
  results: BulkResult[];
  summary: { requested: number; succeeded: number; failed: number };
}

export interface SubmitReferralReply {
  id: string;
  status: ReferralStatus;
  referrer_code: string;
  new_customer_email: string;
  booking_reference: string | null;
  submitted_at: string;
}

export interface RuntimeConfig {
  faro: { url: string; app_name: string; environment: string } | null;
  require_booking_reference: boolean;
  temporal_web_url: string;
  /** BOOKING_SITE_URL: where a referred friend books. */
  booking_site_url: string;
}

export interface PublicReferralCode {
  referral_code: string;
  referrer_first_name: string;
}

export interface DashboardStats {
  period_days: number;
  from: string;
  to: string;
  referrals: { total: number; by_status: Partial<Record<ReferralStatus, number>> };
  conversion_rate: number;
  rewards: { pending_amount: number; pending_count: number; paid_amount: number; paid_count: number };
  revenue_impact: RevenueImpact;
  series: AnalyticsDay[];
}

/** A day of GET /api/dashboard/stats' series (and /analytics/timeseries): by_status is the day's referrals by their status now. */
export interface AnalyticsDay {
  date: string;
  submitted: number;
  by_status: Record<ReferralStatus, number>;
  converted: number;
  confirmed: number;
  booking_value: number;
  paid: number;
  paid_amount: number;
  clawbacks: number;
}

export interface TopReferrer {
  rank: number;
  customer_id: string;
  name: string;
  referral_code: string;
  referrals: number;
  converted: number;
  paid: number;
  rewards_amount: number;
}

export interface RevenueImpact {
  bookings_confirmed: number;
  bookings_without_value: number;
  average_booking_value: number;
  booking_value: number;
  rewards_paid: number;
  rewards_cost: number;
  clawbacks: number;
  clawback_amount: number;
  net: number;
  roi: number | null;
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** The email templates (emails/messages.ts EMAIL_KINDS) and their languages. */
export const EMAIL_KINDS = [
  'friend_booked',
  'reward_approved',
  'reward_paid',
  'referral_expired',
  'friend_welcome',
  'admin_flagged',
  'admin_digest',
] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];
export const EMAIL_LOCALES = ['nl', 'en'] as const;
export type EmailLocale = (typeof EMAIL_LOCALES)[number];
export const EMAIL_STATUSES = ['sent', 'queued', 'failed_permanent'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

/** One outbox message as GET /api/emails lists it (without the bodies). */
/** How messages leave the platform (EMAIL_TRANSPORT). */
export type EmailTransport = 'outbox' | 'resend' | 'smtp';

/** GET /api/emails: a page of messages and the transport in use. */
export type EmailList = Page<EmailSummary> & { transport: EmailTransport };

export interface EmailSummary {
  id: string;
  idempotency_key: string;
  kind: EmailKind | string;
  to_address: string;
  locale: EmailLocale | string;
  subject: string;
  status: EmailStatus;
  provider: string | null;
  provider_message_id: string | null;
  error: string | null;
  attempts: number;
  created_at: string;
  sent_at: string | null;
}

export interface EmailDetail extends EmailSummary {
  html: string;
  text: string;
}

export interface EmailPreview {
  template: EmailKind;
  locale: EmailLocale;
  subject: string;
  html: string;
  text: string;
}
