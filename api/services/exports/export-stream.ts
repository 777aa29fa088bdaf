import { PassThrough, pipeline, type Readable, type Transform } from 'node:stream';
import type { Db } from '../../../db/knex.js';
import { EXPORT_FIELDS, copyOut, rowsOut, type ExportQuery } from '../../../db/repositories/exports.js';
import type { ReferralRow } from '../../../db/repositories/referrals.js';
import { referralJson } from '../../serializers.js';
import type { ExportFormat } from './formats.js';
import { JsonRows } from './json.js';

const UTF8_BOM = '\uFEFF';

/**
 * The export as a byte stream. CSV comes from Postgres' COPY (the formula guard and the number
 * format are in its SQL), read with CRLF line ends (`CsvCopyOut`); JSON from a cursor (pg-query-stream) through the
 * list API's serialiser. Destroying the returned stream (the client went away) stops the query
 * and frees its connection; a failure reaches the returned stream as its error.
 */
export async function exportStream(db: Db, query: ExportQuery, format: ExportFormat): Promise<Readable> {
  const stages: Transform[] = [];
  let source: Readable;
  if (format === 'csv' || format === 'excel-csv') {
    const excel = format === 'excel-csv';
    source = await copyOut(db, query, excel ? { delimiter: ';', decimalComma: true } : { delimiter: ',', decimalComma: false });
    if (excel) stages.push(prefixed(UTF8_BOM));
  } else {
    source = await rowsOut(db, query);
    const names = EXPORT_FIELDS[query.entity].map((f) => f.name);
    // exactly the listed fields, as the list API's response schema does
    const toJson = query.entity === 'referrals' ? (row: ReferralRow) => pick(referralJson(row), names) : (row: unknown) => row;
    stages.push(new JsonRows(format === 'json' ? 'array' : 'lines', toJson));
  }
  const output = new PassThrough();
  // pipeline destroys every stage with the error of any one: the output carries it to the reply
  pipeline([source, ...stages, output], () => undefined);
  return output;
}

/** A pass-through that writes `text` before the first byte. */
function prefixed(text: string): PassThrough {
  const stream = new PassThrough();
  stream.write(text);
  return stream;
}

function pick(object: Record<string, unknown>, names: string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((name) => [name, object[name]]));
}
