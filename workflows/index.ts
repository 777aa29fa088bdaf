export { referralLifecycle } from './referral-lifecycle.js';
