export { referralLifecycle } from './referral-lifecycle.js';
export { approvalDigest } from './approval-digest.js';
export { customerImport } from './customer-import.js';
export { databaseBackup, databaseRestore } from './database-backup.js';
export { housekeeping } from './housekeeping.js';
