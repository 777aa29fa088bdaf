import type { ReferralStatus } from '../api/types';

/** What an admin may do in a status (the workflow's validator has the last word: 409). */
export const canApprove = (status: ReferralStatus) => status === 'pending_approval';
export const canReject = (status: ReferralStatus) => status === 'pending_approval' || status === 'awaiting_booking';
