import { randomUUID } from 'node:crypto';
import { bookingBody, type BookingEventType } from '../../support/http.js';
import { signedWebhook, unique } from '../../support/system.js';
import type { Referrer } from './system.js';

/**
 * The load: referrals submitted through the public form and their bookings confirmed or
 * cancelled by signed webhooks, over HTTP to 127.0.0.1, each step sent again (as a form or a
 * booking system would) after a 503 or 429 (waiting Retry-After), a timeout or a refused
 * connection, until acknowledged with a 2xx or out of tries. Every answer is recorded.
 */

/** No answer within this long is a hang (a webhook sender or a browser has given up by then). */
export const HANG_MS = 15_000;
/** A request is abandoned after this long, so a hang is measured, not only noticed. */
const ABANDON_MS = 60_000;

export type Outcome = number | 'timeout' | 'network';

interface Sent {
  label: string;
  outcome: Outcome;
  ms: number;
  retryAfter: string | null;
  error: string | null;
}

export interface Answer {
  outcome: Outcome;
  ms: number;
  body: Record<string, unknown> | null;
}

/** Every request of the load, with what came back and how long it took. */
export class LoadRecorder {
  readonly sent: Sent[] = [];

  async send(label: string, url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
    const started = performance.now();
    let outcome: Outcome;
    let body: Record<string, unknown> | null = null;
    let retryAfter: string | null = null;
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(ABANDON_MS) });
      outcome = res.status;
      retryAfter = res.headers.get('retry-after');
      const text = await res.text();
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { raw: text.slice(0, 200) };
      }
    } catch (error) {
      const e = error as Error;
      outcome = e.name === 'TimeoutError' || e.name === 'AbortError' ? 'timeout' : 'network';
    }
    const ms = Math.round(performance.now() - started);
    this.sent.push({ label, outcome, ms, retryAfter, error: typeof body?.error === 'string' ? body.error : null });
    return { outcome, ms, body };
  }

  /** `label: 201×58 200×2 503×4` for each label. */
  byLabel(): string[] {
    const labels = [...new Set(this.sent.map((s) => s.label))].sort();
    return labels.map((label) => {
      const mine = this.sent.filter((s) => s.label === label);
      const counts = countBy(mine.map((s) => String(s.outcome)));
      const max = Math.max(...mine.map((s) => s.ms));
      return `${label}: ${Object.entries(counts)
        .map(([outcome, n]) => `${outcome}×${n}`)
        .join(' ')} (slowest ${max} ms)`;
    });
  }

  /** 5xx answers other than 503 (a dependency down: the answer asked for, with Retry-After, checked apart). */
  serverErrors(): Sent[] {
    return this.sent.filter((s) => typeof s.outcome === 'number' && s.outcome >= 500 && s.outcome !== 503);
  }

  /** 503s (outside the health probe) that did not say when to come back. */
  unavailableWithoutRetryAfter(): Sent[] {
    return this.sent.filter((s) => s.outcome === 503 && s.label !== 'health' && !s.retryAfter);
  }

  /** Requests answered after HANG_MS, or not at all. */
  hangs(): Sent[] {
    return this.sent.filter((s) => s.outcome === 'timeout' || s.ms > HANG_MS);
  }

  count(outcome: Outcome, label?: string): number {
    return this.sent.filter((s) => s.outcome === outcome && (!label || s.label === label)).length;
  }
}

export function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

/**
 * What a journey does, and so how its referral must end:
 * - paid: submitted, booking confirmed (departure in the past) → auto-approved, paid;
 * - revoked: submitted, confirmed (departure next year: the reward is held), then cancelled;
 * - rejected: the referrer refers themselves (the rules reject it);
 * - awaiting: submitted, no booking (waits for one);
 * - early: the confirmation arrives before the referral (202, kept in the inbox), then the
 *   submission: the new workflow claims it and the referral is paid.
 */
export type JourneyKind = 'paid' | 'revoked' | 'rejected' | 'awaiting' | 'early';

export interface Journey {
  n: number;
  kind: JourneyKind;
  referrer: Referrer;
  friend: string;
  reference: string;
  referralId: string | null;
  /** Steps acknowledged with a 2xx, with the answer's outcome field for webhooks. */
  acknowledged: Record<string, string>;
  /** The step that was never acknowledged, and its last answer. */
  failed: string | null;
}

/** The journeys, kinds interleaved (paid, revoked, paid, rejected, …), one referrer each. */
export function planJourneys(referrers: Referrer[], mix: Partial<Record<JourneyKind, number>>): Journey[] {
  const queue = Object.entries(mix).flatMap(([kind, n]) => Array.from({ length: n ?? 0 }, (_, i) => ({ kind: kind as JourneyKind, i })));
  queue.sort((a, b) => a.i - b.i || a.kind.localeCompare(b.kind));
  if (queue.length > referrers.length) throw new Error(`${queue.length} journeys need as many referrers, got ${referrers.length}`);
  return queue.map(({ kind }, n) => ({
    n,
    kind,
    referrer: referrers[n],
    friend: kind === 'rejected' ? referrers[n].email : `${unique('friend')}@example.nl`,
    reference: unique('BK').toUpperCase(),
    referralId: null,
    acknowledged: {},
    failed: null,
  }));
}

