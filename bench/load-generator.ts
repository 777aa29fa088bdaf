/**
 * The HTTP load generator, run as a child process of bench/run.ts (forked, talks over IPC), so
 * the client's work never shares the API's event loop: the API process measures like a server.
 *
 * - closed loop (saturation): autocannon, N keep-alive connections, one request in flight per
 *   connection (no pipelining), for a fixed duration.
 * - open loop (latency at a fixed rate): requests are sent on a fixed schedule (request i at
 *   t0 + i/rate) over a keep-alive pool, whatever the responses do. autocannon's own rate limit
 *   (-R) is a per-second budget per connection: it sends bursts at the start of each second,
 *   which would measure the latency of a burst, not of a steady rate. The judged latency is
 *   completion − scheduled send time, so a generator, a timer or a pool that falls behind counts
 *   (no coordinated omission), and every request that does not end in a 2xx answer (another
 *   status, a timeout, a connection error) is a miss: an infinite latency in the percentiles, so
 *   more misses than a percentile allows make it infinite. The misses are counted by kind.
 *
 * Every request is a new referral: a friend email unique over the whole run, spread over the
 * pre-created referrers' codes.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { noMisses, summarise, type LatencySummary, type Misses } from './stats.js';
import { sendAtFixedRate } from './pacing.js';

export interface ClosedLoopJob {
  kind: 'closed';
  url: string;
  connections: number;
  durationSeconds: number;
}

export interface OpenLoopJob {
  kind: 'open';
  url: string;
  rate: number;
  /** Seconds at the rate before measuring (responses discarded). */
  warmupSeconds: number;
  durationSeconds: number;
  connections: number;
}

export interface SetupMessage {
  kind: 'setup';
  referrerCodes: string[];
  /** Makes the friend emails of this run unique. */
  runTag: string;
}

export type GeneratorRequest = SetupMessage | ClosedLoopJob | OpenLoopJob;

export interface ClosedLoopResult {
  kind: 'closed';
  seconds: number;
  ok: number;
  statusCounts: Record<string, number>;
  errors: number;
  timeouts: number;
  latency: { p50: number; p99: number; max: number; mean: number };
}

export interface OpenLoopResult {
  kind: 'open';
  targetRate: number;
  seconds: number;
  /** Measured requests (warm-up excluded): each one a 2xx answer or a miss. */
  sent: number;
  ok: number;
  /** 2xx answers including the warm-up requests (each one a stored referral). */
  okIncludingWarmup: number;
  misses: Misses;
  /**
   * The judged figure: from the scheduled send time to the end of the answer, misses as an
   * infinite latency (count = sent).
   */
  latency: LatencySummary;
  /** For diagnosis only: from the actual send to the end of the answer, 2xx answers only. */
  serviceTime: LatencySummary;
  /** How late the generator sent against its schedule (timer granularity, CPU starvation). */
  sendLag: LatencySummary;
  maxInFlight: number;
}

export type GeneratorReply = { kind: 'ready' } | ClosedLoopResult | OpenLoopResult | { kind: 'error'; message: string };

const REQUEST_TIMEOUT_MS = 10_000;

let referrerCodes: string[] = [];
let runTag = 'bench';
let sequence = 0;

function nextBody(): string {
  const n = sequence++;
  return JSON.stringify({
    referrer_code: referrerCodes[n % referrerCodes.length],
    new_customer_email: `friend-${runTag}-${n}@bench.example.nl`,
  });
}

async function closedLoop(job: ClosedLoopJob): Promise<ClosedLoopResult> {
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    pipelining: 1,
    duration: job.durationSeconds,
    timeout: REQUEST_TIMEOUT_MS / 1000,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (request) => ({ ...request, body: nextBody() }) }],
  });
  const statusCounts: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = count ?? 0;
  return {
    kind: 'closed',
    seconds: result.duration,
    ok: result['2xx'],
    statusCounts,
    errors: result.errors,
    timeouts: result.timeouts,
    latency: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, mean: result.latency.average },
  };
}

async function openLoop(job: OpenLoopJob): Promise<OpenLoopResult> {
  const url = new URL(job.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections, maxFreeSockets: job.connections });
  const interval = 1000 / job.rate;
  const warmupCount = Math.round(job.rate * job.warmupSeconds);
  const total = warmupCount + Math.round(job.rate * job.durationSeconds);
  /** Completion − scheduled time of every measured request; Infinity for a miss. */
  const fromSchedule: number[] = [];
  const serviceTimes: number[] = [];
  const misses = noMisses();
  let ok = 0;
  let okIncludingWarmup = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const sendLags: number[] = [];
  let measureEnd = 0;

  const send = (index: number, scheduledAt: number) =>
    new Promise<void>((resolve) => {
      const body = nextBody();
      const sentAt = performance.now();
      const measured = index >= warmupCount;
      if (measured) sendLags.push(sentAt - scheduledAt);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let settled = false;
      let timedOut = false;
      const done = (outcome: { status: string } | { error: Error }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const end = performance.now();
        inFlight--;
        const is2xx = 'status' in outcome && outcome.status.startsWith('2');
        if (is2xx) okIncludingWarmup++;
        if (measured) {
          measureEnd = Math.max(measureEnd, end);
          if (is2xx) {
            ok++;
            fromSchedule.push(end - scheduledAt);
            serviceTimes.push(end - sentAt);
          } else {
            fromSchedule.push(Number.POSITIVE_INFINITY);
            if ('status' in outcome) misses.byStatus[outcome.status] = (misses.byStatus[outcome.status] ?? 0) + 1;
            else {
              if (timedOut) misses.timeouts++;
              else misses.connectionErrors++;
              misses.firstError ??= outcome.error.message;
            }
          }
        }
        resolve();
      };
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.once('end', () => done({ status: String(res.statusCode) }));
          res.once('error', (error) => done({ error }));
        },
      );
      // A deadline for the whole request (waiting for a pooled connection included), not an idle timer.
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      req.once('error', (error) => done({ error }));
      req.end(body);
    });

  const t0 = await sendAtFixedRate(total, interval, send);
  const measureStart = t0 + warmupCount * interval;
  agent.destroy();
  const scheduledEnd = t0 + total * interval;
  return {
    kind: 'open',
    targetRate: job.rate,
    seconds: (Math.max(measureEnd, scheduledEnd) - measureStart) / 1000,
    sent: total - warmupCount,
    ok,
    okIncludingWarmup,
    misses,
    latency: summarise(fromSchedule),
    serviceTime: summarise(serviceTimes),
    sendLag: summarise(sendLags),
    maxInFlight,
  };
}

const reply = (message: GeneratorReply) => process.send!(message);

process.on('message', (message: GeneratorRequest) => {
  void (async () => {
    try {
      if (message.kind === 'setup') {
        referrerCodes = message.referrerCodes;
        runTag = message.runTag;
        reply({ kind: 'ready' });
      } else if (message.kind === 'closed') {
        reply(await closedLoop(message));
      } else {
        reply(await openLoop(message));
      }
    } catch (error) {
      reply({ kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  })();
});
// The parent going away ends us too.
process.on('disconnect', () => process.exit(0));
