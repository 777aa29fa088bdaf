/**
 * Flags of `npm run bench`, each with a BENCH_* environment variable as fallback:
 *
 *   npm run bench -- --concurrency 16 --duration 12 --rounds 2
 *   BENCH_DURATION=5 npm run bench
 *
 * The API itself is configured through the project's own variables (DB_POOL_MAX, LOG_LEVEL,
 * ...), read by loadConfig exactly as in production.
 */
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Requests in flight in the closed-loop (saturation) runs, for both sides. */
  concurrency: number;
  /** Seconds of warm-up per side (not measured). */
  warmupSeconds: number;
  /** Seconds per measured closed-loop run. */
  durationSeconds: number;
  /** Measured rounds; each runs both sides, direct first in odd rounds and API first in even ones (AB BA ...); the median of the rounds' ratios is judged. */
  rounds: number;
  /** Seconds of the open-loop latency run (after a short warm-up at the same rate). */
  latencySeconds: number;
  /** Fraction of the API's saturation rate used for the open-loop latency run. */
  latencyRateFraction: number;
  /** Keep-alive connections the open-loop generator may open (no pipelining). */
  latencyConnections: number;
  /** Pre-created referrer customers the submissions are spread over. */
  referrers: number;
  /** Temporal dev server storage: a SQLite file with WAL (as `npm start`) or in-memory (as `npm test`). */
  temporalDb: 'file' | 'memory';
  /** Target: API throughput / direct throughput. */
  targetRatio: number;
  /** Target: p99 in ms at the open-loop rate. */
  targetP99Ms: number;
  /** Attach knex/pool timings and a workflow-start interceptor (off: the unobserved path). */
  profile: boolean;
  /** Take a V8 CPU profile of the API process during the last API saturation run. */
  cpuProfile: boolean;
  /** Customers and referrals generated for the admin UI's LCP measurement (0: skip it). */
  lcpRows: number;
  /** Page loads per screen in the LCP measurement. */
  lcpRuns: number;
}

const spec = {
  concurrency: { env: 'BENCH_CONCURRENCY', default: 16, min: 1, max: 256, help: 'requests in flight in the saturation runs' },
  warmup: { env: 'BENCH_WARMUP', default: 3, min: 0, max: 60, help: 'warm-up seconds per side' },
  duration: { env: 'BENCH_DURATION', default: 6, min: 1, max: 120, help: 'seconds per measured saturation run' },
  rounds: {
    env: 'BENCH_ROUNDS',
    default: 4,
    min: 1,
    max: 10,
    help: 'measured rounds, both sides each, the order alternating; the median round ratio is judged',
  },
  'latency-duration': { env: 'BENCH_LATENCY_DURATION', default: 20, min: 1, max: 300, help: 'seconds of the open-loop latency run' },
  'latency-fraction': {
    env: 'BENCH_LATENCY_FRACTION',
    default: 0.5,
    min: 0.01,
    max: 1,
    help: 'open-loop rate as a fraction of the API saturation rate',
  },
  'latency-connections': {
    env: 'BENCH_LATENCY_CONNECTIONS',
    default: 64,
    min: 1,
    max: 1024,
    help: 'keep-alive connections of the open-loop generator',
  },
  referrers: { env: 'BENCH_REFERRERS', default: 50, min: 1, max: 10_000, help: 'pre-created referrer customers' },
  'target-ratio': { env: 'BENCH_TARGET_RATIO', default: 0.9, min: 0, max: 100, help: 'target API/direct throughput ratio' },
  'target-p99': { env: 'BENCH_TARGET_P99_MS', default: 50, min: 0, max: 100_000, help: 'target p99 latency (ms)' },
  'lcp-rows': {
    env: 'BENCH_LCP_ROWS',
    default: 100_000,
    min: 0,
    max: 5_000_000,
    help: 'customers and referrals generated for the admin UI LCP measurement (0 skips it)',
  },
  'lcp-runs': { env: 'BENCH_LCP_RUNS', default: 5, min: 1, max: 50, help: 'page loads per screen in the LCP measurement' },
} as const;

type NumericFlag = keyof typeof spec;

/** A bad flag or BENCH_* value: printed without a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function usage(): string {
  const lines = Object.entries(spec).map(([flag, s]) => `  --${flag.padEnd(20)} ${s.help} (default ${s.default}; env ${s.env})`);
  lines.push(`  --${'temporal-db'.padEnd(20)} file | memory: the dev server's SQLite storage (default file; env BENCH_TEMPORAL_DB)`);
  lines.push(`  --${'profile'.padEnd(20)} time queries, pool waits and workflow starts inside the API process (env BENCH_PROFILE=1)`);
  lines.push(`  --${'cpu-profile'.padEnd(20)} V8 CPU profile of the API process in the last API saturation run (env BENCH_CPU_PROFILE=1)`);
  return `usage: npm run bench -- [flags]\n${lines.join('\n')}`;
}

export function parseOptions(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const parse = () =>
    parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(Object.keys(spec).map((k) => [k, { type: 'string' as const }])),
        'temporal-db': { type: 'string' },
        profile: { type: 'boolean' },
        'cpu-profile': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${usage()}`);
  }
  const { values } = parsed;
  if (values.help) {
    console.log(usage());
    process.exit(0);
  }
  const num = (flag: NumericFlag): number => {
    const s = spec[flag];
    const raw = (values as Record<string, string | undefined>)[flag] ?? env[s.env];
    if (raw === undefined || raw === '') return s.default;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < s.min || value > s.max) {
      throw new UsageError(`--${flag} / ${s.env}: "${raw}" must be a number from ${s.min} to ${s.max}\n${usage()}`);
    }
    return value;
  };
  const temporalDb = (values['temporal-db'] as string | undefined) ?? env.BENCH_TEMPORAL_DB ?? 'file';
  if (temporalDb !== 'file' && temporalDb !== 'memory') {
    throw new UsageError(`--temporal-db / BENCH_TEMPORAL_DB: "${temporalDb}" must be file or memory\n${usage()}`);
  }
  return {
    concurrency: Math.round(num('concurrency')),
    warmupSeconds: num('warmup'),
    durationSeconds: num('duration'),
    rounds: Math.round(num('rounds')),
    latencySeconds: num('latency-duration'),
    latencyRateFraction: num('latency-fraction'),
    latencyConnections: Math.round(num('latency-connections')),
    referrers: Math.round(num('referrers')),
    temporalDb,
    targetRatio: num('target-ratio'),
    targetP99Ms: num('target-p99'),
    profile: values.profile === true || env.BENCH_PROFILE === '1',
    cpuProfile: values['cpu-profile'] === true || env.BENCH_CPU_PROFILE === '1',
    lcpRows: Math.round(num('lcp-rows')),
    lcpRuns: Math.round(num('lcp-runs')),
  };
}