const NEXT_YEAR = `${new Date().getUTCFullYear() + 1}-06-15`;

export interface JourneyOptions {
  load: LoadRecorder;
  /** The API's base URL for the next request (several APIs: taken in turn). */
  api: () => string;
  webhookSecret: string;
  /** Tries per step (default 25) and the time a step may take in all (default 150 s). */
  maxTries?: number;
  stepDeadlineMs?: number;
}

/**
 * Sends one step until it is acknowledged: a 2xx ends it, a 5xx, 429, timeout or refused
 * connection is tried again after Retry-After (default 1 s), anything else ends it unacknowledged.
 */
async function deliver(
  options: JourneyOptions,
  label: string,
  request: (api: string) => { url: string; init: { method: string; body: string; headers: Record<string, string> } },
): Promise<Answer> {
  const { maxTries = 25, stepDeadlineMs = 150_000 } = options;
  const deadline = Date.now() + stepDeadlineMs;
  let answer: Answer = { outcome: 'network', ms: 0, body: null };
  for (let tries = 1; tries <= maxTries && Date.now() < deadline; tries++) {
    const { url, init } = request(options.api());
    answer = await options.load.send(label, url, init);
    const { outcome } = answer;
    if (typeof outcome === 'number' && outcome < 300) return answer;
    const retryable = typeof outcome !== 'number' || outcome === 429 || outcome >= 500;
    if (!retryable) return answer;
    const retryAfter = Number(options.load.sent.at(-1)?.retryAfter ?? '1');
    await new Promise((r) => setTimeout(r, (Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 1) * 1000));
  }
  return answer;
}

export function submitStep(options: JourneyOptions, journey: Journey): Promise<Answer> {
  return deliver(options, 'submit', (api) => ({
    url: `${api}/api/referrals`,
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        referrer_code: journey.referrer.code,
        new_customer_email: journey.friend,
        booking_reference: journey.reference,
      }),
    },
  }));
}

/** A booking webhook with a fixed id, signed again at each try (a sender's retry keeps the id). */
export function webhookStep(
  options: JourneyOptions,
  journey: Journey,
  type: BookingEventType,
  { id = `msg_${randomUUID()}`, departure = '2020-01-15', label = 'webhook' } = {},
): Promise<Answer> {
  const body = bookingBody(type, { booking_reference: journey.reference, customer_email: journey.friend, departure_date: departure });
  return deliver(options, label, (api) => {
    const hook = signedWebhook(options.webhookSecret, body, { id });
    return { url: `${api}/api/webhooks/bookings`, init: { method: 'POST', headers: hook.headers, body: hook.payload } };
  });
}

function acknowledge(journey: Journey, step: string, answer: Answer): boolean {
  if (typeof answer.outcome === 'number' && answer.outcome < 300) {
    journey.acknowledged[step] = String(answer.body?.outcome ?? answer.outcome);
    return true;
  }
  journey.failed ??= `${step}: ${answer.outcome} ${JSON.stringify(answer.body)}`;
  return false;
}

/** Runs one journey's steps in order; stops at a step that is never acknowledged. */
export async function runJourney(options: JourneyOptions, journey: Journey): Promise<void> {
  if (journey.kind === 'early' && !acknowledge(journey, 'confirm', await webhookStep(options, journey, 'booking.confirmed'))) return;
  const submitted = await submitStep(options, journey);
  if (!acknowledge(journey, 'submit', submitted)) return;
  journey.referralId = String(submitted.body!.id);
  if (journey.kind === 'paid' && !acknowledge(journey, 'confirm', await webhookStep(options, journey, 'booking.confirmed'))) return;
  if (journey.kind === 'revoked') {
    if (!acknowledge(journey, 'confirm', await webhookStep(options, journey, 'booking.confirmed', { departure: NEXT_YEAR }))) return;
    acknowledge(journey, 'cancel', await webhookStep(options, journey, 'booking.cancelled', { departure: NEXT_YEAR }));
  }
}

/**
 * Starts the journeys spread evenly over `spreadMs` (so a fault injected meanwhile lands in the
 * middle of the load) and resolves when every one has ended.
 */
export async function runJourneys(options: JourneyOptions, journeys: Journey[], spreadMs: number): Promise<void> {
  const gap = journeys.length > 1 ? spreadMs / (journeys.length - 1) : 0;
  await Promise.all(
    journeys.map(async (journey, i) => {
      await new Promise((r) => setTimeout(r, Math.round(i * gap)));
      await runJourney(options, journey);
    }),
  );
}

/**
 * Reads alongside the writes until `until()` or `maxRequests`: the public code lookup (a
 * database read) and, every fifth request, the health probe.
 */
export async function readLoad(
  load: LoadRecorder,
  api: () => string,
  codes: string[],
  { until, maxRequests = 2_000, everyMs = 100 }: { until: () => boolean; maxRequests?: number; everyMs?: number },
): Promise<void> {
  for (let i = 0; i < maxRequests && !until(); i++) {
    if (i % 5 === 4) await load.send('health', `${api()}/api/health`);
    else await load.send('lookup', `${api()}/api/public/referral-codes/${codes[i % codes.length]}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Takes the given items in turn. */
export function roundRobin<T>(items: () => T[]): () => T {
  let i = 0;
  return () => {
    const list = items();
    return list[i++ % list.length];
  };
}
