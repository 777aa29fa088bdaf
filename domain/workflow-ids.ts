/**
 * Deterministic workflow ids: one workflow per business object, so a retried start finds the
 * one already running instead of starting a second (db/ stores them, api/ and scripts/ address
 * workflows by them).
 */
export const referralWorkflowId = (referralId: string | number): string => `referral-${referralId}`;

export const customerImportWorkflowId = (importId: string | number): string => `customer-import-${importId}`;
