import { Transform, type TransformCallback } from 'node:stream';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Turns the record separators of a CSV stream (Postgres writes LF) into CRLF (RFC 4180),
 * leaving line breaks inside quoted fields as they are. Keeps the quote state across chunks;
 * scans with `indexOf`, so a chunk costs a few native searches, not a JavaScript loop per byte.
 */
export class CsvCrlf extends Transform {
  private inQuotes = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const breaks: number[] = [];
    let position = 0;
    let nextQuote = chunk.indexOf(QUOTE);
    while (position < chunk.length) {
      if (this.inQuotes) {
        if (nextQuote < 0) break;
        // the closing quote (a doubled "" reopens at once on the next turn)
        this.inQuotes = false;
        position = nextQuote + 1;
        nextQuote = chunk.indexOf(QUOTE, position);
        continue;
      }
      const nextBreak = chunk.indexOf(LF, position);
      if (nextQuote >= 0 && (nextBreak < 0 || nextQuote < nextBreak)) {
        this.inQuotes = true;
        position = nextQuote + 1;
        nextQuote = chunk.indexOf(QUOTE, position);
        continue;
      }
      if (nextBreak < 0) break;
      breaks.push(nextBreak);
      position = nextBreak + 1;
    }
    callback(null, breaks.length ? withCarriageReturns(chunk, breaks) : chunk);
  }
}

function withCarriageReturns(chunk: Buffer, breaks: number[]): Buffer {
  const out = Buffer.allocUnsafe(chunk.length + breaks.length);
  let from = 0;
  let to = 0;
  for (const at of breaks) {
    to += chunk.copy(out, to, from, at);
    out[to++] = CR;
    from = at;
  }
  chunk.copy(out, to, from);
  return out;
}
