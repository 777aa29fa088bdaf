import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import http from 'node:http';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import argon2 from 'argon2';
import { parse } from 'csv-parse/sync';
import { buildApi } from '../api/app.js';
import { Customer, Referral } from '../api/schemas.js';
import { generateReferralCode } from '../domain/referral-code.js';
import { assertError, bearer } from './support/http.js';
import { adminToken, eventually, startTestSystem, unique, type TestSystem } from './support/system.js';

/**
 * The exports against the real API and Postgres: every format of both lists, the
 * list filters, the OWASP formula guard, CSV quoting, the Excel variant, a large streamed
 * export, an aborted download, the one-time download links, and the errors.
 */
describe('exports', () => {
  let system: TestSystem;
  let token: string;
  let baseUrl: string;
  const tag = unique('exp').toLowerCase();
  const referrerCode = generateReferralCode(randomInt);
  const bulkCode = generateReferralCode(randomInt);
  const BULK_ROWS = 50_000;
  /** Short, so the stalled-client test is quick; the abort tests act well within it. */
  const STALL_SECONDS = 3;
  const awkwardName = 'de Vries; "Jan"\nregel 2, Amsterdam';

  const get = (url: string, headers: Record<string, string> = bearer(token)) => system.app.inject({ method: 'GET', url, headers });

  before(async () => {
    system = await startTestSystem({ EXPORT_STALL_TIMEOUT_SECONDS: String(STALL_SECONDS) }, { worker: false });
    token = await adminToken(system.app);
    await system.app.listen({ host: '127.0.0.1', port: 0 });
    const address = system.app.server.address();
    assert.ok(address && typeof address !== 'string');
    baseUrl = `http://127.0.0.1:${address.port}`;

    const customer = (n: number, name: string, emailStart: string, code?: string) => ({
      bebsy_customer_id: `${tag}-${n}`,
      name,
      email: `${emailStart}${tag}@example.nl`,
      referral_code: code ?? generateReferralCode(randomInt),
      created_at: new Date(Date.UTC(2026, 0, 1, 0, n)),
    });
    const [referrer, bulkReferrer] = await system
      .db('customers')
      .insert([
        customer(1, '=HYPERLINK("http://evil.example","klik")', '=', referrerCode),
        customer(2, 'Bulk Referrer', 'bulk.', bulkCode),
        customer(3, '+1', '+'),
        customer(4, '-2', '-'),
        customer(5, '@x', 'at.'),
        customer(6, '\tTab', 'tab.'),
        customer(7, awkwardName, 'jan.'),
      ])
      .returning(['id']);
    const referral = (n: number, extra: Record<string, unknown>) => ({
      referrer_id: referrer.id,
      new_customer_email: `friend${n}.${tag}@example.nl`,
      reward_amount_cents: 2500,
      workflow_id: `referral-export-${tag}-${n}`,
      submitted_at: new Date(Date.now() - n * 60_000),
      ...extra,
    });
    await system.db('referrals').insert([
      referral(1, {
        status: 'paid',
        booking_reference: `=1+1-${tag}`,
        booking_value_cents: 129950,
        currency: 'EUR',
        departure_date: '2027-07-01',
      }),
      referral(2, {
        status: 'pending_approval',
        booking_reference: `@SUM(A1)-${tag}`,
        flagged: true,
        flag_reasons: ['-disposable_email', 'same_ip'],
      }),
      referral(3, { status: 'rejected', booking_reference: `-3-${tag}`, rejection_reason: '+ready' }),
      referral(4, { status: 'paid', booking_reference: `+4-${tag}`, submitted_at: new Date(Date.now() - 40 * 86_400_000) }),
    ]);
    // the large export: generated in Postgres
    await system.db.raw(
      `INSERT INTO referrals (referrer_id, new_customer_email, reward_amount_cents, workflow_id, status, submitted_at)
       SELECT ?, 'bulk' || g || '.' || ? || '@example.nl', 2500, 'referral-bulk-' || ? || '-' || g, 'awaiting_booking', now() - g * interval '1 second'
         FROM generate_series(1, ?) g`,
      [bulkReferrer.id, tag, tag, BULK_ROWS],
    );
  });
  after(() => system.close());

  const csvRecords = (body: string, delimiter = ',') => parse(body, { delimiter, bom: true, relax_column_count: false }) as string[][];
  const byColumn = (records: string[][]) => records.slice(1).map((r) => Object.fromEntries(records[0].map((h, i) => [h, r[i]])));

  it('exports the customers as CSV: the list fields, a dated attachment, CRLF, quoting and the formula guard', async () => {
    const res = await get(`/api/export/customers?format=csv&search=${encodeURIComponent(tag)}`);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8; header=present');
    assert.match(String(res.headers['content-disposition']), /^attachment; filename="bebsy-customers-\d{4}-\d{2}-\d{2}\.csv"$/);
    assert.equal(res.body.charCodeAt(0), 'i'.charCodeAt(0), 'no BOM in plain CSV');
    assert.ok(res.body.endsWith('\r\n'));
    assert.equal(res.body.replace(/\r\n/g, '').includes('\n'), true, 'the newline in a name stays inside its quoted field');

    const records = csvRecords(res.body);
    assert.deepEqual(records[0], Object.keys(Customer.properties));
    const rows = byColumn(records);
    assert.equal(rows.length, 7);
    const names = rows.map((r) => r.name);
    assert.ok(names.includes(`'=HYPERLINK("http://evil.example","klik")`), names.join(' | '));
    for (const guarded of ["'+1", "'-2", "'@x", "'\tTab"]) assert.ok(names.includes(guarded), `${guarded} in ${names.join(' | ')}`);
    assert.ok(names.includes(awkwardName), 'a name with ; " , and a newline round-trips');
    assert.ok(rows.some((r) => r.email === `'=${tag}@example.nl`) && rows.some((r) => r.email === `'-${tag}@example.nl`));
    assert.ok(rows.every((r) => /^\d+$/.test(r.id) && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$/.test(r.created_at)));
    // newest first, as the list
    assert.deepEqual(
      rows.map((r) => r.bebsy_customer_id),
      [7, 6, 5, 4, 3, 2, 1].map((n) => `${tag}-${n}`),
    );
  });

  it('exports the customers as JSON: the same objects as the list API', async () => {
    const list = (await get(`/api/customers?limit=100&search=${tag}`)).json().data;
    const res = await get(`/api/export/customers?format=json&search=${tag}`);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.match(String(res.headers['content-disposition']), /filename="bebsy-customers-\d{4}-\d{2}-\d{2}\.json"/);
    assert.deepEqual(JSON.parse(res.body), list);
    assert.equal(JSON.parse(res.body)[0].name, awkwardName, 'JSON carries the raw text, without the CSV guard');
  });

  it('exports the referrals as CSV with the list filters, amounts in euros and guarded booking references', async () => {
    const all = byColumn(csvRecords((await get(`/api/export/referrals?format=csv&search=${referrerCode}`)).body));
    assert.equal(all.length, 4);
    const header = csvRecords((await get(`/api/export/referrals?search=${referrerCode}`)).body)[0];
    assert.deepEqual(header, Object.keys(Referral.properties), "format=csv is the default; the fields are the list API's");

    const paid = byColumn(csvRecords((await get(`/api/export/referrals?format=csv&search=${referrerCode}&status=paid&sort=oldest`)).body));
    assert.deepEqual(
      paid.map((r) => r.booking_reference),
      [`'+4-${tag}`, `'=1+1-${tag}`],
      'status filter and oldest first',
    );
    const [first] = paid.slice(-1);
    assert.equal(first.reward_amount, '25.00');
    assert.equal(first.booking_value, '1299.50');
    assert.equal(first.departure_date, '2027-07-01');
    assert.equal(first.referrer_code, referrerCode);
    assert.equal(first.referrer_name, `'=HYPERLINK("http://evil.example","klik")`);
    assert.equal(first.flagged, 'false');

    const flagged = byColumn(csvRecords((await get(`/api/export/referrals?search=${referrerCode}&flagged=true`)).body));
    assert.deepEqual(
      flagged.map((r) => [r.booking_reference, r.flag_reasons, r.booking_value]),
      [[`'@SUM(A1)-${tag}`, "'-disposable_email, same_ip", '']],
    );
    const rejected = byColumn(csvRecords((await get(`/api/export/referrals?search=${referrerCode}&status=rejected`)).body));
    assert.deepEqual(
      rejected.map((r) => [r.booking_reference, r.rejection_reason]),
      [[`'-3-${tag}`, "'+ready"]],
    );
    const recent = byColumn(csvRecords((await get(`/api/export/referrals?search=${referrerCode}&period=30`)).body));
    assert.equal(recent.length, 3, 'period=30 leaves out the referral of 40 days ago');
  });

  it('exports Excel CSV: a UTF-8 BOM, semicolons and decimal commas', async () => {
    const res = await get(`/api/export/referrals?format=excel-csv&search=${referrerCode}&status=paid`);
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-disposition']), /filename="bebsy-referrals-\d{4}-\d{2}-\d{2}\.csv"/);
    assert.deepEqual([...res.rawPayload.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.ok(res.body.slice(1).startsWith('id;referrer_id;referrer_code;'), res.body.slice(0, 60));
    const rows = byColumn(csvRecords(res.body, ';'));
    assert.deepEqual(
      rows.map((r) => [r.reward_amount, r.booking_value]),
      [
        ['25,00', '1299,50'],
        ['25,00', ''],
      ],
    );

    const customers = csvRecords((await get(`/api/export/customers?format=excel-csv&search=${tag}`)).body, ';');
    assert.ok(
      byColumn(customers).some((r) => r.name === awkwardName),
      'the ; in a name is quoted',
    );
  });

  it("exports the referrals as JSON and NDJSON: the list API's objects", async () => {
    const list = (await get(`/api/referrals?limit=100&search=${referrerCode}`)).json().data;
    const json = await get(`/api/export/referrals?format=json&search=${referrerCode}`);
    assert.deepEqual(JSON.parse(json.body), list);
    const ndjson = await get(`/api/export/referrals?format=ndjson&search=${referrerCode}`);
    assert.equal(ndjson.headers['content-type'], 'application/x-ndjson; charset=utf-8');
    assert.match(String(ndjson.headers['content-disposition']), /filename="bebsy-referrals-\d{4}-\d{2}-\d{2}\.ndjson"/);
    assert.deepEqual(
      ndjson.body
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
      list,
    );
    const none = await get(`/api/export/referrals?format=json&search=nobody-${tag}`);
    assert.deepEqual(JSON.parse(none.body), [], 'no rows is an empty array');
  });

  it(`streams a large export over HTTP (${BULK_ROWS.toLocaleString('en')} rows) in full, in every format`, async () => {
    for (const format of ['csv', 'excel-csv', 'ndjson', 'json']) {
      const res = await fetch(`${baseUrl}/api/export/referrals?format=${format}&search=${bulkCode}`, { headers: bearer(token) });
      assert.equal(res.status, 200);
      const text = await res.text();
      const rows =
        format === 'json'
          ? JSON.parse(text).length
          : format === 'ndjson'
            ? text.trimEnd().split('\n').length
            : text.split('\r\n').length - 2;
      assert.equal(rows, BULK_ROWS, format);
    }
    // every referral (more than the hash-join threshold): the export's session also turns nested loops off
    const all = await fetch(`${baseUrl}/api/export/referrals?format=csv`, { headers: bearer(token) });
    assert.equal(all.status, 200);
    assert.ok((await all.text()).split('\r\n').length - 2 >= BULK_ROWS);
    // the export's session settings are reset before its connection goes back to the pool: every
    // pooled connection (held at once, so each is a different one) has the server's defaults
    const settingsSql = `SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) AS now, string_agg(name || '=' || reset_val, ' ' ORDER BY name) AS reset
                           FROM pg_settings WHERE name IN ('work_mem', 'enable_nestloop')`;
    const sessions = await Promise.all(
      Array.from({ length: system.db.client.pool.max }, () =>
        system.db.transaction(async (trx) => (await trx.raw<{ rows: { now: string; reset: string }[] }>(settingsSql)).rows[0]),
      ),
    );
    assert.deepEqual(new Set(sessions.map((s) => s.now)), new Set([sessions[0].reset]));
  });

  /** Starts a download and stops reading after its first bytes; answers the request, to drop later. */
  function stalledDownload(url: string): Promise<http.ClientRequest> {
    return new Promise((resolve, reject) => {
      const request = http.get(`${baseUrl}${url}`, { headers: bearer(token) }, (response) => {
        assert.equal(response.statusCode, 200);
        response.once('data', () => {
          response.pause();
          resolve(request);
        });
      });
      request.on('error', (error) => (request.destroyed ? undefined : reject(error)));
    });
  }

  const runningQueries = async () =>
    Number(
      (
        await system
          .db('pg_stat_activity')
          .count<{ count: string }[]>({ count: '*' })
          .where({ datname: system.db.raw('current_database()'), state: 'active' })
          .whereNot('pid', system.db.raw('pg_backend_pid()'))
      )[0].count,
    );

  for (const format of ['csv', 'json']) {
    for (const moment of ['mid-stream', 'at its first bytes']) {
      it(`frees the database connection when the client aborts a ${format} download ${moment}`, async () => {
        const request = await stalledDownload(`/api/export/referrals?format=${format}&search=${bulkCode}`);
        // backpressure holds the query mid-stream while the client does not read
        if (moment === 'mid-stream')
          await eventually(async () => (await runningQueries()) === 1 && system.db.client.pool.numUsed() === 1, { timeoutMs: 5_000 });
        request.destroy();
        await eventually(async () => system.db.client.pool.numUsed() === 0 && (await runningQueries()) === 0, { timeoutMs: 5_000 });
        // the server is fine and the pool hands out working connections
        const again = await get(`/api/export/referrals?format=ndjson&search=${bulkCode}&status=awaiting_booking`);
        assert.equal(again.body.trimEnd().split('\n').length, BULK_ROWS);
      });
    }
  }

  it('cuts off a client that stops reading but keeps the connection open, freeing the database connection', async () => {
    const request = await stalledDownload(`/api/export/referrals?format=csv&search=${bulkCode}`);
    try {
      await eventually(async () => (await runningQueries()) === 1, { timeoutMs: 5_000 });
      // the watchdog looks every STALL_SECONDS: between one and two periods after the stall
      // (the paused client itself notices nothing until it reads again)
      await eventually(async () => system.db.client.pool.numUsed() === 0 && (await runningQueries()) === 0, {
        timeoutMs: (2 * STALL_SECONDS + 3) * 1000,
      });
    } finally {
      request.destroy();
    }
  });

  it('lets a viewer export (read only)', async () => {
    const username = unique('viewer');
    await system.db('admin_users').insert({ username, password_hash: await argon2.hash('viewer-password-1'), role: 'viewer' });
    const viewer = await adminToken(system.app, username, 'viewer-password-1');
    const res = await get(`/api/export/customers?format=ndjson&search=${tag}`, bearer(viewer));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.body.trimEnd().split('\n').length, 7);
  });

  it('downloads through a one-time link without the bearer token, once, for that export only', async () => {
    const query = `format=csv&search=${referrerCode}&status=paid`;
    const link = await system.app.inject({ method: 'POST', url: `/api/export/referrals/link?${query}`, headers: bearer(token) });
    assert.equal(link.statusCode, 200, link.body);
    const { url, expires_at } = link.json();
    assert.ok(Date.parse(expires_at) - Date.now() <= 60_000);
    const download = await fetch(`${baseUrl}${url}`);
    assert.equal(download.status, 200);
    assert.equal(byColumn(csvRecords(await download.text())).length, 2);
    assertError(await get(url, {}), 401, 'unauthorized', /used already/);

    const other = (await system.app.inject({ method: 'POST', url: `/api/export/referrals/link?${query}`, headers: bearer(token) })).json()
      .url as string;
    assertError(await get(other.replace('status=paid', 'status=rejected'), {}), 401, 'unauthorized', /another export/);
    assertError(await get(other.replace(/download_token=[^&]+/, 'download_token=forged.token'), {}), 401, 'unauthorized', /not valid/);
    // a download token is no session token
    assertError(await get('/api/customers', bearer(new URL(other, baseUrl).searchParams.get('download_token')!)), 401, 'unauthorized');
  });

  it('takes a download token once across API instances', async () => {
    const second = await buildApi({
      config: system.config,
      db: system.db,
      temporal: {
        client: system.client,
        namespace: system.config.temporal.namespace,
        taskQueue: system.taskQueue,
        webUrl: system.config.temporal.webUrl,
      },
      logger: { level: 'silent' },
    });
    try {
      const { url } = (
        await system.app.inject({ method: 'POST', url: `/api/export/customers/link?search=${tag}`, headers: bearer(token) })
      ).json();
      assert.equal((await second.inject({ method: 'GET', url })).statusCode, 200, 'any instance takes it');
      assertError(await get(url, {}), 401, 'unauthorized', /used already/);
    } finally {
      await second.close();
    }
  });

  it('keeps the download token out of the request log', async () => {
    const lines: string[] = [];
    const logged = await buildApi({
      config: system.config,
      db: system.db,
      temporal: {
        client: system.client,
        namespace: system.config.temporal.namespace,
        taskQueue: system.taskQueue,
        webUrl: system.config.temporal.webUrl,
      },
      logger: {
        level: 'info',
        stream: new Writable({
          write(chunk, _encoding, done) {
            lines.push(String(chunk));
            done();
          },
        }),
      },
    });
    try {
      const { url } = (
        await logged.inject({ method: 'POST', url: `/api/export/customers/link?search=${tag}`, headers: bearer(token) })
      ).json();
      const secret = new URL(url, baseUrl).searchParams.get('download_token')!;
      assert.equal((await logged.inject({ method: 'GET', url })).statusCode, 200);
      const requestLine = lines.find((line) => line.includes('"request completed"') && line.includes('/api/export/customers?'));
      assert.match(requestLine ?? '', /download_token=\[redacted\]/);
      assert.ok(!lines.some((line) => line.includes(secret)), 'the token is not in any log line');
    } finally {
      await logged.close();
    }
  });

  it('answers 401 without a token and 400 naming a bad filter or format', async () => {
    assertError(await get('/api/export/referrals?format=csv', {}), 401, 'unauthorized');
    assertError(await get('/api/export/customers?format=json', {}), 401, 'unauthorized');
    assertError(await system.app.inject({ method: 'POST', url: '/api/export/customers/link' }), 401, 'unauthorized');
    assertError(await get('/api/export/referrals?status=bogus'), 400, 'validation_error', /status must be one of/);
    assertError(await get('/api/export/referrals?period=5'), 400, 'validation_error', /period/);
    assertError(await get('/api/export/referrals?flagged=maybe'), 400, 'validation_error', /flagged/);
    assertError(
      await get('/api/export/customers?format=xlsx'),
      400,
      'validation_error',
      /format must be one of: "csv", "excel-csv", "json", "ndjson"/,
    );
    assertError(
      await system.app.inject({ method: 'POST', url: '/api/export/referrals/link?sort=sideways', headers: bearer(token) }),
      400,
      'validation_error',
      /sort/,
    );
  });
});
