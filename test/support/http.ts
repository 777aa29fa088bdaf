import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { ApiApp } from '../../api/app.js';
import { signedWebhook, unique, type TestSystem } from './system.js';

/** HTTP helpers shared by the API test files (on top of test/support/system.ts). */

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Fails when a reply carries anything that looks like a stack trace or an internal path. */
export function assertNoStackTrace(res: LightMyRequestResponse): void {
  assert.doesNotMatch(
    res.body,
    /\bat .+\(.*:\d+:\d+\)|\n\s+at |node_modules|\.ts:\d+|\.js:\d+|"stack"/,
    `a stack trace leaked: ${res.body}`,
  );
}

export interface ErrorBody {
  error: string;
  message: string;
  details?: { field?: string; message?: string }[];
}

/**
 * Asserts the API's error shape `{ error, message, details? }` with the given status and code,
 * no other keys and no stack trace; answers the body for further checks.
 */
export function assertError(res: LightMyRequestResponse, status: number, code: string, message?: RegExp): ErrorBody {
  assert.equal(res.statusCode, status, `expected ${status} ${code}, got ${res.statusCode}: ${res.body}`);
  assert.match(String(res.headers['content-type']), /application\/json/);
  const body = res.json() as ErrorBody;
  assert.equal(body.error, code, res.body);
  assert.equal(typeof body.message, 'string');
  assert.ok(body.message.length > 0, 'the message is empty');
  assert.deepEqual(
    Object.keys(body).filter((k) => !['error', 'message', 'details'].includes(k)),
    [],
    `unexpected keys in ${res.body}`,
  );
  if (body.details !== undefined) assert.ok(Array.isArray(body.details), 'details must be an array');
  if (message) assert.match(body.message, message);
  assertNoStackTrace(res);
  return body;
}

/** The fields named in a validation error's details. */
export const detailFields = (body: ErrorBody) => (body.details ?? []).map((d) => d.field);

/** An HS256 JWT signed by hand, e.g. one that expired an hour ago with the server's own secret. */
export function handMadeJwt(secret: string, payload: Record<string, unknown>): string {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

export async function submitReferral(
  app: ApiApp,
  body: { referrer_code: string; new_customer_email: string; booking_reference?: string | null },
) {
  return app.inject({ method: 'POST', url: '/api/referrals', payload: body });
}

export async function getReferralJson(app: ApiApp, token: string, id: string) {
  const res = await app.inject({ method: 'GET', url: `/api/referrals/${id}`, headers: bearer(token) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

export type BookingEventType = 'booking.confirmed' | 'booking.cancelled';

export function bookingBody(
  type: BookingEventType,
  data: { booking_reference: string; customer_email?: string; booking_value?: number; currency?: string; departure_date?: string },
) {
  return { type, data: { booking_value: 899, currency: 'EUR', departure_date: '2020-01-15', ...data } };
}

/** Sends a booking webhook signed with the system's secret. */
export async function sendBookingWebhook(system: TestSystem, body: unknown, options: { id?: string; timestamp?: Date } = {}) {
  const webhook = signedWebhook(system.config.webhooks.bookingSecret, body, options);
  return system.app.inject({ method: 'POST', url: '/api/webhooks/bookings', headers: webhook.headers, payload: webhook.payload });
}

/** A fresh friend email and booking reference for one test. */
export const freshFriend = () => ({ email: `${unique('friend')}@example.nl`, bookingReference: unique('BK').toUpperCase() });
