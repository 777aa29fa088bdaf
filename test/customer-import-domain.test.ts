import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CsvRecordReader,
  FileDuplicates,
  UnclosedQuoteError,
  detectDelimiter,
  encodingAt,
  firstNonAscii,
  inspectHeader,
  mapHeader,
  notTextKind,
  validateRecord,
} from '../domain/csv-import/index.js';

describe('customer import: header row', () => {
  it('detects the delimiter outside quotes', () => {
    assert.equal(detectDelimiter('Klantnummer;Naam;E-mail'), ';');
    assert.equal(detectDelimiter('customer_id,name,email'), ',');
    assert.equal(detectDelimiter('id\tnaam\te-mail'), '\t');
    assert.equal(detectDelimiter('"Klant, nummer";Naam;"E-mail, privé"'), ';');
  });

  it('maps Dutch and English header names, ignoring case, spaces, accents and extra columns', () => {
    const result = mapHeader([' Klantnummer ', 'Woonplaats', 'NAAM', 'E-mailadres', 'Taal']);
    assert.deepEqual(result, { ok: true, columns: { bebsy_customer_id: 0, name: 2, email: 3, locale: 4 } });
    assert.deepEqual(mapHeader(['bebsy_customer_id', 'name', 'email', 'locale']), {
      ok: true,
      columns: { bebsy_customer_id: 0, name: 1, email: 2, locale: 3 },
    });
    assert.deepEqual(mapHeader(['Customer ID', 'Name', 'E-mail']), { ok: true, columns: { bebsy_customer_id: 0, name: 1, email: 2 } });
  });

  it('names the missing columns and the ones it found', () => {
    const result = mapHeader(['foo', 'Naam']);
    assert.equal(result.ok, false);
    assert.match(
      !result.ok ? result.message : '',
      /bebsy_customer_id \(e\.g\. "klantnummer" or "customer_id"\).*email.*columns found: "foo", "Naam"/,
    );
    assert.deepEqual(!result.ok && [result.missing, result.found], [
      ['bebsy_customer_id', 'email'],
      ['foo', 'Naam'],
    ]);
    const blank = mapHeader([' ', '']);
    assert.deepEqual(!blank.ok && blank.found, [], 'blank names are not columns found');
  });

  it('reads a quoted header record', () => {
    const { delimiter, names, result } = inspectHeader('"Klantnummer";"Naam";"E-mail"\r\n1;Jan;jan@x.nl\r\n');
    assert.equal(delimiter, ';');
    assert.deepEqual(names, ['Klantnummer', 'Naam', 'E-mail']);
    assert.ok(result.ok);
  });
});

describe('customer import: files that are not text', () => {
  it('knows images, workbooks, PDFs, archives and UTF-16 by their first bytes', () => {
    const start = (...bytes: number[]) => Buffer.concat([Buffer.from(bytes), Buffer.from('rest of the file')]);
    assert.equal(notTextKind(start(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)), 'png');
    assert.equal(notTextKind(start(0xff, 0xd8, 0xff, 0xe0)), 'jpeg');
    assert.equal(notTextKind(Buffer.from('GIF89a')), 'gif');
    assert.equal(notTextKind(Buffer.from('%PDF-1.7\n')), 'pdf');
    assert.equal(notTextKind(start(0x50, 0x4b, 0x03, 0x04)), 'zip');
    assert.equal(notTextKind(start(0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1)), 'ole2');
    assert.equal(notTextKind(start(0x1f, 0x8b, 0x08)), 'gzip');
    assert.equal(notTextKind(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Naam\tE-mail', 'utf16le')])), 'utf-16');
  });

  it('calls a start full of control bytes binary, but keeps text with a stray NUL, Windows-1252 and tabs', () => {
    assert.equal(notTextKind(Buffer.from('Naam;E-mail\r\n', 'utf16le')), 'binary', 'UTF-16 without a BOM: every other byte NUL');
    assert.equal(notTextKind(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))), 'binary');
    const rows =
      'Klantnummer;Naam;E-mail\r\n' + Array.from({ length: 20 }, (_, i) => `NL-${i};Klant ${i};klant.${i}@voorbeeld.nl\r\n`).join('');
    assert.equal(notTextKind(Buffer.from(rows.replace('Klant 3', 'Klant\u00003'))), null, 'a stray NUL (the import drops it)');
    assert.equal(notTextKind(Buffer.from('Naam\tE-mail\fJos\xe9\tjose@x.nl\r', 'latin1')), null);
    assert.equal(notTextKind(Buffer.alloc(0)), null);
  });
});

describe('customer import: encoding', () => {
  it('tells UTF-8 from Windows-1252 at the first non-ASCII byte', () => {
    const utf8 = Buffer.from('Naam\nJosé', 'utf8');
    const cp1252 = Buffer.from([...Buffer.from('Naam\nJos'), 0xe9]);
    assert.equal(encodingAt(utf8, firstNonAscii(utf8)), 'utf-8');
    assert.equal(encodingAt(cp1252, firstNonAscii(cp1252)), 'windows-1252');
    assert.equal(firstNonAscii(Buffer.from('plain')), -1);
    const bom = Buffer.from('\ufeffKlantnummer', 'utf8');
    assert.equal(encodingAt(bom, firstNonAscii(bom)), 'utf-8', 'a BOM reads as UTF-8');
  });

  it('counts a multi-byte character cut off at the end of a chunk as UTF-8, unless the file ends there', () => {
    const cut = Buffer.from('Zoë', 'utf8').subarray(0, 3);
    assert.equal(encodingAt(cut, firstNonAscii(cut), false), 'utf-8');
    assert.equal(encodingAt(cut, firstNonAscii(cut), true), 'windows-1252');
  });
});

