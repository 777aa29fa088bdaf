export { referralLifecycle } from './referral-lifecycle.js';
export { approvalDigest } from './approval-digest.js';
