import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { CsvCrlf } from '../api/services/exports/crlf.js';
import { exportFilename } from '../api/services/exports/formats.js';
import { JsonRows } from '../api/services/exports/json.js';

/** The export's stream stages, unit by unit (the API tests run them against Postgres). */
describe('export encoders', () => {
  const csv = 'id,name\n1,"de Vries; ""Jan""\nregel 2"\n2,"a ""quoted"" ""\n"" name"\n3,plain\n';
  const expected = 'id,name\r\n1,"de Vries; ""Jan""\nregel 2"\r\n2,"a ""quoted"" ""\n"" name"\r\n3,plain\r\n';

  it('ends CSV records with CRLF and keeps line breaks inside quoted fields, wherever the chunks split', async () => {
    for (let first = 0; first <= csv.length; first++) {
      for (const second of [first, Math.min(csv.length, first + 1), Math.min(csv.length, first + 7)]) {
        const chunks = [csv.slice(0, first), csv.slice(first, second), csv.slice(second)].filter(Boolean).map((c) => Buffer.from(c));
        assert.equal(await text(Readable.from(chunks).pipe(new CsvCrlf())), expected, `split at ${first} and ${second}`);
      }
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
