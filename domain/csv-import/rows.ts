import { isEmail, normaliseEmail } from '../email.js';

/** Why a row was not imported; the error report names the code and the message. */
export const REJECTION_REASONS = {
  missing_id: { en: 'customer number is missing', nl: 'klantnummer ontbreekt' },
  id_too_long: { en: 'customer number is longer than 64 characters', nl: 'klantnummer is langer dan 64 tekens' },
  missing_name: { en: 'name is missing', nl: 'naam ontbreekt' },
  name_too_long: { en: 'name is longer than 200 characters', nl: 'naam is langer dan 200 tekens' },
  missing_email: { en: 'email address is missing', nl: 'e-mailadres ontbreekt' },
  invalid_email: { en: 'email address is not valid', nl: 'e-mailadres is ongeldig' },
  invalid_locale: { en: 'language must be nl or en', nl: 'taal moet nl of en zijn' },
  duplicate_id: { en: 'customer number appears earlier in the file', nl: 'klantnummer staat eerder in het bestand' },
  duplicate_email: { en: 'email address appears earlier in the file', nl: 'e-mailadres staat eerder in het bestand' },
  email_taken: { en: 'email address belongs to another customer', nl: 'e-mailadres hoort bij een andere klant' },
} as const;
export type RejectionReason = keyof typeof REJECTION_REASONS;

export interface ImportRow {
  bebsy_customer_id: string;
  name: string;
  email: string;
  /** null: the file says nothing (new customers get 'nl', existing ones keep theirs). */
  locale: 'nl' | 'en' | null;
}

/** A row's values as the file has them (trimmed), for the error report. */
export interface RawRow {
  bebsy_customer_id: string;
  name: string;
  email: string;
}

export type RowResult = { ok: true; row: ImportRow } | { ok: false; reason: RejectionReason; raw: RawRow };

const LOCALES: Record<string, 'nl' | 'en'> = {
  nl: 'nl',
  'nl-nl': 'nl',
  nl_nl: 'nl',
  nederlands: 'nl',
  dutch: 'nl',
  ned: 'nl',
  en: 'en',
  'en-gb': 'en',
  'en-us': 'en',
  en_gb: 'en',
  engels: 'en',
  english: 'en',
  eng: 'en',
};

const cell = (cells: readonly string[], index: number): string => (cells[index] ?? '').trim();

/** The reason a row's own values (trimmed) are not importable, or null when they are. */
function ownProblem(raw: RawRow, email: string, locale: 'nl' | 'en' | null | undefined): RejectionReason | null {
  if (!raw.bebsy_customer_id) return 'missing_id';
  if (raw.bebsy_customer_id.length > 64) return 'id_too_long';
  if (!raw.name) return 'missing_name';
  if (raw.name.length > 200) return 'name_too_long';
  if (!raw.email) return 'missing_email';
  if (!isEmail(email)) return 'invalid_email';
  if (locale === undefined) return 'invalid_locale';
  return null;
}

/**
 * Checks one record's own values (trimmed), its cells in IMPORT_FIELDS order (number, name,
 * email, language; missing ones read as empty); checks against other rows happen in
 * FileDuplicates, against customers in SQL. Called once per row of a million-row file: no closures.
 */
export function validateRecord(cells: readonly string[]): RowResult {
  const raw: RawRow = { bebsy_customer_id: cell(cells, 0), name: cell(cells, 1), email: cell(cells, 2) };
  const email = normaliseEmail(raw.email);
  const localeCell = cell(cells, 3).toLowerCase();
  const locale = localeCell === '' ? null : Object.hasOwn(LOCALES, localeCell) ? LOCALES[localeCell] : undefined;
  const reason = ownProblem(raw, email, locale);
  if (reason) return { ok: false, reason, raw };
  return { ok: true, row: { bebsy_customer_id: raw.bebsy_customer_id, name: raw.name, email, locale: locale! } };
}
