import { amsterdamDay } from '../../../domain/amsterdam-time.js';
/** The export formats: `format=` of `GET /api/export/{customers|referrals}`. */
export const EXPORT_FORMATS = ['csv', 'excel-csv', 'json', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

interface FormatSpec {
  contentType: string;
  extension: string;
}

export const FORMAT_SPECS: Record<ExportFormat, FormatSpec> = {
  csv: { contentType: 'text/csv; charset=utf-8; header=present', extension: 'csv' },
  // what Excel opens as columns in a Dutch locale: a BOM so it reads UTF-8, `;` and decimal commas
  'excel-csv': { contentType: 'text/csv; charset=utf-8; header=present', extension: 'csv' },
  json: { contentType: 'application/json; charset=utf-8', extension: 'json' },
  ndjson: { contentType: 'application/x-ndjson; charset=utf-8', extension: 'ndjson' },
};

/** e.g. `bebsy-referrals-2026-11-26.csv`, dated in Amsterdam (the admins' day). */
export function exportFilename(entity: string, format: ExportFormat, now = new Date()): string {
  return `bebsy-${entity}-${amsterdamDay(now)}.${FORMAT_SPECS[format].extension}`;
}
