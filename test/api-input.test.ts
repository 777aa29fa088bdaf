import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { apiLoggerOptions, buildApi } from '../api/app.js';
import { REFERRAL_CODE_ALPHABET } from '../domain/referral-code.js';
import { assertError, bearer, detailFields, freshFriend, handMadeJwt, submitReferral } from './support/http.js';
import { adminToken, createCustomer, startTestSystem, unique, type TestSystem } from './support/system.js';

/** One route of Fastify's own route table: its method and its path as registered (`:id`, `*`). */
interface RegisteredRoute {
  method: string;
  path: string;
}

/**
 * Every route the app registered, read from Fastify's route table (`printRoutes`, one node a
 * line, children indented under their parent and written relative to it), not from a list kept
 * by hand: a route added tomorrow is in it.
 */
function registeredRoutes(app: TestSystem['app']): RegisteredRoute[] {
  const lines = app
    .printRoutes({ commonPrefix: false })
    .split('\n')
    .filter((line) => line.includes('── '));
  const parents: string[] = [];
  const routes: RegisteredRoute[] = [];
  for (const line of lines) {
    const match = /^((?:│ {3}| {4})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    assert.ok(match, `a line of the route table that this parser does not read: ${JSON.stringify(line)}`);
    const depth = match[1].length / 4;
    parents.length = depth;
    // the root of the tree prints its paths without the leading slash they were registered with (`*`)
    const path = depth === 0 && !match[2].startsWith('/') ? `/${match[2]}` : (parents[depth - 1] ?? '') + match[2];
    parents[depth] = path;
    for (const method of match[3]?.split(', ') ?? []) routes.push({ method, path });
  }
  return routes;
}

/**
 * The routes anyone may call without a bearer token, and why. Everything else in the route table
 * must answer 401 to a missing or bad token. HEAD twins of these GET routes are public too.
 */
const PUBLIC_ROUTES: Record<string, string> = {
  'POST /api/auth/login': 'sign-in',
  'POST /api/referrals': "the friend's referral form",
  'GET /api/public/referral-codes/:code': 'the landing page /r/:code looks up the referrer',
  'POST /api/webhooks/bookings': 'booking systems: authenticated by their Standard Webhooks signature instead',
  'GET /api/health': 'load balancers and monitoring',
  'GET /api/health/live': "Kubernetes' liveness probe",
  'GET /api/health/ready': "Kubernetes' readiness probe",
  'GET /metrics': "Prometheus' scrape (kept off the public ingress: docs/operations.md)",
  'GET /api/config': "the browser's runtime configuration, read before sign-in",
  'GET /api/docs': 'the OpenAPI documentation',
  'GET /api/docs/': 'the OpenAPI documentation',
  'GET /api/docs/static/index.html': 'the OpenAPI documentation',
  'GET /api/docs/static/swagger-initializer.js': 'the OpenAPI documentation',
  'GET /api/docs/*': "the OpenAPI documentation's static files",
  'GET /api/docs/json': 'the OpenAPI document',
  'GET /api/docs/yaml': 'the OpenAPI document',
  'GET /*': "the admin UI's static files (ui/dist) and its pages",
};
const isPublic = ({ method, path }: RegisteredRoute) => `${method === 'HEAD' ? 'GET' : method} ${path}` in PUBLIC_ROUTES;

/** A URL for a registered path: parameters and wildcards filled in. */
const concreteUrl = (path: string, wildcard = 'x') => path.replace(/:[a-z_]+/gi, '1').replace(/\*$/, wildcard);

describe('API input: every endpoint answers bad input with a 4xx that names the problem', () => {
  let system: TestSystem;
  let token: string;
  before(async () => {
    system = await startTestSystem();
    token = await adminToken(system.app);
  });
  after(() => system.close());

  const inject = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    system.app.inject({ method, url, headers, ...(payload !== undefined && { payload: payload as object }) });
  const asAdmin = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => inject(method, url, payload, bearer(token));

  /** A code in the right format that no customer has. */
  async function unusedReferralCode(): Promise<string> {
    for (;;) {
      const code = Array.from({ length: 8 }, () => REFERRAL_CODE_ALPHABET[Math.floor(Math.random() * REFERRAL_CODE_ALPHABET.length)]).join(
        '',
      );
      if (!(await system.db('customers').where({ referral_code: code }).first())) return code;
    }
  }

  describe('POST /api/auth/login', () => {
    it('names each missing field', async () => {
      const body = assertError(await inject('POST', '/api/auth/login', {}), 400, 'validation_error', /username/);
      assert.deepEqual(detailFields(body).sort(), ['password', 'username']);
      assert.deepEqual(
        detailFields(
          assertError(await inject('POST', '/api/auth/login', { username: 'admin' }), 400, 'validation_error', /password is required/),
        ),
        ['password'],
      );
      assertError(await inject('POST', '/api/auth/login', { username: '', password: 'x' }), 400, 'validation_error', /username/);
    });

    it('answers 401 for a wrong password and for an unknown user alike, without saying which', async () => {
      const wrong = assertError(
        await inject('POST', '/api/auth/login', { username: 'admin', password: 'not-the-password' }),
        401,
        'invalid_credentials',
      );
      const unknown = assertError(
        await inject('POST', '/api/auth/login', { username: unique('nobody'), password: 'admin123' }),
        401,
        'invalid_credentials',
      );
      assert.equal(wrong.message, unknown.message);
    });

    it('answers the token and the user, never the password or its hash', async () => {
      const res = await inject('POST', '/api/auth/login', { username: 'admin', password: 'admin123' });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.match(body.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      assert.deepEqual(Object.keys(body.user).sort(), ['id', 'must_change_password', 'role', 'username']);
      assert.equal(body.user.username, 'admin');
      assert.ok(!res.body.includes('admin123'), 'the login reply contains the password');
      assert.ok(!res.body.includes('argon2'), 'the login reply contains the password hash');
    });
  });

  describe('POST /api/customers', () => {
    const valid = () => {
      const id = unique('C');
      return { bebsy_customer_id: id, name: 'Anna Jansen', email: `${id.toLowerCase()}@example.nl` };
    };

    it('names a missing name', async () => {
      const { name: _name, ...withoutName } = valid();
      const body = assertError(await asAdmin('POST', '/api/customers', withoutName), 400, 'validation_error', /name is required/);
      assert.deepEqual(detailFields(body), ['name']);
      assertError(await asAdmin('POST', '/api/customers', { ...valid(), name: '   ' }), 400, 'validation_error', /name/);
    });

    it('names an invalid email', async () => {
      for (const email of ['not-an-email', 'jan@', 'jan de vries@example.nl', 'jan@example']) {
        const body = assertError(await asAdmin('POST', '/api/customers', { ...valid(), email }), 400, 'validation_error', /email/);
        assert.deepEqual(detailFields(body), ['email'], email);
      }
    });

    it('names an unknown extra field', async () => {
      const body = assertError(
        await asAdmin('POST', '/api/customers', { ...valid(), nickname: 'AJ' }),
        400,
        'validation_error',
        /nickname is not a known field/,
      );
      assert.deepEqual(detailFields(body), ['nickname']);
    });

    it('answers 409 for a bebsy_customer_id that is taken', async () => {
      const first = valid();
      assert.equal((await asAdmin('POST', '/api/customers', first)).statusCode, 201);
      const second = { ...valid(), bebsy_customer_id: first.bebsy_customer_id };
      const body = assertError(await asAdmin('POST', '/api/customers', second), 409, 'customer_exists', /bebsy_customer_id/);
      assert.deepEqual(detailFields(body), ['bebsy_customer_id']);
      assert.equal((await system.db('customers').where({ bebsy_customer_id: first.bebsy_customer_id })).length, 1);
    });

    it('answers 409 for an email that is taken in another case', async () => {
      const first = valid();
      assert.equal((await asAdmin('POST', '/api/customers', first)).statusCode, 201);
      const second = { ...valid(), email: `  ${first.email.toUpperCase()} ` };
      const body = assertError(await asAdmin('POST', '/api/customers', second), 409, 'customer_exists', /email/);
      assert.deepEqual(detailFields(body), ['email']);
      assert.equal((await system.db('customers').whereRaw('lower(email) = ?', [first.email])).length, 1);
    });
  });

  describe('GET /api/customers', () => {
    it('names a limit above 100 and a page below 1', async () => {
      assert.deepEqual(detailFields(assertError(await asAdmin('GET', '/api/customers?limit=1000'), 400, 'validation_error', /limit/)), [
        'limit',
      ]);
      assert.deepEqual(detailFields(assertError(await asAdmin('GET', '/api/customers?page=0'), 400, 'validation_error', /page/)), ['page']);
      assert.deepEqual(detailFields(assertError(await asAdmin('GET', '/api/customers?limit=abc'), 400, 'validation_error', /limit/)), [
        'limit',
      ]);
    });

    it('answers a page with its pagination for good input', async () => {
      const customer = await createCustomer(system.app, token);
      const res = await asAdmin('GET', `/api/customers?limit=5&page=1&search=${customer.referral_code}`);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.deepEqual(
        body.data.map((c: { id: string }) => c.id),
        [customer.id],
      );
      assert.deepEqual(body.pagination, {
        page: 1,
        limit: 5,
        total: 1,
        total_pages: 1,
        total_exact: true,
        next_cursor: null,
        prev_cursor: null,
      });
    });
  });

  describe('GET /api/customers/:id', () => {
    it('answers 400 for an id that is not a number', async () => {
      assert.deepEqual(detailFields(assertError(await asAdmin('GET', '/api/customers/abc'), 400, 'validation_error', /id/)), ['id']);
    });

    it('answers 404 for a customer that does not exist', async () => {
      assertError(await asAdmin('GET', '/api/customers/999999999'), 404, 'not_found', /Customer 999999999 does not exist/);
      assertError(await asAdmin('GET', '/api/customers/999999999999999999'), 404, 'not_found');
    });
  });

  describe('POST /api/referrals', () => {
    it('names a referral code in the wrong format', async () => {
      for (const referrer_code of ['ABC', 'ABC123456789', 'ABCD!234', 'ABCDEFG0']) {
        const body = assertError(
          await submitReferral(system.app, { referrer_code, new_customer_email: 'x@example.nl' }),
          400,
          'validation_error',
          /referrer_code/,
        );
        assert.deepEqual(detailFields(body), ['referrer_code'], referrer_code);
      }
    });

    it('names missing fields', async () => {
      const body = assertError(await inject('POST', '/api/referrals', {}), 400, 'validation_error');
      assert.deepEqual(detailFields(body).sort(), ['new_customer_email', 'referrer_code']);
    });

    it('answers 404 unknown_referral_code for a code no customer has', async () => {
      const code = await unusedReferralCode();
      assertError(
        await submitReferral(system.app, { referrer_code: code, new_customer_email: freshFriend().email }),
        404,
        'unknown_referral_code',
        new RegExp(code),
      );
    });

    it('names an invalid email', async () => {
      const referrer = await createCustomer(system.app, token);
      const body = assertError(
        await submitReferral(system.app, { referrer_code: referrer.referral_code, new_customer_email: 'friend-at-example.nl' }),
        400,
        'validation_error',
        /new_customer_email/,
      );
      assert.deepEqual(detailFields(body), ['new_customer_email']);
    });

    it('names a language other than nl or en', async () => {
      const referrer = await createCustomer(system.app, token);
      const body = assertError(
        await inject('POST', '/api/referrals', {
          referrer_code: referrer.referral_code,
          new_customer_email: freshFriend().email,
          locale: 'de',
        }),
        400,
        'validation_error',
        /locale/,
      );
      assert.deepEqual(detailFields(body), ['locale']);
    });

    it('accepts a booking reference another referral already uses like any other, keeping it as claimed', async () => {
      const [first, second] = [await createCustomer(system.app, token), await createCustomer(system.app, token)];
      const { bookingReference } = freshFriend();
      const ok = await submitReferral(system.app, {
        referrer_code: first.referral_code,
        new_customer_email: freshFriend().email,
        booking_reference: bookingReference,
      });
      assert.equal(ok.statusCode, 201, ok.body);
      const friend = freshFriend().email;
      const taken = await submitReferral(system.app, {
        referrer_code: second.referral_code,
        new_customer_email: friend,
        booking_reference: bookingReference,
      });
      assert.equal(taken.statusCode, 201, 'a 409 would tell anyone which references exist');
      assert.equal(taken.json().booking_reference, bookingReference);
      assert.equal((await system.db('referrals').where({ booking_reference: bookingReference })).length, 1);
      const stored = await system.db('referrals').where({ new_customer_email: friend }).first();
      assert.equal(stored.booking_reference, null);
      assert.equal(stored.claimed_booking_reference, bookingReference);
    });
  });

  describe('GET /api/referrals', () => {
    it('names an unknown status', async () => {
      assert.deepEqual(
        detailFields(
          assertError(
            await asAdmin('GET', '/api/referrals?status=bogus'),
            400,
            'validation_error',
            /status must be one of: "submitted", "awaiting_booking"/,
          ),
        ),
        ['status'],
      );
      assert.deepEqual(detailFields(assertError(await asAdmin('GET', '/api/referrals?limit=101'), 400, 'validation_error', /limit/)), [
        'limit',
      ]);
    });
  });

  describe('PUT /api/referrals/:id/status', () => {
    it('refuses a status an admin may not set', async () => {
      for (const status of ['paid', 'pending_approval', 'bogus']) {
        const body = assertError(
          await asAdmin('PUT', '/api/referrals/1/status', { status }),
          400,
          'validation_error',
          /status must be one of: "approved", "rejected"/,
        );
        assert.deepEqual(detailFields(body), ['status'], status);
      }
    });

    it('requires a reason to reject', async () => {
      assert.deepEqual(
        detailFields(
          assertError(
            await asAdmin('PUT', '/api/referrals/1/status', { status: 'rejected' }),
            400,
            'validation_error',
            /reason is required/,
          ),
        ),
        ['reason'],
      );
      assertError(
        await asAdmin('PUT', '/api/referrals/1/status', { status: 'rejected', reason: '   ' }),
        400,
        'validation_error',
        /reason/,
      );
    });

    it('answers 404 for a referral that does not exist', async () => {
      assertError(await asAdmin('PUT', '/api/referrals/999999999/status', { status: 'approved' }), 404, 'not_found', /Referral 999999999/);
      assertError(await asAdmin('PUT', '/api/referrals/abc/status', { status: 'approved' }), 400, 'validation_error', /id/);
    });
  });

  describe('POST /api/referrals/bulk-update', () => {
    it('refuses an empty list, too many ids and a bad status, naming the field', async () => {
      assert.deepEqual(
        detailFields(
          assertError(
            await asAdmin('POST', '/api/referrals/bulk-update', { referralIds: [], status: 'approved' }),
            400,
            'validation_error',
            /referralIds/,
          ),
        ),
        ['referralIds'],
      );
      const tooMany = Array.from({ length: 501 }, (_, i) => String(i + 1));
      assert.deepEqual(
        detailFields(
          assertError(
            await asAdmin('POST', '/api/referrals/bulk-update', { referralIds: tooMany, status: 'approved' }),
            400,
            'validation_error',
            /referralIds/,
          ),
        ),
        ['referralIds'],
      );
      assert.deepEqual(
        detailFields(
          assertError(
            await asAdmin('POST', '/api/referrals/bulk-update', { referralIds: ['1'], status: 'paid' }),
            400,
            'validation_error',
            /status/,
          ),
        ),
        ['status'],
      );
      assertError(
        await asAdmin('POST', '/api/referrals/bulk-update', { referralIds: ['1'], status: 'rejected' }),
        400,
        'validation_error',
        /reason/,
      );
      assert.deepEqual(
        detailFields(
          assertError(
            await asAdmin('POST', '/api/referrals/bulk-update', { referralIds: ['abc'], status: 'approved' }),
            400,
            'validation_error',
            /referralIds\.0 must match pattern/,
          ),
        ),
        ['referralIds.0'],
      );
      assertError(
        await asAdmin('POST', '/api/referrals/bulk-update', { status: 'approved' }),
        400,
        'validation_error',
        /referralIds is required/,
      );
      // Ids beyond bigint (or JavaScript's safe integers) are a 400, not a database error.
      for (const id of ['99999999999999999999', 1e20, 2 ** 60]) {
        assert.deepEqual(
          detailFields(
            assertError(
              await asAdmin('POST', '/api/referrals/bulk-update', { referralIds: [id], status: 'approved' }),
              400,
              'validation_error',
            ),
          ),
          ['referralIds.0'],
          String(id),
        );
      }
    });
  });

  describe('bodies that are not JSON', () => {
    it('answers 400 invalid_json on every endpoint that takes a body', async () => {
      const targets: [string, string, Record<string, string>][] = [
        ['POST', '/api/auth/login', {}],
        ['POST', '/api/referrals', {}],
        ['POST', '/api/customers', bearer(token)],
        ['PUT', '/api/referrals/1/status', bearer(token)],
        ['POST', '/api/referrals/bulk-update', bearer(token)],
      ];
      for (const [method, url, headers] of targets) {
        const res = await system.app.inject({
          method: method as 'POST',
          url,
          headers: { ...headers, 'content-type': 'application/json' },
          payload: '{"status": "approved",',
        });
        assertError(res, 400, 'invalid_json');
        const empty = await system.app.inject({
          method: method as 'POST',
          url,
          headers: { ...headers, 'content-type': 'application/json' },
          payload: '',
        });
        assertError(empty, 400, 'invalid_json');
      }
    });

    it('does not echo a malformed login body (and the password in it) back', async () => {
      const res = await system.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: '{"username":"admin","password":"admin123"',
      });
      assertError(res, 400, 'invalid_json');
      assert.ok(!res.body.includes('admin123'));
    });

    it('answers 415 for a body that is not JSON at all', async () => {
      const res = await system.app.inject({
        method: 'POST',
        url: '/api/referrals',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'referrer_code=ABC',
      });
      assertError(res, 415, 'unsupported_media_type');
    });
  });

  describe('authentication of every route', () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: '1', username: 'admin', role: 'admin' };
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const protectedRoutes = () => registeredRoutes(system.app).filter((route) => !isPublic(route));

    /** Calls a route; a body (that would not pass validation) for the methods that take one. */
    const call = (route: RegisteredRoute, headers: Record<string, string> = {}) =>
      system.app.inject({
        method: route.method as 'GET',
        url: concreteUrl(route.path),
        headers,
        ...(['POST', 'PUT', 'PATCH'].includes(route.method) && { payload: { unexpected: true } }),
      });

    it('reads the route table: the admin routes of every area are in it, and every public route on the allow-list exists', () => {
      const routes = registeredRoutes(system.app);
      const protectedOnes = protectedRoutes().filter((r) => r.method !== 'HEAD');
      const has = (method: string, path: string) => routes.some((r) => r.method === method && r.path === path);
      for (const [method, path] of [
        ['GET', '/api/customers'],
        ['POST', '/api/customers/import'],
        ['PUT', '/api/referrals/:id/status'],
        ['GET', '/api/dashboard/stats'],
        ['GET', '/api/emails/preview/:template'],
        ['POST', '/api/export/referrals/link'],
        ['POST', '/api/imports/:id/cancel'],
        ['POST', '/api/auth/change-password'],
      ]) {
        assert.ok(has(method, path), `${method} ${path} is missing from the parsed route table`);
      }
      assert.ok(protectedOnes.length >= 25, `only ${protectedOnes.length} protected routes found`);
      for (const entry of Object.keys(PUBLIC_ROUTES)) {
        const [method, path] = entry.split(' ');
        assert.ok(has(method, path), `the allow-list names ${entry}, which is not a route (any more)`);
      }
    });

    it('answers 401 without a token on every route that is not on the public allow-list, before looking at the input', async () => {
      for (const route of protectedRoutes()) {
        const res = await call(route);
        const what = `${route.method} ${route.path}`;
        if (route.method === 'HEAD') {
          assert.equal(res.statusCode, 401, what); // a HEAD answer has no body to carry the error
          continue;
        }
        assert.equal(res.statusCode, 401, `${what} answered ${res.statusCode} without a token: ${res.body}`);
        assertError(res, 401, 'unauthorized', /Sign in first/);
      }
    });

    it('answers 401 for a forged, an expired, an alg:none, a garbage or a non-bearer token on every protected route', async () => {
      const tokens: Record<string, string> = {
        forged: `Bearer ${handMadeJwt('some-other-secret-that-is-long-enough!!', { ...claims, iat: now, exp: now + 3600 })}`,
        expired: `Bearer ${handMadeJwt(system.config.auth.jwtSecret, { ...claims, iat: now - 7200, exp: now - 3600 })}`,
        'alg:none': `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iat: now, exp: now + 3600 })}.`,
        garbage: 'Bearer not-a-token',
        basic: `Basic ${Buffer.from('admin:admin123').toString('base64')}`,
      };
      // The expired token is the server's own kind of token: the same one, not expired, is let in.
      const fresh = handMadeJwt(system.config.auth.jwtSecret, { ...claims, iat: now, exp: now + 3600 });
      assert.equal((await inject('GET', '/api/customers', undefined, { authorization: `Bearer ${fresh}` })).statusCode, 200);

      const routes = protectedRoutes();
      for (const [kind, authorization] of Object.entries(tokens)) {
        for (const route of routes) {
          const res = await call(route, { authorization });
          const what = `${kind} token on ${route.method} ${route.path}`;
          assert.equal(res.statusCode, 401, `${what} answered ${res.statusCode}: ${res.body}`);
          if (route.method !== 'HEAD') assertError(res, 401, 'unauthorized', /invalid or has expired/);
        }
      }
    });

    it('leaves the routes on the allow-list open without a token (the booking webhook asks for its signature instead)', async () => {
      const referrer = await createCustomer(system.app, token);
      const wildcardFile: Record<string, string> = { '/*': 'favicon.svg', '/api/docs/*': 'static/index.html' };
      for (const entry of Object.keys(PUBLIC_ROUTES)) {
        const [method, path] = entry.split(' ');
        const url =
          path === '/api/public/referral-codes/:code'
            ? concreteUrl(path).replace('1', referrer.referral_code)
            : concreteUrl(path, wildcardFile[path]);
        if (entry === 'POST /api/webhooks/bookings') {
          assertError(await inject('POST', url, { type: 'booking.confirmed' }), 401, 'invalid_signature');
          continue;
        }
        const payload =
          entry === 'POST /api/referrals'
            ? { referrer_code: referrer.referral_code, new_customer_email: freshFriend().email }
            : entry === 'POST /api/auth/login'
              ? { username: 'admin', password: 'admin123' }
              : undefined;
        const res = await inject(method as 'GET' | 'POST', url, payload);
        // a page, a file, or the docs' redirect to their index: anything but a refusal
        assert.ok(res.statusCode < 400, `${entry} (${url}) answered ${res.statusCode} without a token: ${res.body.slice(0, 200)}`);
      }
    });
  });

  describe('GET /api/health', () => {
    it('answers 200 with the database and Temporal up', async () => {
      const res = await inject('GET', '/api/health');
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.status, 'ok');
      assert.equal(body.database.status, 'up');
      assert.equal(body.temporal.status, 'up');
      assert.equal(typeof body.database.latency_ms, 'number');
    });
  });

  describe('GET /api/docs/json', () => {
    it('serves an OpenAPI document that lists the routes', async () => {
      const res = await inject('GET', '/api/docs/json');
      assert.equal(res.statusCode, 200, res.body);
      const doc = res.json();
      assert.match(doc.openapi, /^3\./);
      const expected: Record<string, string[]> = {
        '/api/auth/login': ['post'],
        '/api/customers': ['get', 'post'],
        '/api/customers/{id}': ['get'],
        '/api/referrals': ['get', 'post'],
        '/api/referrals/{id}': ['get'],
        '/api/referrals/{id}/status': ['put'],
        '/api/referrals/bulk-update': ['post'],
        '/api/webhooks/bookings': ['post'],
        '/api/health': ['get'],
      };
      for (const [path, methods] of Object.entries(expected)) {
        assert.ok(doc.paths[path], `${path} is missing from the OpenAPI document`);
        for (const method of methods) assert.ok(doc.paths[path][method], `${method.toUpperCase()} ${path} is missing`);
      }
      assert.deepEqual(doc.paths['/api/customers'].get.security, [{ bearerAuth: [] }]);
      assert.equal(doc.paths['/api/referrals'].post.security, undefined);
      assert.ok(doc.components.securitySchemes.bearerAuth);
      assert.ok(
        doc.paths['/api/webhooks/bookings'].post.requestBody.content['application/json'].schema,
        'the webhook body schema is documented',
      );
      assert.ok(doc.paths['/api/customers'].post.requestBody.content['application/json'].schema.required.includes('email'));
    });
  });

  describe('secrets in logs', () => {
    it('never logs the password, a token or a webhook signature, at any level', async () => {
      const lines: string[] = [];
      const stream = new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      });
      const app = await buildApi({
        config: system.config,
        db: system.db,
        temporal: {
          client: system.client,
          namespace: system.config.temporal.namespace,
          taskQueue: system.taskQueue,
          webUrl: system.config.temporal.webUrl,
        },
        logger: { ...apiLoggerOptions('trace'), stream },
      });
      try {
        const password = 'admin123';
        const ok = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password } });
        assert.equal(ok.statusCode, 200);
        const loginToken = ok.json().token as string;
        assert.equal(
          (await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'wrong-Secret-99' } }))
            .statusCode,
          401,
        );
        assert.equal(
          (await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'x'.repeat(201) } }))
            .statusCode,
          400,
        );
        assert.equal(
          (
            await app.inject({
              method: 'POST',
              url: '/api/auth/login',
              headers: { 'content-type': 'application/json' },
              payload: `{"username":"admin","password":"${password}"`,
            })
          ).statusCode,
          400,
        );
        assert.equal((await app.inject({ method: 'GET', url: '/api/customers', headers: bearer(loginToken) })).statusCode, 200);
        assert.equal(
          (
            await app.inject({
              method: 'POST',
              url: '/api/auth/change-password',
              headers: bearer(loginToken),
              payload: { current_password: 'wrong-Secret-77', new_password: 'NewSecret-Password-42' },
            })
          ).statusCode,
          401,
        );
        const log = lines.join('');
        assert.ok(lines.length >= 6, `expected request logs, got ${lines.length} lines`);
        for (const line of lines) JSON.parse(line); // one JSON object per line
        for (const secret of [
          password,
          'wrong-Secret-99',
          'wrong-Secret-77',
          'NewSecret-Password-42',
          loginToken,
          loginToken.split('.')[2],
        ]) {
          assert.ok(!log.includes(secret), `the logs contain a secret: ${secret}`);
        }
      } finally {
        await app.close();
      }
    });
  });

  describe('no stack traces', () => {
    it('answers a route that does not exist with a 404 in the error shape', async () => {
      assertError(await inject('GET', '/api/nothing-here'), 404, 'not_found', /No route for GET \/api\/nothing-here/);
    });

    it('answers an oversized body with 413 in the error shape', async () => {
      const res = await system.app.inject({
        method: 'POST',
        url: '/api/referrals',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ referrer_code: 'x'.repeat(2 * 1024 * 1024) }),
      });
      assertError(res, 413, 'payload_too_large');
    });
  });
});
