import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEmailActivities } from '../activities/email.js';
import { EMAIL_KINDS, EMAIL_LOCALES, renderEmail, type EmailKind } from '../emails/render.js';
import { sampleMessage } from '../emails/samples.js';
import { assertError, detailFields } from './support/http.js';
import { adminToken, startTestSystem, unique, type TestSystem } from './support/system.js';

/** The outbox and template previews for admins: GET /api/emails, /api/emails/:id, /api/emails/preview/:template. */
describe('emails API', () => {
  let system: TestSystem;
  let token: string;
  const marker = unique('outbox');
  const keys: Record<string, string> = {};

  const get = (url: string, auth = true) =>
    system.app.inject({ method: 'GET', url, headers: auth ? { authorization: `Bearer ${token}` } : {} });

  before(async () => {
    system = await startTestSystem({ FRONTEND_URL: 'https://referrals.bebsy.test' }, { worker: false });
    token = await adminToken(system.app);
    const { sendEmail } = createEmailActivities({ db: system.db, email: system.config.email });
    const send = async (name: string, kind: EmailKind, to: string, locale: 'nl' | 'en' = 'nl') => {
      keys[name] = `${marker}-${name}:${kind}`;
      const message = { ...sampleMessage(kind, locale), to };
      return sendEmail({ idempotencyKey: keys[name], message });
    };
    await send('paid', 'reward_paid', `sanne.${marker}@example.nl`);
    await send('welcome', 'friend_welcome', `daan.${marker}@example.nl`, 'en');
    // A permanent failure (not an address): recorded as failed_permanent, thrown non-retryable.
    await assert.rejects(send('bad', 'friend_booked', `geen-adres-${marker}`));
  });
  after(() => system?.close());

  it('answers 401 without a token', async () => {
    for (const url of ['/api/emails', '/api/emails/1', '/api/emails/preview/reward_paid']) {
      assertError(await get(url, false), 401, 'unauthorized', /Sign in first/);
    }
  });

  it('lists the outbox newest first without bodies, with filters and the transport in use', async () => {
    const res = await get(`/api/emails?search=${marker}`);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.transport, 'outbox', 'the transport in use (no RESEND_API_KEY): messages are stored, not sent');
    assert.equal(body.pagination.total, 3);
    assert.deepEqual(
      body.data.map((m: { idempotency_key: string }) => m.idempotency_key),
      [keys.bad, keys.welcome, keys.paid],
    );
    for (const message of body.data) {
      assert.equal(message.html, undefined);
      assert.equal(message.text, undefined);
    }
    const paid = body.data.find((m: { idempotency_key: string }) => m.idempotency_key === keys.paid);
    assert.equal(paid.status, 'sent');
    assert.equal(paid.kind, 'reward_paid');
    assert.equal(paid.locale, 'nl');
    assert.equal(paid.provider, 'outbox');
    assert.equal(paid.to_address, `sanne.${marker}@example.nl`);
    assert.ok(paid.sent_at && paid.created_at);
    assert.match(paid.subject, /voucher/i);

    const failed = (await get(`/api/emails?search=${marker}&status=failed_permanent`)).json();
    assert.equal(failed.pagination.total, 1);
    assert.equal(failed.data[0].status, 'failed_permanent');
    assert.match(failed.data[0].error, /invalid_recipient/);
    assert.equal(failed.data[0].sent_at, null);

    const welcome = (await get(`/api/emails?search=${marker}&kind=friend_welcome`)).json();
    assert.deepEqual(
      welcome.data.map((m: { idempotency_key: string }) => m.idempotency_key),
      [keys.welcome],
    );
    assert.equal(welcome.data[0].locale, 'en');

    const paged = (await get(`/api/emails?search=${marker}&limit=2&page=2`)).json();
    assert.deepEqual(paged.pagination, { page: 2, limit: 2, total: 3, total_pages: 2 });
    assert.deepEqual(
      paged.data.map((m: { idempotency_key: string }) => m.idempotency_key),
      [keys.paid],
    );

    assert.deepEqual(detailFields(assertError(await get('/api/emails?status=bounced'), 400, 'validation_error', /status must be one of/)), [
      'status',
    ]);
    assert.deepEqual(detailFields(assertError(await get('/api/emails?kind=nonsense'), 400, 'validation_error', /kind must be one of/)), [
      'kind',
    ]);
  });

  it('answers one message with its html and text', async () => {
    const list = (await get(`/api/emails?search=${marker}&kind=reward_paid`)).json();
    const res = await get(`/api/emails/${list.data[0].id}`);
    assert.equal(res.statusCode, 200, res.body);
    const message = res.json();
    assert.equal(message.idempotency_key, keys.paid);
    assert.match(message.html, /<html/i);
    assert.match(message.html, /BEBSY-7KQ2-M9XD/);
    assert.match(message.text, /BEBSY-7KQ2-M9XD/);

    assertError(await get('/api/emails/999999999999'), 404, 'not_found', /999999999999/);
    assert.deepEqual(detailFields(assertError(await get('/api/emails/abc'), 400, 'validation_error')), ['id']);
  });

  it('previews every template in both languages with sample data', async () => {
    for (const kind of EMAIL_KINDS) {
      for (const locale of EMAIL_LOCALES) {
        const res = await get(`/api/emails/preview/${kind}?locale=${locale}`);
        assert.equal(res.statusCode, 200, `${kind} ${locale}: ${res.body}`);
        const preview = res.json();
        assert.equal(preview.template, kind);
        assert.equal(preview.locale, locale);
        assert.ok(preview.subject.length > 0);
        const expected = await renderEmail(sampleMessage(kind, locale), { frontendUrl: system.config.email.frontendUrl });
        assert.equal(preview.subject, expected.subject, `${kind} ${locale}: the sample's subject`);
        assert.equal(preview.html, expected.html);
        assert.equal(preview.text, expected.text);
        assert.match(preview.text, /Bebsy/);
        assert.match(preview.html, new RegExp(`lang="${locale}"`));
      }
    }
    const nl = (await get('/api/emails/preview/reward_paid')).json();
    assert.equal(nl.locale, 'nl', 'Dutch by default');
    assert.notEqual(nl.subject, (await get('/api/emails/preview/reward_paid?locale=en')).json().subject);
  });

  it('answers 404 with the known templates for an unknown one, and 400 for a bad locale', async () => {
    const body = assertError(await get('/api/emails/preview/no_such_template'), 404, 'not_found');
    for (const kind of EMAIL_KINDS) assert.ok(body.message.includes(kind), kind);
    assert.deepEqual(
      body.details,
      EMAIL_KINDS.map((template) => ({ template })),
    );

    const bad = assertError(
      await get('/api/emails/preview/reward_paid?locale=de'),
      400,
      'validation_error',
      /locale must be one of: "nl", "en"/,
    );
    assert.deepEqual(detailFields(bad), ['locale']);
  });
});
