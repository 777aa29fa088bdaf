import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import argon2 from 'argon2';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ImportDetailJson } from '../api/routes/imports.js';
import { assertError, detailFields } from './support/http.js';
import { getImportJson, importEnded, uploadImport, writeLargeCsv } from './support/imports.js';
import { adminToken, createCustomer, eventually, startTestSystem, unique, type TestSystem } from './support/system.js';

const fixture = (name: string) => readFile(path.join('test/fixtures/imports', name));
const MAX_BYTES = 64 * 1024 * 1024;

describe('customer CSV import', () => {
  let system: TestSystem;
  let token: string;
  let storageDir: string;

  before(async () => {
    storageDir = await mkdtemp(path.join(os.tmpdir(), 'bebsy-imports-'));
    system = await startTestSystem({ IMPORT_MAX_BYTES: String(MAX_BYTES), IMPORT_STORAGE_DIR: storageDir });
    token = await adminToken(system.app);
  });
  after(async () => {
    await system.close();
    await rm(storageDir, { recursive: true, force: true });
  });

  const auth = () => ({ authorization: `Bearer ${token}` });
  const customerById = (id: string) => system.db('customers').where({ bebsy_customer_id: id }).first();

  async function runImport(content: Buffer | string, fileName?: string) {
    const res = await uploadImport(system.app, token, content, { fileName });
    assert.equal(res.statusCode, 202, res.body);
    return importEnded(system.app, token, res.json().id);
  }

  async function errorReport(id: string, lang = 'nl') {
    const res = await system.app.inject({ method: 'GET', url: `/api/imports/${id}/errors.csv?lang=${lang}`, headers: auth() });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.headers['content-type'] as string, /^text\/csv/);
    assert.equal(res.headers['cache-control'], 'no-store', 'customer data is not kept in caches');
    return res.body;
  }

  it('imports a Dutch Excel file (semicolons, Windows-1252, CRLF, quoted ; and newline, extra column, spaces) and reports each bad row', async () => {
    await createCustomer(system.app, token, { bebsy_customer_id: 'NL-OTHER', email: 'Bestaand@Voorbeeld.nl' });
    await createCustomer(system.app, token, { bebsy_customer_id: 'NL-1011', name: 'Lars Oud', email: 'lars@voorbeeld.nl' });
    const before = await customerById('NL-1011');

    const job = await runImport(await fixture('excel-nl-windows-1252.csv'), 'klanten export.csv');
    assert.equal(job.status, 'completed', job.error ?? '');
    assert.deepEqual(
      { inserted: job.inserted, updated: job.updated, unchanged: job.unchanged, rejected: job.rejected },
      { inserted: 3, updated: 1, unchanged: 0, rejected: 7 },
    );
    assert.equal(job.rows_processed, 12, 'eleven rows and a blank one');
    assert.equal(job.percent, 100);

    const jose = await customerById('NL-1001');
    assert.deepEqual(
      { name: jose.name, email: jose.email, locale: jose.locale },
      { name: 'José Martínez', email: 'jose@voorbeeld.nl', locale: 'nl' },
    );
    assert.match(jose.referral_code, /^[A-Z2-9]{8}$/);
    const zoe = await customerById('NL-1002');
    assert.deepEqual(
      { name: zoe.name, email: zoe.email, locale: zoe.locale },
      { name: 'Zoë de Bruijn', email: 'zoe.debruijn@voorbeeld.nl', locale: 'en' },
    );
    assert.equal((await customerById('NL-1003')).name, 'Jansen; Piet\nen Marie');
    const lars = await customerById('NL-1011');
    assert.equal(lars.name, 'Lars Vermeulen');
    assert.equal(lars.referral_code, before.referral_code, 'an update keeps the referral code');
    for (const id of ['NL-1004', 'NL-1006', 'NL-1008', 'NL-1009', 'NL-1010']) assert.equal(await customerById(id), undefined, id);

    const report = await errorReport(job.id);
    assert.ok(report.startsWith('\ufeffregel;klantnummer;naam;e-mail;code;reden\r\n'), report.slice(0, 60));
    assert.deepEqual(report.slice(1).trim().split('\r\n').slice(1), [
      '6;NL-1004;Noël Peeters;geen-email;invalid_email;e-mailadres is ongeldig',
      '7;;Zonder Nummer;zonder@voorbeeld.nl;missing_id;klantnummer ontbreekt',
      '8;NL-1006;;leeg@voorbeeld.nl;missing_name;naam ontbreekt',
      '9;NL-1001;José Dubbel;jose2@voorbeeld.nl;duplicate_id;klantnummer staat eerder in het bestand',
      '10;NL-1008;Anna Dubbel;jose@voorbeeld.nl;duplicate_email;e-mailadres staat eerder in het bestand',
      '11;NL-1009;Bestaande Mail;bestaand@voorbeeld.nl;email_taken;e-mailadres hoort bij een andere klant',
      '12;NL-1010;Eva Smit;eva@voorbeeld.nl;invalid_locale;taal moet nl of en zijn',
    ]);
    assert.match(
      await errorReport(job.id, 'en'),
      /line;customer_id;name;email;code;reason\r\n6;NL-1004;Noël Peeters;geen-email;invalid_email;email address is not valid/,
    );

    // Nothing left behind: no staging table, no stored upload.
    const staging = await system.db.raw("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'customer_import_staging'");
    assert.equal(staging.rows[0].n, 0);
    assert.deepEqual(await readdir(storageDir), []);

    // The same file again changes nothing.
    const again = await runImport(await fixture('excel-nl-windows-1252.csv'));
    assert.deepEqual(
      { inserted: again.inserted, updated: again.updated, unchanged: again.unchanged, rejected: again.rejected },
      { inserted: 0, updated: 0, unchanged: 4, rejected: 7 },
    );
    assert.deepEqual(await customerById('NL-1001'), jose, 'not even updated_at moves');
  });

  it('reads UTF-8 with a BOM and commas, and Google Sheets tab-separated files', async () => {
    const bom = await runImport(await fixture('utf8-bom-comma.csv'));
    assert.deepEqual([bom.status, bom.inserted, bom.rejected], ['completed', 2, 1]);
    assert.equal((await customerById('EN-2001')).name, 'Doe, John');
    const chloe = await customerById('EN-2002');
    assert.deepEqual([chloe.name, chloe.email, chloe.locale], ['Chloë Brontë', 'chloe@example.com', 'nl']);
    assert.match(await errorReport(bom.id, 'en'), /\r\n4;EN-2003;Missing Mail;;missing_email;email address is missing\r\n$/);

    const tab = await runImport(await fixture('google-sheets-tab.tsv'));
    assert.deepEqual([tab.status, tab.inserted, tab.rejected], ['completed', 2, 1]);
    const daan = await customerById('TB-3002');
    assert.deepEqual([daan.name, daan.locale], ['Daan, de Wit', 'en']);
  });

  it('reads old Mac line ends (CR), ragged rows, quotes inside a cell, NUL bytes and blank lines, numbering lines as the file has them', async () => {
    const rows = [
      'Klantnummer;Naam;E-mail;Taal',
      'MC-1;Jan "Jantje" de Vries;jan.mc1@voorbeeld.nl;nl',
      'MC-2;"Bakker; Els";ELS.MC2@Voorbeeld.NL',
      'MC-3;Noël Peeters;noel.mc3@voorbeeld.nl;en;Gent;extra',
      '',
      'MC-4;"Zoë ""Zo"" Smit";zoe.mc4@voorbeeld.nl;nl',
      'MC-5;Geen Mail;;nl',
      'MC-2;Dubbel Nummer;ander.mc2@voorbeeld.nl;nl',
      'MC-6;Nul\0Byte;nul.mc6@voorbeeld.nl;nl',
      'MC-7;=1+2;;nl',
    ];
    const job = await runImport(Buffer.from(`${rows.join('\r')}\r`, 'latin1'));
    assert.deepEqual([job.status, job.rows_processed, job.inserted, job.rejected], ['completed', 9, 5, 3]);
    const values = async (id: string) => {
      const c = await customerById(id);
      return [c.name, c.email, c.locale];
    };
    assert.deepEqual(
      await values('MC-1'),
      ['Jan "Jantje" de Vries', 'jan.mc1@voorbeeld.nl', 'nl'],
      'a quote inside an unquoted cell is text',
    );
    assert.deepEqual(await values('MC-2'), ['Bakker; Els', 'els.mc2@voorbeeld.nl', 'nl'], 'a short row reads as empty cells');
    assert.deepEqual(await values('MC-3'), ['Noël Peeters', 'noel.mc3@voorbeeld.nl', 'en'], 'extra cells are ignored');
    assert.deepEqual(await values('MC-4'), ['Zoë "Zo" Smit', 'zoe.mc4@voorbeeld.nl', 'nl']);
    assert.deepEqual(
      await values('MC-6'),
      ['NulByte', 'nul.mc6@voorbeeld.nl', 'nl'],
      'a NUL byte, which Postgres text cannot hold, is dropped',
    );
    assert.deepEqual(
      (await errorReport(job.id)).slice(1).trim().split('\r\n').slice(1),
      [
        '7;MC-5;Geen Mail;;missing_email;e-mailadres ontbreekt',
        '8;MC-2;Dubbel Nummer;ander.mc2@voorbeeld.nl;duplicate_id;klantnummer staat eerder in het bestand',
        "10;MC-7;'=1+2;;missing_email;e-mailadres ontbreekt",
      ],
      'values a spreadsheet would run get a leading quote, as in the exports',
    );
  });

  it('answers clear 4xx errors for bad uploads, storing nothing', async () => {
    const noHeader = await uploadImport(system.app, token, await fixture('no-header.csv'));
    assertError(noHeader, 422, 'unrecognised_header', /lacks the column\(s\) bebsy_customer_id .* columns found: "foo", "bar", "baz"/);
    assert.deepEqual(
      noHeader.json().details,
      [{ missing_columns: ['bebsy_customer_id', 'name', 'email'], columns_found: ['foo', 'bar', 'baz'] }],
      'the UI words it from these',
    );
    const noEmail = await uploadImport(system.app, token, 'Klantnummer;Naam;Woonplaats\r\nNL-1;Jan;Gent\r\n');
    assert.deepEqual(noEmail.json().details, [{ missing_columns: ['email'], columns_found: ['Klantnummer', 'Naam', 'Woonplaats'] }]);

    const wrongField = await uploadImport(system.app, token, 'Klantnummer;Naam;E-mail\r\n', { field: 'upload' });
    assertError(wrongField, 400, 'file_missing', /field "file", not "upload"/);

    const json = await system.app.inject({ method: 'POST', url: '/api/customers/import', headers: auth(), payload: { file: 'x' } });
    assertError(json, 415, 'unsupported_media_type', /multipart\/form-data in the field "file"/);

    const empty = await uploadImport(system.app, token, '');
    assertError(empty, 422, 'empty_file', /empty/);

    const tooBig = await uploadImport(system.app, token, Buffer.alloc(MAX_BYTES + 1, 'a'));
    assertError(tooBig, 413, 'file_too_large', /IMPORT_MAX_BYTES/);
    assert.deepEqual(await readdir(storageDir), [], 'nothing stored');

    const other = await system.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'x'.repeat(2 * 1024 * 1024), password: 'x' },
    });
    assertError(other, 413, 'payload_too_large'); // the rest of the API keeps its 1 MB body limit

    for (const [method, url] of [
      ['GET', '/api/imports/999999999'],
      ['GET', '/api/imports/999999999/errors.csv'],
      ['POST', '/api/imports/999999999/cancel'],
    ] as const) {
      assertError(await system.app.inject({ method, url, headers: auth() }), 404, 'not_found', /Import 999999999 does not exist/);
    }
    const badId = assertError(
      await system.app.inject({ method: 'GET', url: '/api/imports/abc', headers: auth() }),
      400,
      'validation_error',
    );
    assert.deepEqual(detailFields(badId), ['id']);
    const imports = await system.db('customer_imports').count<{ n: string }[]>({ n: '*' });
    const list = await system.app.inject({ method: 'GET', url: '/api/imports?limit=100', headers: auth() });
    assert.equal(list.statusCode, 200, list.body);
    assert.equal(list.json().pagination.total, Number(imports[0].n), 'none of the refused uploads became an import');
  });

  it('refuses a PNG, an .xlsx and UTF-16 text by their bytes, whatever their name, with 415 not_a_text_file, storing nothing', async () => {
    const before = (await system.db('customer_imports').count<{ n: string }[]>({ n: '*' }))[0].n;
    const refused = async (content: Buffer, detected: string) => {
      const res = await uploadImport(system.app, token, content, { fileName: 'klanten.csv' });
      assert.equal(res.statusCode, 415, res.body);
      const { error, message, details } = res.json();
      assert.equal(error, 'not_a_text_file');
      assert.deepEqual(details, [{ detected }]);
      assert.match(message, /^The file is not a CSV text file: it looks like /);
      return message as string;
    };
    assert.match(await refused(await fixture('screenshot.png'), 'png'), /a PNG image/);
    const xlsx = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]), Buffer.from('[Content_Types].xml')]);
    assert.match(await refused(xlsx, 'zip'), /Excel workbook \(\.xlsx\)/);
    await refused(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Klantnummer\tNaam\tE-mail\r\n', 'utf16le')]), 'utf-16');
    await refused(Buffer.from('Klantnummer;Naam;E-mail\r\n', 'utf16le'), 'binary');

    assert.deepEqual(await readdir(storageDir), [], 'no upload left in storage');
    assert.equal((await system.db('customer_imports').count<{ n: string }[]>({ n: '*' }))[0].n, before, 'no import row');
  });

  it('answers the first ten rejected rows with an import that rejected every row', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => (i % 2 ? `AR-${i};Geen Mail ${i};;nl` : `AR-${i};;naamloos.${i}@voorbeeld.nl;nl`));
    const job = await runImport(['Klantnummer;Naam;E-mail;Taal', ...rows].join('\r\n'));
    assert.equal(job.status, 'completed');
    assert.deepEqual([job.inserted, job.updated, job.unchanged, job.rejected], [0, 0, 0, 12]);
    const detail: ImportDetailJson = (await system.app.inject({ method: 'GET', url: `/api/imports/${job.id}`, headers: auth() })).json();
    assert.deepEqual(
      detail.first_rejections,
      rows.slice(0, 10).map((_, i) => ({ line: i + 2, reason: i % 2 ? 'missing_email' : 'missing_name', bebsy_customer_id: `AR-${i}` })),
    );

    const clean = await runImport('Klantnummer;Naam;E-mail\r\nAR-OK;Anna Goed;anna.arok@voorbeeld.nl\r\n');
    const cleanDetail: ImportDetailJson = (
      await system.app.inject({ method: 'GET', url: `/api/imports/${clean.id}`, headers: auth() })
    ).json();
    assert.deepEqual([cleanDetail.inserted, cleanDetail.first_rejections], [1, []]);
  });

  it('fails an unreadable file with a clear message, changing no customer', async () => {
    const job = await runImport('Klantnummer;Naam;E-mail\r\nBR-1;Jan;jan.br1@voorbeeld.nl\r\nBR-2;"Piet;piet.br2@voorbeeld.nl\r\n');
    assert.equal(job.status, 'failed');
    assert.match(job.error ?? '', /not readable as CSV near line \d+: .*quote/i);
    assert.equal(await customerById('BR-1'), undefined, 'nothing applied');
    assert.deepEqual(await readdir(storageDir), []);
  });

  it('cancels a running import: customers untouched, staging removed; cancelling an ended import is 409', async () => {
    const file = path.join(storageDir, '..', `bebsy-cancel-${process.pid}.csv`);
    await writeLargeCsv(file, 300_000, 'CX');
    try {
      const res = await uploadImport(system.app, token, await readFile(file));
      assert.equal(res.statusCode, 202, res.body);
      const { id } = res.json();
      await eventually(async () => (await getImportJson(system.app, token, id)).rows_processed > 0, { timeoutMs: 30_000, intervalMs: 20 });
      const cancel = await system.app.inject({ method: 'POST', url: `/api/imports/${id}/cancel`, headers: auth() });
      assert.equal(cancel.statusCode, 202, cancel.body);
      assert.equal(cancel.json().status, 'cancelling');
      const job = await importEnded(system.app, token, id);
      assert.equal(job.status, 'cancelled');
      assert.equal((await system.db('customers').where('bebsy_customer_id', 'like', 'CX-%').count<{ n: string }[]>({ n: '*' }))[0].n, '0');
      const staging = await system.db.raw("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'customer_import_staging'");
      assert.equal(staging.rows[0].n, 0);
      assert.deepEqual(await readdir(storageDir), []);

      const again = await system.app.inject({ method: 'POST', url: `/api/imports/${id}/cancel`, headers: auth() });
      assertError(again, 409, 'import_finished');
    } finally {
      await rm(file, { force: true });
    }
  });

  it('lets viewers read imports but not upload or cancel', async () => {
    const username = unique('viewer');
    await system.db('admin_users').insert({ username, password_hash: await argon2.hash('viewer-password-1'), role: 'viewer' });
    const headers = { authorization: `Bearer ${await adminToken(system.app, username, 'viewer-password-1')}` };
    const list = await system.app.inject({ method: 'GET', url: '/api/imports', headers });
    assert.equal(list.statusCode, 200, list.body);
    const [latest] = list.json().data;
    const asAdmin = await getImportJson(system.app, token, latest.id);
    const detail = await system.app.inject({ method: 'GET', url: `/api/imports/${latest.id}`, headers });
    assert.equal(detail.statusCode, 200, detail.body);
    assert.deepEqual(detail.json(), asAdmin, 'a viewer reads the same import an admin does');
    const before = await system.db('customer_imports').count<{ n: string }[]>({ n: '*' });
    const upload = await system.app.inject({ method: 'POST', url: '/api/customers/import', headers, payload: {} });
    assertError(upload, 403, 'forbidden', /viewer/);
    assertError(await system.app.inject({ method: 'POST', url: `/api/imports/${latest.id}/cancel`, headers }), 403, 'forbidden', /viewer/);
    assert.deepEqual(await system.db('customer_imports').count<{ n: string }[]>({ n: '*' }), before, 'no import queued by a viewer');
    assert.deepEqual(await getImportJson(system.app, token, latest.id), asAdmin, 'nor one cancelled');
  });
});
