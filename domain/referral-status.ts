/** The referral lifecycle's states (docs/architecture.md). The workflow owns them; Postgres mirrors them. */
export const REFERRAL_STATUSES = [
  'submitted',
  'awaiting_booking',
  'pending_approval',
  'approved',
  'paid',
  'rejected',
  'expired',
  'revoked',
] as const;

export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

export const TERMINAL_STATUSES: readonly ReferralStatus[] = ['paid', 'rejected', 'expired', 'revoked'];

/** The column that records when a referral entered each status. */
export const STATUS_TIMESTAMP_COLUMN: Record<ReferralStatus, string> = {
  submitted: 'submitted_at',
  awaiting_booking: 'awaiting_booking_at',
  pending_approval: 'booking_confirmed_at',
  approved: 'approved_at',
  paid: 'paid_at',
  rejected: 'rejected_at',
  expired: 'expired_at',
  revoked: 'revoked_at',
};

/** Statuses an admin may set through `PUT /api/referrals/:id/status`. */
export const ADMIN_DECISIONS = ['approved', 'rejected'] as const;
export type AdminDecision = (typeof ADMIN_DECISIONS)[number];

/**
 * A rejection needs a reason, and white space is none. The one rule for the API (a 400), the
 * admin UI's reject form and the workflow's update validator.
 */
export function lacksRejectionReason(decision: AdminDecision, reason: string | null | undefined): boolean {
  return decision === 'rejected' && !reason?.trim();
}
