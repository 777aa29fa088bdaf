import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { exportFilename } from '../api/services/exports/formats.js';
import { JsonRows } from '../api/services/exports/json.js';
import { CopyOutCrlf } from '../db/csv-copy-out.js';

/** The export's stream stages, unit by unit (the API tests run them against Postgres). */
describe('export encoders', () => {
  /** A protocol message as Postgres sends it: type byte, int32 length (counting itself), content. */
  const message = (type: string, content = '') => {
    const body = Buffer.from(content, 'latin1');
    const header = Buffer.alloc(5);
    header.write(type, 0, 'latin1');
    header.writeUInt32BE(body.length + 4, 1);
    return Buffer.concat([header, body]);
  };
  const records = ['id,name\n', '1,"de Vries; ""Jan""\nregel 2"\n', '2,"a ""quoted"" ""\n"" name"\n', '3,plain\n'];
  const expected = 'id,name\r\n1,"de Vries; ""Jan""\nregel 2"\r\n2,"a ""quoted"" ""\n"" name"\r\n3,plain\r\n';
  /** Where a split wire's chunk that holds byte `position` ends. */
  const chunkEnd = (position: number, splits: number[], length: number) => splits.find((split) => position < split) ?? length;

  /** Feeds the wire in chunks as the socket would hand them over, until the copy ends. */
  function parse(wire: Buffer, splits: number[]) {
    const parser = new CopyOutCrlf();
    const out: Buffer[] = [];
    let from = 0;
    for (const to of [...splits, wire.length]) {
      const result = parser.parse(wire.subarray(from, to));
      out.push(result.records);
      from = to;
      if (result.end) return { text: Buffer.concat(out).toString(), end: result.end, rest: result.rest! };
    }
    return { text: Buffer.concat(out).toString(), end: undefined, rest: undefined };
  }

  it('reads a CSV COPY as records with CRLF ends, quoted line breaks kept, wherever the socket splits it', () => {
    // what follows CopyDone: CommandComplete and ReadyForQuery, for the connection's own parser
    const after = Buffer.concat([message('C', 'COPY 3\0'), message('Z', 'I')]);
    const wire = Buffer.concat([message('H', '\0\0\x02\0\0\0\0'), ...records.map((record) => message('d', record)), message('c'), after]);
    const copyEnd = wire.length - after.length;
    for (let first = 0; first <= wire.length; first++) {
      for (const second of [first, Math.min(wire.length, first + 1), Math.min(wire.length, first + 6)]) {
        const { text, end, rest } = parse(wire, [first, second]);
        assert.equal(text, expected, `split at ${first} and ${second}`);
        assert.equal(end, 'done', `split at ${first} and ${second}`);
        assert.deepEqual(
          rest,
          wire.subarray(copyEnd, chunkEnd(copyEnd - 1, [first, second], wire.length)),
          `split at ${first} and ${second}`,
        );
      }
    }
  });

  it('stops at an error from Postgres and hands the error message to the connection from its type byte on', () => {
    const error = message('E', 'SERROR\0C57014\0Mcanceling statement due to statement timeout\0\0');
    const wire = Buffer.concat([message('d', records[0]), message('d', records[1]), error, message('Z', 'I')]);
    const errorStart = wire.length - message('Z', 'I').length - error.length;
    for (let split = 0; split <= wire.length; split++) {
      const { text, end, rest } = parse(wire, [split]);
      assert.equal(text, expected.slice(0, expected.indexOf('2,"a')), `split at ${split}`);
      assert.equal(end, 'other', `split at ${split}`);
      assert.deepEqual(rest, wire.subarray(errorStart, chunkEnd(errorStart + 4, [split], wire.length)), `split at ${split}`);
    }
  });

  it('writes rows as one JSON array, or a row a line', async () => {
    const rows = [{ a: 1 }, { a: 'x"\n' }];
    const array = await text(Readable.from(rows).pipe(new JsonRows('array', (row: { a: unknown }) => ({ value: row.a }))));
    assert.deepEqual(JSON.parse(array), [{ value: 1 }, { value: 'x"\n' }]);
    assert.equal(await text(Readable.from([]).pipe(new JsonRows('array', (row) => row))), '[]\n');
    const lines = await text(Readable.from(rows).pipe(new JsonRows('lines', (row) => row)));
    assert.deepEqual(
      lines
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
      rows,
    );
  });

  it('dates the file name in Amsterdam', () => {
    assert.equal(exportFilename('referrals', 'excel-csv', new Date('2026-11-26T23:30:00Z')), 'bebsy-referrals-2026-11-27.csv');
    assert.equal(exportFilename('customers', 'ndjson', new Date('2026-06-30T12:00:00Z')), 'bebsy-customers-2026-06-30.ndjson');
  });
});
