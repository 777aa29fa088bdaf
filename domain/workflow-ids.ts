/**
 * Workflow ids: one workflow per business object, its id stored with the object's row when the
 * row is inserted (db/), so a retried start finds the workflow already running instead of
 * starting a second, and api/ and scripts/ address a workflow by the id its row holds, never by
 * one derived again from the row's number.
 *
 * The row's number keeps the id readable in Temporal Web (`referral-1234-…`); the random part
 * keeps it unique beyond the database's sequence. A database restored from a backup numbers
 * new rows again from ids whose workflows may still exist in Temporal, as does a fresh database
 * on the same namespace: without that part, the new referral 1234 would be answered with the
 * lost referral 1234's workflow (a start with USE_EXISTING), and that workflow, acting by the
 * number, would move and pay the new referral (worker/workflow-ownership.ts refuses that too).
 */
export const referralWorkflowId = (referralId: string | number, unique: string): string => `referral-${referralId}-${unique}`;

export const customerImportWorkflowId = (importId: string | number, unique: string): string => `customer-import-${importId}-${unique}`;

const UNIQUE_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** The random part of a new workflow id: 8 characters of 32 (40 bits). */
export function uniqueWorkflowIdPart(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => UNIQUE_ALPHABET[b % UNIQUE_ALPHABET.length]).join('');
}
