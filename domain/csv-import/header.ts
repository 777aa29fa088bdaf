import { parse } from 'csv-parse/sync';

/** The customer fields an import file can carry; extra columns are ignored. */
export const IMPORT_FIELDS = ['bebsy_customer_id', 'name', 'email', 'locale'] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];
export const REQUIRED_FIELDS: readonly ImportField[] = ['bebsy_customer_id', 'name', 'email'];

export type CsvDelimiter = ',' | ';' | '\t';
const DELIMITERS: CsvDelimiter[] = [';', ',', '\t'];

/**
 * Header names people use, Dutch and English, compared after `headerKey` (lower case, accents
 * and everything but letters and digits removed: "E-mailadres" → "emailadres").
 */
const HEADER_NAMES: Record<ImportField, string[]> = {
  bebsy_customer_id: [
    'klantnummer',
    'klantnr',
    'klantid',
    'klantcode',
    'bebsyklantnummer',
    'customerid',
    'bebsycustomerid',
    'customernumber',
    'customerno',
    'id',
  ],
  name: ['naam', 'klantnaam', 'volledigenaam', 'name', 'fullname', 'customername'],
  email: ['email', 'emailadres', 'mail', 'mailadres', 'emailaddress'],
  locale: ['taal', 'voorkeurstaal', 'locale', 'language', 'lang'],
};

const HEADER_EXAMPLES: Record<ImportField, string> = {
  bebsy_customer_id: '"klantnummer" or "customer_id"',
  name: '"naam" or "name"',
  email: '"e-mail" or "email"',
  locale: '"taal" or "locale"',
};

export function headerKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

const FIELD_BY_KEY = new Map(Object.entries(HEADER_NAMES).flatMap(([field, keys]) => keys.map((key) => [key, field as ImportField])));

/** The delimiter of a header line: the candidate that occurs most often outside quotes (ties: ';'). */
export function detectDelimiter(headerLine: string): CsvDelimiter {
  const counts = new Map<CsvDelimiter, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch as CsvDelimiter)) counts.set(ch as CsvDelimiter, counts.get(ch as CsvDelimiter)! + 1);
  }
  return DELIMITERS.reduce((best, d) => (counts.get(d)! > counts.get(best)! ? d : best));
}

/** Column index of each recognised field. */
export type ColumnMap = Partial<Record<ImportField, number>> & Record<'bebsy_customer_id' | 'name' | 'email', number>;

/** A header without the required columns: what it lacks and the (non-empty) names it has. */
export interface HeaderProblem {
  ok: false;
  message: string;
  missing: ImportField[];
  found: string[];
}

export type HeaderResult = { ok: true; columns: ColumnMap } | HeaderProblem;

/** Maps header names to fields; the first column that matches a field wins. */
export function mapHeader(names: string[]): HeaderResult {
  const found: Partial<Record<ImportField, number>> = {};
  names.forEach((name, index) => {
    const field = FIELD_BY_KEY.get(headerKey(name));
    if (field && found[field] === undefined) found[field] = index;
  });
  const missing = REQUIRED_FIELDS.filter((f) => found[f] === undefined);
  if (missing.length) {
    const expected = missing.map((f) => `${f} (e.g. ${HEADER_EXAMPLES[f]})`);
    const seen = names.map((n) => n.trim()).filter(Boolean);
    const listed = seen.map((n) => `"${n}"`).join(', ') || 'none';
    return {
      ok: false,
      message: `The header row lacks the column(s) ${expected.join(', ')}; columns found: ${listed}`,
      missing,
      found: seen,
    };
  }
  return { ok: true, columns: found as ColumnMap };
}

export interface HeaderInspection {
  delimiter: CsvDelimiter;
  names: string[];
  result: HeaderResult;
}

/** Reads the header record from the start of the decoded file (BOM already removed). */
export function inspectHeader(text: string): HeaderInspection {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const delimiter = detectDelimiter(firstLine);
  let names: string[] = [];
  try {
    [names = []] = parse(text, { delimiter, to_line: 1, relax_column_count: true, relax_quotes: true }) as string[][];
  } catch {
    // not even one readable record: no columns found
  }
  return { delimiter, names, result: mapHeader(names) };
}
