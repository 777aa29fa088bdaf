/** Reading an uploaded CSV file's encoding and header (the API checks uploads with it; the import activity too). */
import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import iconv from 'iconv-lite';
import { NOT_TEXT_SAMPLE_BYTES, notTextKind, type NotTextKind } from './binary.js';
import { encodingAt, firstNonAscii, type CsvEncoding } from './encoding.js';
import { inspectHeader, type HeaderInspection } from './header.js';

/** Enough of the file's start to hold its header record. */
const HEADER_SAMPLE_BYTES = 64 * 1024;

/** The file's first `bytes` bytes (all of it when it is shorter). */
async function readStart(filePath: string, bytes: number): Promise<Buffer> {
  const handle = await open(filePath);
  try {
    const sample = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(sample, 0, bytes, 0);
    return sample.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** What an uploaded file is when it is not text (an image, a workbook...), or null for text. */
export async function detectNotText(filePath: string): Promise<NotTextKind | null> {
  return notTextKind(await readStart(filePath, NOT_TEXT_SAMPLE_BYTES));
}

/**
 * Scans the file for its first non-ASCII byte (a BOM counts) and decides the encoding there;
 * a file that is ASCII throughout reads the same either way.
 */
export async function detectFileEncoding(filePath: string): Promise<CsvEncoding> {
  let pending: Buffer | null = null; // a non-ASCII byte too close to its chunk's end to judge alone
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    if (!pending && isAscii(chunk)) continue;
    const bytes: Buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
    const index = firstNonAscii(bytes);
    if (index > bytes.length - 4) pending = bytes.subarray(index);
    else return encodingAt(bytes, index, false);
  }
  return pending ? encodingAt(pending, 0) : 'utf-8';
}

/**
 * Encoding, delimiter and column mapping from the file's start; the API checks uploads with it
 * too. An encoding found before (the API stores it with the import) spares the scan for it.
 */
export async function inspectCsvFile(
  filePath: string,
  knownEncoding?: CsvEncoding,
): Promise<{ encoding: CsvEncoding; header: HeaderInspection }> {
  const encoding = knownEncoding ?? (await detectFileEncoding(filePath));
  return { encoding, header: inspectHeader(iconv.decode(await readStart(filePath, HEADER_SAMPLE_BYTES), encoding)) };
}
