import { once } from 'node:events';
import type pg from 'pg';
import pgCopyStreams from 'pg-copy-streams';

/** COPY's text format escapes; a NUL byte, which no Postgres text can hold, is dropped. */
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '' };
const NEEDS_ESCAPE = /[\\\t\n\r\0]/;

/** One value in COPY's text format. */
function copyValue(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return NEEDS_ESCAPE.test(value) ? value.replace(/[\\\t\n\r\0]/g, (c) => COPY_ESCAPES[c]) : value;
}

/** One row in COPY's text format. */
export function copyLine(values: (string | number | null)[]): string {
  let line = copyValue(values[0]);
  for (let i = 1; i < values.length; i++) line += `\t${copyValue(values[i])}`;
  return `${line}\n`;
}

/** A COPY … FROM STDIN on the client, written in 64 KB pieces with backpressure. */
export class CopyWriter {
  private buffer = '';
  private readonly stream: pgCopyStreams.CopyStreamQuery;
  /** Postgres refused the COPY while nobody awaited the stream: thrown by the next call. */
  private failure: Error | null = null;

  constructor(client: pg.ClientBase, sql: string) {
    this.stream = client.query(pgCopyStreams.from(sql));
    this.stream.on('error', (error) => (this.failure ??= error));
  }

  /** Adds a line; true when the stream wants a `drained()` before more (no promise per row). */
  write(line: string): boolean {
    if (this.failure) throw this.failure;
    this.buffer += line;
    if (this.buffer.length < 65_536) return false;
    const ok = this.stream.write(this.buffer);
    this.buffer = '';
    return !ok;
  }

  async drained(): Promise<void> {
    if (this.failure) throw this.failure;
    await once(this.stream, 'drain');
  }

  async end(): Promise<void> {
    if (this.failure) throw this.failure;
    const done = once(this.stream, 'finish');
    this.stream.end(this.buffer);
    this.buffer = '';
    await done;
  }

  /** Abandons the COPY (CopyFail), so the connection can roll back instead of waiting on it. */
  async abort(): Promise<void> {
    if (this.stream.destroyed || this.stream.writableFinished) return;
    const closed = once(this.stream, 'close').catch(() => undefined);
    this.stream.destroy(new Error('import stopped'));
    await closed;
  }
}
