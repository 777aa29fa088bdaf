import { Transform, type TransformCallback } from 'node:stream';

/**
 * Rows (objects) to JSON text: one valid JSON array (`[` row `,` row ... `]`, a row a line), or
 * NDJSON (a row a line). The array is closed even when there are no rows.
 */
export class JsonRows<Row> extends Transform {
  private first = true;

  constructor(
    private readonly layout: 'array' | 'lines',
    private readonly toJson: (row: Row) => unknown,
  ) {
    super({ writableObjectMode: true });
  }

  override _transform(row: Row, _encoding: BufferEncoding, callback: TransformCallback): void {
    const text = JSON.stringify(this.toJson(row));
    if (this.layout === 'lines') callback(null, `${text}\n`);
    else {
      callback(null, `${this.first ? '[\n' : ',\n'}${text}`);
      this.first = false;
    }
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.layout === 'array' ? (this.first ? '[]\n' : '\n]\n') : undefined);
  }
}
