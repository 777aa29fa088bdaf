import { Readable, type Duplex } from 'node:stream';

/**
 * `COPY (…) TO STDOUT (FORMAT csv)` read straight off the connection's socket as CSV with CRLF
 * record ends (RFC 4180), one copy per socket chunk.
 *
 * Postgres sends a CSV COPY as one CopyData message per record (header line included), each
 * ending in LF; line breaks inside quoted fields stay inside their message. So a record's end is
 * its message's end, and the CRLF needs no quote tracking. pg-copy-streams' reader, which this
 * replaces for the export, makes a Buffer per record and joins them per chunk, and a CRLF stage
 * then copied every chunk again: at two million rows that was the export's share of the API's CPU
 * and memory (issue 14). The socket hand-over (take the connection's data listener, read with
 * backpressure, give back what follows the copy) is pg-copy-streams' `copy-to`, re-done here.
 */

/** Message types of the COPY-out sub-protocol (PostgreSQL 15 docs, "Message Formats"). */
const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
/** Sent before or between the records, read past: CopyOutResponse, ParameterStatus, NoticeResponse, NotificationResponse. */
const READ_PAST = new Set([0x48, 0x53, 0x4e, 0x41]);
const HEADER_BYTES = 5; // type byte + int32 length (which counts itself)
const CR = 0x0d;
const LF = 0x0a;

export interface CopyChunk {
  /** The records read from the chunk, each ending in CRLF (a record split over chunks continues in the next). */
  records: Buffer;
  /** The copy ended in this chunk: 'done' at CopyDone, 'other' at any other message (an ErrorResponse). */
  end?: 'done' | 'other';
  /** With `end`: the bytes after CopyDone, or from the other message's header on, for the connection's own parser. */
  rest?: Buffer;
}

/** The protocol side: socket chunks in, CSV records with CRLF out. Keeps a header or record split over chunks. */
export class CopyOutCrlf {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerBytes = 0;
  private type = 0;
  /** Content bytes of the current message not read yet. */
  private remaining = 0;

  parse(chunk: Buffer): CopyChunk {
    // every message begun in this chunk gives up its 5 header bytes, a record gains 1 (CR): only a
    // record begun in an earlier chunk can end here without a header of its own here
    const out = Buffer.allocUnsafe(chunk.length + 1);
    let written = 0;
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - at);
        if (this.type === COPY_DATA) written += chunk.copy(out, written, at, at + n);
        at += n;
        this.remaining -= n;
        if (this.remaining === 0 && this.type === COPY_DATA && out[written - 1] === LF) {
          out[written - 1] = CR;
          out[written++] = LF;
        }
        continue;
      }
      const n = Math.min(HEADER_BYTES - this.headerBytes, chunk.length - at);
      chunk.copy(this.header, this.headerBytes, at, at + n);
      this.headerBytes += n;
      at += n;
      if (this.headerBytes < HEADER_BYTES) break;
      this.headerBytes = 0;
      this.type = this.header[0];
      this.remaining = this.header.readUInt32BE(1) - 4;
      if (this.type === COPY_DATA || READ_PAST.has(this.type)) continue;
      const records = out.subarray(0, written);
      // CopyDone has no content; what follows it (CommandComplete, ReadyForQuery) is the connection's
      if (this.type === COPY_DONE) return { records, end: 'done', rest: chunk.subarray(at) };
      return { records, end: 'other', rest: Buffer.concat([this.header, chunk.subarray(at)]) };
    }
    return { records: out.subarray(0, written) };
  }
}

/** What of pg's Connection the copy uses: its socket and its simple-query send. */
interface CopyConnection {
  stream: Duplex;
  query(text: string): void;
}

/**
 * A pg "submittable" query (`client.query(new CsvCopyOut(sql))`): a Readable of the COPY's CSV
 * with CRLF record ends, with backpressure down to the socket. Postgres' error ends it with that
 * error (through pg's own parser, as any query's).
 */
export class CsvCopyOut extends Readable {
  private readonly parser = new CopyOutCrlf();
  private connection: CopyConnection | null = null;
  private pgDataHandler: ((chunk: Buffer) => void) | null = null;
  private wantsMore = false;
  private forwarding = false;
  private copyDone = false;
  private readonly onReadable = () => this.forward();

  constructor(private readonly text: string) {
    super();
  }

  /** Called by pg when the query's turn comes. */
  submit(connection: CopyConnection): void {
    this.connection = connection;
    const listeners = connection.stream.listeners('data') as Array<(chunk: Buffer) => void>;
    if (listeners.length !== 1) throw new Error(`expected pg's one data listener on the socket, found ${listeners.length}`);
    this.pgDataHandler = listeners[0];
    connection.stream.removeListener('data', this.pgDataHandler);
    connection.stream.pause();
    connection.stream.on('readable', this.onReadable);
    connection.query(this.text);
  }

  override _read(): void {
    this.wantsMore = true;
    this.forward();
  }

  private forward(): void {
    if (this.forwarding || !this.wantsMore || !this.connection) return;
    this.forwarding = true;
    let chunk: Buffer | null;
    while (this.wantsMore && this.connection && (chunk = this.connection.stream.read() as Buffer | null) !== null) {
      const { records, end, rest } = this.parser.parse(chunk);
      if (records.length) this.wantsMore = this.push(records);
      if (end) {
        // before the hand-back: pg's parser goes on to CommandComplete and ReadyForQuery at once
        this.copyDone = end === 'done';
        this.handBack(rest!);
        // at 'other', pg's parser reads the ErrorResponse and calls handleError
        if (this.copyDone) this.push(null);
      }
    }
    this.forwarding = false;
  }

  /** Gives the socket back to pg's parser with the bytes that follow the copy. */
  private handBack(rest: Buffer): void {
    const { stream } = this.connection!;
    const pgDataHandler = this.pgDataHandler!;
    this.connection = null;
    this.pgDataHandler = null;
    stream.removeListener('readable', this.onReadable);
    stream.on('data', pgDataHandler);
    pgDataHandler(rest);
    process.nextTick(() => stream.resume());
  }

  handleError(error: Error): void {
    this.destroy(error);
  }

  handleCommandComplete(): void {}

  /** The query is over: without CopyDone and without an error (never seen from Postgres), the copy is incomplete. */
  handleReadyForQuery(): void {
    if (!this.copyDone && !this.destroyed) this.destroy(new Error('COPY ended without CopyDone'));
  }
}
