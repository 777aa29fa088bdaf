import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isEmail, normaliseEmail } from '../domain/email.js';
import { isReferralCode, normaliseReferralCode } from '../domain/referral-code.js';
import { assertError, bearer, detailFields, sendBookingWebhook } from './support/http.js';
import { adminToken, createCustomer, startTestSystem, unique, type TestSystem } from './support/system.js';

/**
 * What Schemathesis found against the OpenAPI document (`npx tsx scripts/fuzz.ts`,
 * docs/testing.md): each answer the document did not describe, and each rule the code enforced
 * but the document did not say, pinned here.
 */

interface Schema {
  type?: string | string[];
  maxProperties?: number;
  additionalProperties?: Schema | boolean;
  pattern?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  $ref?: string;
}
interface Operation {
  parameters?: { name: string; in: string; required?: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}

describe('the OpenAPI document says what the code does (Schemathesis findings)', () => {
  let system: TestSystem;
  let token: string;
  let paths: Record<string, Record<string, Operation>>;
  const inject = (method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    system.app.inject({
      method: method as 'GET',
      url,
      headers: { ...bearer(token), ...headers },
      ...(payload !== undefined && { payload: payload as string }),
    });
  const operation = (method: string, path: string) => {
    const found = paths[path]?.[method];
    assert.ok(found, `${method.toUpperCase()} ${path} is not in the document`);
    return found;
  };
  const parameter = (method: string, path: string, name: string) => {
    const found = operation(method, path).parameters?.find((p) => p.name === name);
    assert.ok(found, `${method.toUpperCase()} ${path} documents no parameter ${name}`);
    return found;
  };
  const jsonBody = (method: string, path: string) => operation(method, path).requestBody!.content['application/json'].schema;

  before(async () => {
    system = await startTestSystem();
    token = await adminToken(system.app);
    paths = (await system.app.inject({ method: 'GET', url: '/api/docs/json' })).json().paths;
  });
  after(() => system.close());

  describe('undeclared methods', () => {
    it('answer 405 in the error shape with the methods of the path in Allow, before reading any body', async () => {
      const cases: [string, string, string][] = [
        ['TRACE', '/api/referrals', 'GET, HEAD, POST'],
        ['DELETE', '/api/customers', 'GET, HEAD, POST'],
        ['POST', '/api/health', 'GET, HEAD'],
        ['GET', '/api/auth/login', 'POST'],
        ['PATCH', '/api/referrals/1/status', 'PUT'],
        // a body method without a Content-Type: Fastify's body parser answered 400 before routing did
        ['QUERY', '/api/referrals/1', 'GET, HEAD'],
      ];
      for (const [method, url, allow] of cases) {
        const res = await inject(method, url);
        assertError(res, 405, 'method_not_allowed', new RegExp(`${method} is not allowed on ${url.replace(/\//g, '\\/')}`));
        assert.equal(res.headers.allow, allow, `${method} ${url}`);
      }
    });

    it("name the path's own routes: /api/customers/import is the import's (POST), not a customer id", async () => {
      for (const method of ['GET', 'HEAD', 'OPTIONS']) {
        const res = await inject(method, '/api/customers/import');
        assert.equal(res.statusCode, 405, `${method}: ${res.body}`);
        assert.equal(res.headers.allow, 'POST');
      }
      const bulk = await inject('GET', '/api/referrals/bulk-update');
      assert.equal(bulk.statusCode, 405, bulk.body);
      assert.equal(bulk.headers.allow, 'POST');
      // a customer id that is not one stays a 400 of its own route
      assertError(await inject('GET', '/api/customers/abc'), 400, 'validation_error', /id/);
    });

    it('leave a path without routes a 404', async () => {
      assertError(await inject('POST', '/api/nothing-here'), 404, 'not_found', /No route for POST \/api\/nothing-here/);
      assertError(await inject('DELETE', '/api/nothing-here'), 404, 'not_found');
    });

    it('a path parameter longer than the router takes is a 404, not a 403 from the UI file server', async () => {
      // more than 100 characters: no route takes it, and the UI's file server refused its backslash with a 403
      const res = await inject('GET', `/api/emails/preview/${'a'.repeat(120)}%5Cb`);
      assertError(res, 404, 'not_found', /No route for GET \/api\/emails\/preview\//);
    });
  });

  describe('query strings', () => {
    it('a parameter with a default is optional in the document (the code never needed it)', () => {
      for (const [method, path, name] of [
        ['get', '/api/customers', 'page'],
        ['get', '/api/customers', 'limit'],
        ['get', '/api/referrals', 'limit'],
        ['get', '/api/emails', 'page'],
        ['get', '/api/imports', 'limit'],
        ['get', '/api/dashboard/stats', 'period'],
        ['get', '/api/analytics/conversion-rate', 'period'],
        ['get', '/api/analytics/top-referrers', 'limit'],
        ['get', '/api/export/customers', 'format'],
        ['post', '/api/export/referrals/link', 'format'],
        ['get', '/api/imports/{id}/errors.csv', 'lang'],
      ] as const) {
        assert.notEqual(parameter(method, path, name).required, true, `${method} ${path} ${name}`);
      }
    });

    it('an undeclared parameter is a 400 naming it (a misspelt filter no longer lists or exports everything)', async () => {
      for (const url of ['/api/referrals?stauts=paid', '/api/customers?x=1', '/api/emails?x=1', '/api/analytics/top-referrers?x=1']) {
        const body = assertError(await inject('GET', url), 400, 'validation_error', /is not a known field/);
        assert.equal(detailFields(body).length, 1, url);
      }
      assertError(await inject('POST', '/api/export/customers/link?searhc=jan'), 400, 'validation_error', /searhc is not a known field/);
      const res = await inject('GET', '/api/referrals?status=paid&sort=oldest&limit=5&page=1');
      assert.equal(res.statusCode, 200, res.body);
    });

    it("the cursor's format is in the document, and anything else is refused by it", async () => {
      assert.equal(parameter('get', '/api/customers', 'cursor').schema.pattern, '^[A-Za-z0-9_-]+$');
      assert.equal(parameter('get', '/api/referrals', 'cursor').schema.pattern, '^[A-Za-z0-9_-]+$');
      assert.deepEqual(detailFields(assertError(await inject('GET', '/api/customers?cursor=%25%25'), 400, 'validation_error')), ['cursor']);
      // one of the documented alphabet that the API did not answer: its own 400
      assertError(await inject('GET', '/api/referrals?cursor=abc'), 400, 'invalid_cursor');
    });

    it('a download token whose signature has as many characters as a real one but more bytes is a 401, not a 500', async () => {
      const { url } = (await inject('POST', '/api/export/customers/link')).json() as { url: string };
      const real = new URL(url, 'http://api').searchParams.get('download_token')!;
      const [payload, signature] = real.split('.');
      const forged = `${payload}.${'é'.repeat(signature.length)}`; // same length, twice the bytes
      const res = await system.app.inject({ method: 'GET', url: `/api/export/customers?download_token=${encodeURIComponent(forged)}` });
      assertError(res, 401, 'unauthorized', /not valid/);
    });
  });

  describe('bodies', () => {
    it('the email pattern is in the document and refuses what isEmail refuses, white space around allowed', async () => {
      const pattern = new RegExp(jsonBody('post', '/api/customers').properties!.email.pattern!, 'u');
      assert.equal(jsonBody('post', '/api/referrals').properties!.new_customer_email.pattern, pattern.source);
      const samples = [
        'anna@example.nl',
        '  ANNA@Example.NL ',
        'a.b+c@mail.co.uk',
        "o'neil@x.io",
        '000',
        'a@b',
        'a@b.',
        'a b@c.nl',
        '@c.nl',
        'a@-c.nl',
        'a@c-.nl',
        'ä@c.nl',
        'a@c.nl\t',
      ];
      for (const sample of samples) {
        assert.equal(pattern.test(sample), isEmail(normaliseEmail(sample)), JSON.stringify(sample));
      }
      const refused = assertError(
        await inject('POST', '/api/customers', { bebsy_customer_id: unique('C'), name: 'Jan', email: '000' }),
        400,
        'validation_error',
      );
      assert.deepEqual(detailFields(refused), ['email']);
    });

    it("the referral code's format is in the document, as people type it", async () => {
      const pattern = new RegExp(jsonBody('post', '/api/referrals').properties!.referrer_code.pattern!, 'u');
      for (const sample of ['ABC23456', 'abc-234-56', ' ABC 234 56 ', 'ABC2345', 'ABC234567', 'ABCO2345', 'abcl2345', 'ABC2345!']) {
        assert.equal(pattern.test(sample), isReferralCode(normaliseReferralCode(sample)), sample);
      }
      const res = await inject('POST', '/api/referrals', { referrer_code: '0', new_customer_email: 'x@example.nl' });
      assert.deepEqual(detailFields(assertError(res, 400, 'validation_error')), ['referrer_code']);
    });

    it('a reason is required to reject, in the document (one branch per decision) and in the answers', async () => {
      for (const path of ['/api/referrals/{id}/status', '/api/referrals/bulk-update']) {
        const method = path.endsWith('status') ? 'put' : 'post';
        const branches = jsonBody(method, path).anyOf!;
        const reject = branches.find((b) => JSON.stringify(b.properties!.status).includes('"rejected"'))!;
        const approve = branches.find((b) => JSON.stringify(b.properties!.status).includes('"approved"'))!;
        assert.ok(reject.required!.includes('reason'), path);
        assert.equal(reject.properties!.reason.pattern, '\\S', path);
        assert.ok(!approve.required!.includes('reason'), path);
      }
      const missing = assertError(
        await inject('PUT', '/api/referrals/1/status', { status: 'rejected' }),
        400,
        'validation_error',
        /reason is required/,
      );
      assert.deepEqual(detailFields(missing), ['reason']);
      const blank = assertError(
        await inject('PUT', '/api/referrals/1/status', { status: 'rejected', reason: ' \n ' }),
        400,
        'validation_error',
        /reason must not be blank/,
      );
      assert.deepEqual(detailFields(blank), ['reason']);
      const status = assertError(
        await inject('POST', '/api/referrals/bulk-update', { referralIds: ['1'], status: 'paid' }),
        400,
        'validation_error',
        /status must be one of: "approved", "rejected"$/,
      );
      assert.deepEqual(detailFields(status), ['status']);
    });

    it("REQUIRE_BOOKING_REFERENCE: the form's booking_reference is required in the document", async () => {
      assert.ok(!jsonBody('post', '/api/referrals').required!.includes('booking_reference'));
      const strict = await startTestSystem({ REQUIRE_BOOKING_REFERENCE: 'true' }, { worker: false });
      try {
        const doc = (await strict.app.inject({ method: 'GET', url: '/api/docs/json' })).json();
        const body = doc.paths['/api/referrals'].post.requestBody.content['application/json'].schema as Schema;
        assert.ok(body.required!.includes('booking_reference'));
        const res = await strict.app.inject({
          method: 'POST',
          url: '/api/referrals',
          payload: { referrer_code: 'ABC23456', new_customer_email: 'x@example.nl', booking_reference: '  ' },
        });
        assert.deepEqual(detailFields(assertError(res, 400, 'validation_error')), ['booking_reference']);
      } finally {
        await strict.close();
      }
    });

    it('a value of another JSON type is refused, not coerced (Ajv coerces for the query strings)', async () => {
      const customer = await inject('POST', '/api/customers', {
        bebsy_customer_id: unique('C'),
        name: false,
        email: `${unique('c')}@example.nl`,
      });
      assert.deepEqual(detailFields(assertError(customer, 400, 'validation_error', /name must be string/)), ['name']);
      const lone = await inject('POST', '/api/referrals/bulk-update', { referralIds: '3', status: 'approved' });
      assert.deepEqual(detailFields(assertError(lone, 400, 'validation_error', /referralIds must be array/)), ['referralIds']);
      const reason = await inject('PUT', '/api/referrals/1/status', { status: 'rejected', reason: false });
      assert.deepEqual(detailFields(assertError(reason, 400, 'validation_error', /reason must be string/)), ['reason']);
      // beyond the safe integers a number loses digits: the schema says send it as a string, and a number is not made one
      const big = await inject('POST', '/api/referrals/bulk-update', '{"referralIds": [9007199254740993], "status": "approved"}', {
        'content-type': 'application/json',
      });
      assert.deepEqual(
        detailFields(assertError(big, 400, 'validation_error', /referralIds\.0 must be string or must be <= 9007199254740991/)),
        ['referralIds.0'],
      );
      const webhook = await sendBookingWebhook(system, {
        type: 'booking.confirmed',
        data: { booking_reference: 'BK-1', booking_value: '12' },
      });
      assert.deepEqual(detailFields(assertError(webhook, 400, 'validation_error', /booking_value must be number/)), ['data.booking_value']);
    });

    it('a __proto__ or constructor.prototype key in a JSON body is dropped like any unknown field: no 400, nothing polluted', async () => {
      for (const poison of ['"__proto__": {"isAdmin": true}', '"constructor": {"prototype": {"isAdmin": true}}']) {
        const res = await inject('POST', '/api/auth/login', `{${poison}, "username": "nobody", "password": "wrong-password-1"}`, {
          'content-type': 'application/json',
        });
        assertError(res, 401, 'invalid_credentials');
        assert.equal(({} as Record<string, unknown>).isAdmin, undefined, poison);
      }
    });
  });

  describe('answers the document did not describe', () => {
    it("a referral's detail, its 200 documented with the reward, audit trail and live workflow state", async () => {
      const detail = operation('get', '/api/referrals/{id}').responses['200'];
      assert.ok(detail?.content?.['application/json'], 'GET /api/referrals/{id} documents no 200');
      const customer = await createCustomer(system.app, token);
      const submitted = await inject('POST', '/api/referrals', {
        referrer_code: customer.referral_code,
        new_customer_email: `${unique('f')}@example.com`,
      });
      const res = await inject('GET', `/api/referrals/${submitted.json().id}`);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      for (const key of ['id', 'referrer_code', 'status', 'new_customer_locale', 'reward', 'audit_log', 'workflow'])
        assert.ok(key in body, key);
      assert.equal(body.reward, null);
      assert.ok(body.workflow.url.includes(body.workflow_id));
    });

    it('a bulk decision answers 200 with a result per id, documented', async () => {
      assert.ok(operation('post', '/api/referrals/bulk-update').responses['200']?.content?.['application/json']);
      const res = await inject('POST', '/api/referrals/bulk-update', { referralIds: ['999999999'], status: 'approved' });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), {
        results: [{ id: '999999999', ok: false, error: 'not_found', message: 'Referral 999999999 does not exist' }],
        summary: { requested: 1, succeeded: 0, failed: 1 },
      });
    });

    it('the exports and the error report document their files; the error report its JSON errors', () => {
      for (const path of ['/api/export/customers', '/api/export/referrals']) {
        assert.deepEqual(Object.keys(operation('get', path).responses['200']?.content ?? {}), [
          'text/csv',
          'application/json',
          'application/x-ndjson',
        ]);
      }
      const report = operation('get', '/api/imports/{id}/errors.csv').responses;
      assert.deepEqual(Object.keys(report['200']?.content ?? {}), ['text/csv']);
      assert.deepEqual(Object.keys(report['404']?.content ?? {}), ['application/json']);
    });

    it('booking webhooks document 200 and 202', () => {
      const responses = operation('post', '/api/webhooks/bookings').responses;
      assert.ok(responses['200']?.content?.['application/json']);
      assert.ok(responses['202']?.content?.['application/json']);
    });

    it('the import documents its multipart form, and a body the parser cannot read is a 400, not a 500', async () => {
      const form = operation('post', '/api/customers/import').requestBody?.content['multipart/form-data']?.schema;
      assert.ok(form?.properties?.file, 'no multipart form with a file');
      // the parser's limit, stated: the file and 10 other fields, each one part (not an array: a field repeated)
      assert.equal(form.maxProperties, 11);
      assert.deepEqual(form.additionalProperties, { type: 'string' });
      const multipart = (boundary?: string) => ({ 'content-type': `multipart/form-data${boundary ? `; boundary=${boundary}` : ''}` });
      const cutOff = '--B\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nklantnummer,naam';
      for (const [payload, headers] of [
        [cutOff, multipart('B')],
        ['--B\r\n\u00e9garbage--B--\r\n', multipart('B')],
        ['no boundary', multipart()],
      ] as const) {
        assertError(await inject('POST', '/api/customers/import', payload, headers), 400, 'invalid_multipart', /not readable multipart/);
      }
      const field = (name: string) => `--B\r\nContent-Disposition: form-data; name="${name}"\r\n\r\nx\r\n`;
      const crowded = `${Array.from({ length: 11 }, (_, i) => field(`f${i}`)).join('')}${cutOff}\r\n--B--\r\n`;
      assertError(await inject('POST', '/api/customers/import', crowded, multipart('B')), 413, 'payload_too_large');
    });
  });
});