describe('customer import: rows', () => {
  it('trims, lower-cases the email and reads the language', () => {
    assert.deepEqual(validateRecord(['  BEB-1 ', ' Zoë de Bruijn ', ' Zoe@Voorbeeld.NL ', ' Engels ']), {
      ok: true,
      row: { bebsy_customer_id: 'BEB-1', name: 'Zoë de Bruijn', email: 'zoe@voorbeeld.nl', locale: 'en' },
    });
    assert.deepEqual(validateRecord(['BEB-1', 'Jan', 'jan@x.nl', '']), {
      ok: true,
      row: { bebsy_customer_id: 'BEB-1', name: 'Jan', email: 'jan@x.nl', locale: null },
    });
  });

  it('rejects with a reason', () => {
    const reason = (fields: string[]) => {
      const result = validateRecord(fields);
      return result.ok ? 'ok' : result.reason;
    };
    assert.equal(reason(['', 'Jan', 'jan@x.nl', 'nl']), 'missing_id');
    assert.equal(reason(['1', ' ', 'jan@x.nl', 'nl']), 'missing_name');
    assert.equal(reason(['1', 'Jan', '', 'nl']), 'missing_email');
    assert.equal(reason(['1', 'Jan', 'jan at x', 'nl']), 'invalid_email');
    assert.equal(reason(['1', 'Jan', 'jan@x.nl', 'de']), 'invalid_locale');
    assert.equal(reason(['1', 'Jan', 'jan@x.nl', 'constructor']), 'invalid_locale', 'not a property of every object');
    assert.equal(reason(['x'.repeat(65), 'Jan', 'jan@x.nl', 'nl']), 'id_too_long');
    assert.equal(reason(['1', 'Jan']), 'missing_email', 'a short record reads as empty cells');
  });
});

describe('customer import: duplicates within the file', () => {
  it('lets the first row with a number or email win, naming its line', () => {
    const duplicates = new FileDuplicates();
    const row = (id: string, email: string) => ({ bebsy_customer_id: id, name: 'Jan', email, locale: null });
    assert.equal(duplicates.claim(row('1', 'a@x.nl'), 2), null);
    assert.equal(duplicates.claim(row('1', 'b@x.nl'), 3), 2, 'the number of line 2');
    assert.equal(duplicates.claim(row('2', 'a@x.nl'), 4), 2, 'the email of line 2');
    assert.equal(duplicates.claim(row('3', 'b@x.nl'), 5), null, 'a rejected row claimed nothing');
    assert.equal(duplicates.claim(row('4', 'c@x.nl'), 6), null);
  });

  it('keeps a hundred thousand numbers apart', () => {
    const duplicates = new FileDuplicates();
    for (let i = 0; i < 100_000; i++)
      assert.equal(duplicates.claim({ bebsy_customer_id: `BEB-${i}`, name: 'Jan', email: `jan${i}@x.nl`, locale: null }, i + 2), null);
    assert.equal(duplicates.claim({ bebsy_customer_id: 'BEB-99999', name: 'Jan', email: 'nieuw@x.nl', locale: null }, 200_000), 100_001);
  });
});

describe('customer import: reading records', () => {
  const read = (text: string, columns = [0, 1, 2], chunkSize = text.length) => {
    const reader = new CsvRecordReader(0x3b, columns);
    const bytes = Buffer.from(text);
    const records = [];
    for (let i = 0; i < bytes.length; i += chunkSize) records.push(...reader.push(bytes.subarray(i, i + chunkSize)));
    return [...records, ...reader.end()];
  };

  it('reads quoted cells with delimiters, doubled quotes and line breaks, numbering the lines', () => {
    const text = 'id;naam;mail\r\n1;"Jansen; Piet\nen ""Marie""";a@x.nl\r\n2;Jan "de" Vries;b@x.nl\n3;Kees\r4;Eva;e@x.nl';
    const expected = [
      { line: 1, cells: ['id', 'naam', 'mail'], blank: false },
      { line: 2, cells: ['1', 'Jansen; Piet\nen "Marie"', 'a@x.nl'], blank: false },
      { line: 4, cells: ['2', 'Jan "de" Vries', 'b@x.nl'], blank: false },
      { line: 5, cells: ['3', 'Kees', ''], blank: false },
      { line: 6, cells: ['4', 'Eva', 'e@x.nl'], blank: false },
    ];
    assert.deepEqual(read(text), expected);
    for (const size of [1, 2, 3, 7]) assert.deepEqual(read(text, [0, 1, 2], size), expected, `chunks of ${size} bytes`);
  });

  it('answers only the wanted cells, in the wanted order, and tells blank records', () => {
    assert.deepEqual(read('a;b;c;d\n;;;\n\n  ;"";\n', [2, 0]), [
      { line: 1, cells: ['c', 'a'], blank: false },
      { line: 2, cells: ['', ''], blank: true },
      { line: 3, cells: ['', ''], blank: true },
      { line: 4, cells: ['', '  '], blank: true },
    ]);
  });

  it('refuses a quoted cell that never closes, naming its line', () => {
    assert.throws(
      () => read('id;naam\n1;Jan\n2;"Piet;p@x.nl\n3;Kees\n'),
      (error: Error) => error instanceof UnclosedQuoteError && error.line === 3,
    );
  });
});
