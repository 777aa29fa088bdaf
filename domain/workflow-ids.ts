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

/**
 * The random part of a new workflow id: 8 characters of 32 (40 bits), from the first 40 random
 * bits of a version 4 UUID. Node draws those from a cache of random data filled 128 UUIDs at a
 * time; a `getRandomValues` call per id cost a submission 0.08 ms of the API's main thread
 * (`npm run bench -- --cpu-profile`).
 */
export function uniqueWorkflowIdPart(): string {
  const uuid = crypto.randomUUID(); // xxxxxxxx-xxxx-4xxx-…: the first 10 hex digits are random
  let bits = Number.parseInt(uuid.slice(0, 8) + uuid.slice(9, 11), 16);
  let part = '';
  for (let i = 0; i < 8; i++) {
    part += UNIQUE_ALPHABET[bits % UNIQUE_ALPHABET.length];
    bits = Math.floor(bits / UNIQUE_ALPHABET.length);
  }
  return part;
}
