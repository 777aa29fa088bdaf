/**
 * Files uploaded by mistake instead of a CSV export (a screenshot, an .xlsx workbook, a PDF),
 * told from their first bytes: a known signature, else more control bytes than text has.
 */
export const NOT_TEXT_KINDS = ['png', 'jpeg', 'gif', 'pdf', 'zip', 'ole2', 'gzip', 'utf-16', 'binary'] as const;
export type NotTextKind = (typeof NOT_TEXT_KINDS)[number];

/** What the file looks like, in the API's (English) messages. */
export const NOT_TEXT_DESCRIPTIONS: Record<NotTextKind, string> = {
  png: 'a PNG image',
  jpeg: 'a JPEG image',
  gif: 'a GIF image',
  pdf: 'a PDF document',
  zip: 'a ZIP archive, such as an Excel workbook (.xlsx)',
  ole2: 'an Office 97-2003 file, such as an Excel workbook (.xls)',
  gzip: 'a gzip archive',
  'utf-16': 'UTF-16 text (Excel\'s "Unicode text")',
  binary: 'binary data',
};

/** How many of the file's first bytes decide. */
export const NOT_TEXT_SAMPLE_BYTES = 8 * 1024;

const SIGNATURES: [NotTextKind, number[]][] = [
  ['png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['jpeg', [0xff, 0xd8, 0xff]],
  ['gif', [0x47, 0x49, 0x46, 0x38]], // GIF8
  ['pdf', [0x25, 0x50, 0x44, 0x46, 0x2d]], // %PDF-
  ['zip', [0x50, 0x4b, 0x03, 0x04]], // also .xlsx, .ods
  ['ole2', [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]], // .xls, .doc
  ['gzip', [0x1f, 0x8b]],
  ['utf-16', [0xff, 0xfe]], // Excel's "Unicode text" (little-endian BOM)
  ['utf-16', [0xfe, 0xff]],
];

/** Control bytes but tab, line feed, form feed and carriage return. */
const isControl = (byte: number) => byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d;

/**
 * What the file is when it is not text, or null for text. A stray NUL in an export is tolerated
 * (the import drops it); more than 1 control byte in 20 is not text (compressed data has ~1 in 9).
 */
export function notTextKind(sample: Uint8Array): NotTextKind | null {
  for (const [kind, signature] of SIGNATURES) {
    if (sample.length >= signature.length && signature.every((byte, i) => sample[i] === byte)) return kind;
  }
  let controls = 0;
  for (const byte of sample) if (isControl(byte)) controls++;
  return controls * 20 > sample.length ? 'binary' : null;
}
