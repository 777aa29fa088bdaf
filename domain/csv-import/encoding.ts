/**
 * Which text encoding a CSV file uses. Excel's "CSV UTF-8" starts with a byte-order mark (valid
 * UTF-8 itself, removed when decoding); its plain "CSV" in the Netherlands is Windows-1252;
 * Google Sheets writes UTF-8 without a BOM.
 */
export type CsvEncoding = 'utf-8' | 'windows-1252';

/** Index of the first byte above 0x7f, or -1 when the bytes are plain ASCII. */
export function firstNonAscii(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 0x7f) return i;
  return -1;
}

/**
 * Decides the encoding from the bytes starting at the file's first non-ASCII byte (everything
 * before it reads the same in both encodings): valid UTF-8 there means UTF-8, else Windows-1252.
 * Unless `atEnd`, a multi-byte sequence cut off at the end of `bytes` counts as valid.
 */
export function encodingAt(bytes: Uint8Array, nonAsciiIndex: number, atEnd = true): CsvEncoding {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(nonAsciiIndex), { stream: !atEnd });
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}
