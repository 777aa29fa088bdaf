/**
 * `npm run bench`: referral submission through the real HTTP API vs starting the same workflow
 * directly with the Temporal client, side by side in one run, against the same Temporal dev
 * server and the same Postgres. See bench/README.md for what is measured and why.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench
 *   npm run bench -- --duration 5 --rounds 1 --latency-duration 10     (a quicker run)
 *   npm run bench -- --help
 *
 * Exit code 0 when the bench ran (a missed target is printed, not an exit code); 1 when the
 * bench itself broke (infrastructure, or requests failing so the figures mean nothing).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { apiLogDestination, apiLoggerOptions, buildApi, type ApiApp } from '../api/app.js';
import { loadConfig } from '../config/env.js';
import { createDb, type Db } from '../db/knex.js';
import { createCustomer } from '../db/repositories/customers.js';
import { cleanupsOnExitOrSignal } from '../scripts/infra/cleanups.js';
import { CpuProfiler } from './cpu-profile.js';
import { CpuMeter, findPostmaster, type CpuUsage } from './cpu.js';
import { directStarter } from './direct.js';
import { startInfra, type BenchInfra } from './infra.js';
import type { ClosedLoopResult, GeneratorReply, GeneratorRequest, OpenLoopResult } from './load-generator.js';
import { UsageError, parseOptions, type BenchOptions } from './options.js';
import { Profiler, type PhaseProfile } from './profile.js';
import { missCount, missText, ms, perSecond, summarise, table } from './stats.js';
import { benchUiLcp } from './ui-lcp.js';

const LOG_DIR = '.data/bench-logs';
const OPEN_LOOP_WARMUP_SECONDS = 2;
/** More failed requests than this share makes a side's figures meaningless: the bench broke. */
const MAX_ERROR_SHARE = 0.01;

const log = (line: string) => console.log(`[bench] ${line}`);

// -------------------------------------------------------------------------------------------
// The load generator child process

class Generator {
  private readonly child: ChildProcess;
  private waiting: { resolve: (r: GeneratorReply) => void; reject: (e: Error) => void } | null = null;

  constructor() {
    // 'advanced' (structured clone), not JSON: a percentile made infinite by misses must not arrive as null (null <= 50 is true)
    this.child = fork(new URL('./load-generator.ts', import.meta.url), {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    this.child.on('message', (message: GeneratorReply) => {
      const w = this.waiting;
      this.waiting = null;
      w?.resolve(message);
    });
    this.child.on('exit', (code, signal) => {
      const w = this.waiting;
      this.waiting = null;
      w?.reject(new Error(`load generator exited (${signal ?? `code ${code}`})`));
    });
  }

  get pid() {
    return this.child.pid;
  }

  private ask(request: GeneratorRequest): Promise<GeneratorReply> {
    if (this.waiting) throw new Error('load generator is busy');
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.child.send(request);
    }).then((reply) => {
      const r = reply as GeneratorReply;
      if (r.kind === 'error') throw new Error(`load generator failed: ${r.message}`);
      return r;
    });
  }

  async setup(referrerCodes: string[], runTag: string) {
    await this.ask({ kind: 'setup', referrerCodes, runTag });
  }

  async closed(url: string, connections: number, durationSeconds: number) {
    return (await this.ask({ kind: 'closed', url, connections, durationSeconds })) as ClosedLoopResult;
  }

  async open(url: string, rate: number, warmupSeconds: number, durationSeconds: number, connections: number) {
    return (await this.ask({ kind: 'open', url, rate, warmupSeconds, durationSeconds, connections })) as OpenLoopResult;
  }

  stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }
}

// -------------------------------------------------------------------------------------------
// Measured phases

interface SideRun {
  round: number;
  side: 'direct' | 'api';
  ok: number;
  failed: number;
  seconds: number;
  p50: number;
  p99: number;
  failures: string;
  cpu: CpuUsage | null;
  profile: PhaseProfile;
}

interface Phase {
  requests: number;
  seconds: number;
  cpu: CpuUsage | null;
}

function header(options: BenchOptions) {
  const env = ['DATABASE_URL', 'DB_POOL_MIN', 'DB_POOL_MAX', 'LOG_LEVEL', ...Object.keys(process.env).filter((k) => k.startsWith('BENCH_'))]
    .filter((k) => process.env[k])
    .map((k) => `${k}=${k === 'DATABASE_URL' ? redact(process.env[k]!) : process.env[k]}`);
  const args = process.argv.slice(2);
  const invoked = process.env.npm_lifecycle_event === 'bench' ? 'npm run bench' : `tsx ${path.relative(process.cwd(), process.argv[1])}`;
  const command = [...env, invoked, ...(args.length ? (invoked.startsWith('npm') ? ['--', ...args] : args) : [])].join(' ');
  const cpus = os.cpus();
  const load = os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
  console.log('Bebsy referrals: submission benchmark (issue 2 section 7)');
  console.log(`command   ${command}`);
  console.log(
    `machine   ${os.availableParallelism()} cores (${cpus[0]?.model ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`,
  );
  console.log(
    `load avg  ${load} at start (1/5/15 min)${os.loadavg()[0] > 0.5 ? '  <- the machine is already busy: figures will be lower and noisier' : ''}`,
  );
  console.log(
    `plan      ${options.rounds} round(s) x (direct ${options.durationSeconds}s, API ${options.durationSeconds}s) closed loop at ${options.concurrency} in flight, ` +
      `the order alternating (odd rounds direct first, even rounds API first), judged on the median of the per-round ratios, ` +
      `after ${options.warmupSeconds}s warm-up per side; then open loops at ${options.latencyRateFraction} x the API's saturation rate, ${options.latencySeconds}s each (+${OPEN_LOOP_WARMUP_SECONDS}s warm-up): API, then direct for comparison`,
  );
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable)';
  }
}

function failureText(statusCounts: Record<string, number>, errors: number, firstError?: string): string {
  const bad = Object.entries(statusCounts).filter(([code]) => !code.startsWith('2'));
  const parts = bad.map(([code, n]) => `${n}x HTTP ${code}`);
  if (errors) parts.push(`${errors} error(s)${firstError ? `: ${firstError.slice(0, 120)}` : ''}`);
  return parts.join(', ');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Logs and CPU profiles of bench runs whose process is gone. */
function removeStaleLogs(): void {
  for (const entry of readdirSync(LOG_DIR)) {
    const match = /^api(?:-saturation)?-(\d+)\.(?:log|cpuprofile)$/.exec(entry);
    if (!match || Number(match[1]) === process.pid) continue;
    try {
      process.kill(Number(match[1]), 0);
    } catch {
      rmSync(path.join(LOG_DIR, entry), { force: true });
    }
  }
}

function aggregate(runs: SideRun[]): Phase {
  const requests = runs.reduce((s, r) => s + r.ok, 0);
  const seconds = runs.reduce((s, r) => s + r.seconds, 0);
  const cpus = runs.map((r) => r.cpu).filter((c): c is CpuUsage => c !== null);
  let cpu: CpuUsage | null = null;
  if (cpus.length) {
    const total = cpus.reduce((s, c) => s + c.seconds, 0);
    const keys = Object.keys(cpus[0].cores) as Array<keyof CpuUsage['cores']>;
    cpu = {
      seconds: total,
      machineCores: cpus[0].machineCores,
      cores: Object.fromEntries(keys.map((k) => [k, cpus.reduce((s, c) => s + c.cores[k] * c.seconds, 0) / total])) as CpuUsage['cores'],
    };
  }
  return { requests, seconds, cpu };
}

function sumProfiles(runs: SideRun[]): PhaseProfile {
  const p = runs.map((r) => r.profile);
  const sum = (k: keyof PhaseProfile) => p.reduce((s, x) => s + x[k], 0);
  return {
    queries: sum('queries'),
    queryMs: sum('queryMs'),
    poolWaits: sum('poolWaits'),
    poolWaitMs: sum('poolWaitMs'),
    poolWaitMaxMs: Math.max(...p.map((x) => x.poolWaitMaxMs)),
    starts: sum('starts'),
    startMs: sum('startMs'),
    startMaxMs: Math.max(...p.map((x) => x.startMaxMs)),
    eventLoop: p.reduce((s, x) => s + x.eventLoop, 0) / p.length,
  };
}

/**
 * Workflows on the bench's task queue, from Temporal's visibility store (eventually consistent:
 * polled for a few seconds until it reaches the expected count). null when it cannot be asked.
 */
async function countWorkflows(client: Client, taskQueue: string, expected: number): Promise<number | null> {
  let count: number | null = null;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      count = (await client.workflow.count(`TaskQueue = '${taskQueue}'`)).count;
    } catch (error) {
      log(`could not count the workflows: ${(error as Error).message}`);
      return null;
    }
    if (count >= expected) return count;
    await new Promise((r) => setTimeout(r, 250));
  }
  return count;
}

// -------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const options = parseOptions();
  const profileOn = options.profile;
  header(options);

  const cleanups = cleanupsOnExitOrSignal(log);

  try {
    // ---- infrastructure, shared by both sides
    const infra: BenchInfra = await startInfra(options.temporalDb, log);
    cleanups.push(() => infra.stop());
    const runTag = `${Date.now().toString(36)}${randomUUID().slice(0, 4)}`;
    const taskQueue = `bench-${runTag}`;
    mkdirSync(LOG_DIR, { recursive: true });
    removeStaleLogs();
    const apiLogFile = path.join(LOG_DIR, `api-${process.pid}.log`);

    // The API's configuration as in production: the project's variables (DB_POOL_*, LOG_LEVEL,
    // AUTO_APPROVE_REFERRALS, ...) from the environment, pointed at the bench's servers.
    const config = loadConfig({
      ...process.env,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: infra.databaseUrl,
      TEMPORAL_ADDRESS: infra.temporal.address,
      TEMPORAL_NAMESPACE: infra.temporal.namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      // the load comes from one address at hundreds of submissions a second: what is measured is
      // the API's work, not its limiter refusing it
      RATE_LIMIT_ENABLED: 'false',
    });
    const db: Db = createDb(infra.databaseUrl, { ssl: config.database.ssl, pool: config.database.pool });
    cleanups.push(() => db.destroy());
    const profiler = new Profiler(profileOn);
    if (profileOn) profiler.attachDb(db);

    // ---- referrers
    const referrerCodes: string[] = [];
    for (let i = 0; i < options.referrers; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, options.referrers - i) }, (_, j) =>
          createCustomer(db, {
            bebsy_customer_id: `bench-${runTag}-${i + j}`,
            name: `Referrer ${i + j}`,
            email: `referrer-${runTag}-${i + j}@bench.example.nl`,
            locale: 'nl',
          }),
        ),
      );
      for (const r of batch) {
        if (r.kind !== 'created') throw new Error(`could not create a referrer: ${r.field} conflict`);
        referrerCodes.push(r.customer.referral_code);
      }
    }

    // ---- Temporal client (one, shared by the API and the direct side) and the API
    const connection = await Connection.connect({ address: infra.temporal.address });
    cleanups.push(() => connection.close());
    const client = new Client({
      connection,
      namespace: config.temporal.namespace,
      interceptors: profileOn ? { workflow: [profiler.workflowInterceptor()] } : undefined,
    });
    const app: ApiApp = await buildApi({
      config,
      db,
      temporal: { client, namespace: config.temporal.namespace, taskQueue, webUrl: config.temporal.webUrl },
      // The app's own logger settings (as api/server.ts gets them), written to a file instead of stdout.
      logger: config.logLevel === 'silent' ? false : { ...apiLoggerOptions(config.logLevel), stream: apiLogDestination(apiLogFile) },
    });
    cleanups.push(() => app.close());
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('the API did not listen on a TCP port');
    const url = `http://127.0.0.1:${address.port}/api/referrals`;

    const postgresDataDir = await (async () => {
      try {
        return (await db.raw<{ rows: { data_directory: string }[] }>('SHOW data_directory')).rows[0].data_directory;
      } catch {
        return null;
      }
    })();

    console.log(
      `postgres  ${infra.postgres.version}, ${infra.postgres.source}, fresh database; knex pool min ${config.database.pool.min} max ${config.database.pool.max}`,
    );
    console.log(`temporal  ${infra.temporalInfo.version} dev server at ${infra.temporal.address}, ${infra.temporalInfo.storage}`);
    console.log(`          (file-backed: what \`npm start\` runs; --temporal-db memory for what \`npm test\` runs)`);
    console.log(
      `api       buildApi() listening on ${url}; LOG_LEVEL=${config.logLevel}${config.logLevel === 'silent' ? '' : ` -> ${apiLogFile}`}; task queue ${taskQueue}`,
    );
    console.log(`worker    none, for either side: both measure submission (the start is accepted and the workflow task`);
    console.log(`          queued); a worker would compete for the same 2 cores and make each side's figure depend on the`);
    console.log(`          backlog it happens to be draining`);
    console.log(`clients   API: autocannon 9 (closed loop) / paced node:http keep-alive (open loop) in a child process;`);
    console.log(`          direct: ${options.concurrency} async loops on the Temporal client in this process`);
    console.log(`referrers ${referrerCodes.length} pre-created; every request a new friend email`);
    if (profileOn) console.log('profile   ON: knex query/pool timings and a workflow-start interceptor are attached');

    // ---- sanity: one submission each way, and the API's workflow really exists
    const direct = directStarter(client, taskQueue, config.referrals, referrerCodes, runTag);
    const probe = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ referrer_code: referrerCodes[0], new_customer_email: `probe-${runTag}@bench.example.nl` }),
    });
    const probeBody = (await probe.json()) as { id?: string; status?: string };
    if (probe.status !== 201 || !probeBody.id)
      throw new Error(`the probe submission answered ${probe.status}: ${JSON.stringify(probeBody)}`);
    const probeRow = await db('referrals').where({ id: probeBody.id }).first<{ workflow_id: string }>('workflow_id');
    const described = await client.workflow.getHandle(probeRow.workflow_id).describe();
    if (described.type !== 'referralLifecycle' || described.taskQueue !== taskQueue) {
      throw new Error(`the probe's workflow is ${described.type} on ${described.taskQueue}`);
    }
    const directProbe = await direct.run(1, 0.001);
    if (directProbe.ok < 1) throw new Error(`the direct probe start failed: ${directProbe.firstError}`);

    const generator = new Generator();
    cleanups.push(() => generator.stop());
    await generator.setup(referrerCodes, runTag);
    const cpuMeter = new CpuMeter({ generator: () => generator.pid, postmaster: findPostmaster(postgresDataDir) });

    // ---- warm-up (both sides, not measured)
    // autocannon ends a run by closing its connections: the requests then in flight (at most
    // `concurrency`) still run to the end in the API without an answer being counted. Wait for
    // them before the next phase, and allow for them in the integrity check.
    let abandonedAllowance = 0;
    const settle = async () => {
      abandonedAllowance += options.concurrency;
      const count = async () => Number((await db('referrals').count<{ count: string }[]>({ count: '*' }))[0].count);
      let last = await count();
      for (let i = 0; i < 50; i++) {
        await new Promise((r) => setTimeout(r, 150));
        const now = await count();
        if (now === last) break;
        last = now;
      }
      await new Promise((r) => setTimeout(r, 150));
    };

    // Every 2xx answer is a stored referral and a started workflow: counted for the integrity check.
    let apiCreated = 1; // the probe
    let directStarted = directProbe.ok;
    if (options.warmupSeconds > 0) {
      log(`warm-up ${options.warmupSeconds}s per side`);
      directStarted += (await direct.run(options.concurrency, options.warmupSeconds)).ok;
      apiCreated += (await generator.closed(url, options.concurrency, options.warmupSeconds)).ok;
      await settle();
    }

    // ---- saturation rounds: both sides per round, the order alternating (AB BA AB ...) so that
    // neither side always runs second (after the other's backlog, on a warmer or a busier machine)
    const runs: SideRun[] = [];
    let cpuProfileSummary: string | null = null;
    const roundOrder = (round: number) => (round % 2 === 1 ? (['direct', 'api'] as const) : (['api', 'direct'] as const));
    for (let round = 1; round <= options.rounds; round++) {
      for (const side of roundOrder(round)) {
        profiler.begin();
        const before = cpuMeter.sample();
        let run: SideRun;
        if (side === 'direct') {
          const r = await direct.run(options.concurrency, options.durationSeconds);
          directStarted += r.ok;
          const lat = summarise(r.latency);
          run = {
            round,
            side,
            ok: r.ok,
            failed: r.errors,
            seconds: r.seconds,
            p50: lat.p50,
            p99: lat.p99,
            failures: failureText({}, r.errors, r.firstError),
            cpu: null,
            profile: profiler.end(),
          };
        } else {
          const v8 = options.cpuProfile && round === options.rounds ? new CpuProfiler() : null;
          await v8?.start();
          const r = await generator.closed(url, options.concurrency, options.durationSeconds);
          if (v8) cpuProfileSummary = await v8.stop(path.join(LOG_DIR, `api-saturation-${process.pid}.cpuprofile`), r.ok);
          await settle();
          const failed =
            Object.entries(r.statusCounts)
              .filter(([c]) => !c.startsWith('2'))
              .reduce((s, [, n]) => s + n, 0) + r.errors;
          apiCreated += r.ok;
          run = {
            round,
            side,
            ok: r.ok,
            failed,
            seconds: r.seconds,
            p50: r.latency.p50,
            p99: r.latency.p99,
            failures: failureText(r.statusCounts, r.errors),
            cpu: null,
            profile: profiler.end(),
          };
        }
        run.cpu = CpuMeter.usage(before, cpuMeter.sample());
        runs.push(run);
        log(
          `round ${round} ${side.padEnd(6)} ${perSecond(run.ok / run.seconds)} (${run.ok} in ${run.seconds.toFixed(1)}s, p50 ${ms(run.p50)}, p99 ${ms(run.p99)})${run.failed ? ` FAILURES: ${run.failures}` : ''}`,
        );
      }
    }
    const directPhase = aggregate(runs.filter((r) => r.side === 'direct'));
    const apiPhase = aggregate(runs.filter((r) => r.side === 'api'));
    const directRate = directPhase.requests / directPhase.seconds;
    const apiRate = apiPhase.requests / apiPhase.seconds;
    const pooledRatio = apiRate / directRate;
    const rate = (r: SideRun | undefined) => (r ? r.ok / r.seconds : Number.NaN);
    const rounds = Array.from({ length: options.rounds }, (_, i) => {
      const round = i + 1;
      const directRound = rate(runs.find((r) => r.round === round && r.side === 'direct'));
      const apiRound = rate(runs.find((r) => r.round === round && r.side === 'api'));
      return { round, order: roundOrder(round), direct: directRound, api: apiRound, ratio: apiRound / directRound };
    });
    // The judged ratio: the median of the rounds' own ratios (a burst of other load in one run
    // moves one round, not the verdict; a pooled ratio would weigh the longest or fastest runs).
    const ratio = median(rounds.map((r) => r.ratio));
    const roundsBelow = rounds.filter((r) => !(r.ratio >= options.targetRatio)).length;

    // ---- open loop: the API at a fraction of its own saturation rate
    const openRate = Math.max(1, apiRate * options.latencyRateFraction);
    log(`open loop: API at ${perSecond(openRate)} for ${options.latencySeconds}s`);
    profiler.begin();
    const openBefore = cpuMeter.sample();
    const open = await generator.open(url, openRate, OPEN_LOOP_WARMUP_SECONDS, options.latencySeconds, options.latencyConnections);
    const openCpu = CpuMeter.usage(openBefore, cpuMeter.sample());
    const openProfile = profiler.end();
    apiCreated += open.okIncludingWarmup;

    log(`open loop: direct at the same rate for ${options.latencySeconds}s (the baseline's latency, for comparison)`);
    profiler.begin();
    const directOpenBefore = cpuMeter.sample();
    const directOpen = await direct.paced(openRate, OPEN_LOOP_WARMUP_SECONDS, options.latencySeconds);
    const directOpenCpu = CpuMeter.usage(directOpenBefore, cpuMeter.sample());
    const directOpenProfile = profiler.end();
    directStarted += directOpen.okIncludingWarmup;
    const directOpenLatency = summarise(directOpen.latency);
    const directOpenService = summarise(directOpen.serviceTime);

    // ---- integrity: every 2xx API answer is a stored referral, every start a workflow on the queue
    const storedReferrals = Number((await db('referrals').count<{ count: string }[]>({ count: '*' }))[0].count);
    const workflows = await countWorkflows(client, taskQueue, storedReferrals + directStarted);

    // ---- report
    const failedShare = (ok: number, failed: number) => (ok + failed === 0 ? 1 : failed / (ok + failed));
    const broken = runs.filter((r) => failedShare(r.ok, r.failed) > MAX_ERROR_SHARE);
    const openFailed = missCount(open.misses);
    const directOpenFailed = missCount(directOpen.misses);
    const openBroken = failedShare(open.ok, openFailed) > MAX_ERROR_SHARE || failedShare(directOpen.ok, directOpenFailed) > MAX_ERROR_SHARE;
    // How many misses the judged percentile can absorb: a miss is an infinite latency, so p99 stays
    // finite only while the misses are at most 1 % of the measured requests (nearest rank).
    const missesAllowed = (sent: number) => sent - Math.ceil(0.99 * sent);
    // a number, or the percentile is no pass (a lost Infinity must not compare as 0)
    const p99Met = typeof open.latency.p99 === 'number' && open.latency.p99 <= options.targetP99Ms;

    console.log('');
    console.log(`Saturation runs (closed loop, ${options.concurrency} requests in flight)`);
    console.log(
      table(
        [
          ['round', 'side', 'ok', 'seconds', 'throughput', 'p50', 'p99', 'event loop', 'others (cores)', 'failures'],
          ...runs.map((r) => [
            String(r.round),
            r.side === 'api' ? 'API (HTTP)' : 'direct',
            String(r.ok),
            r.seconds.toFixed(1),
            perSecond(r.ok / r.seconds),
            ms(r.p50),
            ms(r.p99),
            `${(r.profile.eventLoop * 100).toFixed(0)}%`,
            r.cpu ? r.cpu.cores.other.toFixed(2) : 'n/a',
            r.failures || '-',
          ]),
        ],
        ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
      ),
    );

    console.log('');
    console.log(`Rounds (the judged ratio is the median of these; target >= ${options.targetRatio.toFixed(2)})`);
    console.log(
      table(
        [
          ['round', 'order', 'direct', 'API', 'ratio API / direct', 'vs target'],
          ...rounds.map((r) => [
            String(r.round),
            r.order.map((side) => (side === 'api' ? 'API' : 'direct')).join(' then '),
            perSecond(r.direct),
            perSecond(r.api),
            r.ratio.toFixed(3),
            r.ratio >= options.targetRatio ? 'above' : 'BELOW',
          ]),
        ],
        ['l', 'l', 'r', 'r', 'r', 'l'],
      ),
    );

    console.log('');
    console.log('CPU by process (cores used on average; CPU ms per request). postgres = the whole server, its other clients included;');
    console.log('others = every other process on the machine.');
    const cpuRow = (label: string, cpu: CpuUsage | null, rate: number) => {
      if (!cpu) return [label, 'n/a', '', '', '', '', '', ''];
      const c = cpu.cores;
      const cell = (v: number) => `${v.toFixed(2)} (${((v * 1000) / rate).toFixed(2)})`;
      const total = c.bench + c.generator + c.temporal + c.postgres;
      return [
        label,
        cell(c.bench),
        cell(c.generator),
        cell(c.temporal),
        cell(c.postgres),
        cell(total),
        c.other.toFixed(2),
        `${cpu.machineCores}`,
      ];
    };
    console.log(
      table(
        [
          ['phase', 'bench process', 'load generator', 'temporal server', 'postgres', 'total', 'others', 'of cores'],
          cpuRow('direct (saturation)', directPhase.cpu, directRate),
          cpuRow('API (saturation)', apiPhase.cpu, apiRate),
          cpuRow('API (open loop)', openCpu, open.ok / open.seconds),
          cpuRow('direct (open loop)', directOpenCpu, directOpen.ok / directOpen.seconds),
        ],
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );

    const busiest = Math.max(...[directPhase.cpu, apiPhase.cpu, openCpu, directOpenCpu].map((c) => c?.cores.other ?? 0));
    if (busiest > 0.25) {
      console.log(
        `WARNING: other processes on this machine used up to ${busiest.toFixed(2)} of its ${os.availableParallelism()} cores during a measured phase ` +
          `("others" above): the figures are lower and noisier than on a quiet machine.`,
      );
    }

    if (profileOn) {
      console.log('');
      console.log('Profile: time per request inside the bench process (ms, averaged over the phase)');
      const prof = (label: string, p: PhaseProfile, requests: number) => [
        label,
        (p.queries / requests).toFixed(2),
        (p.queryMs / requests).toFixed(2),
        (p.poolWaitMs / requests).toFixed(2),
        p.poolWaitMaxMs.toFixed(1),
        (p.startMs / Math.max(1, p.starts)).toFixed(2),
        p.startMaxMs.toFixed(1),
        `${(p.eventLoop * 100).toFixed(0)}%`,
      ];
      console.log(
        table(
          [
            ['phase', 'queries/req', 'query ms/req', 'pool wait ms/req', 'pool wait max', 'start ms (mean)', 'start max', 'event loop'],
            prof('direct (saturation)', sumProfiles(runs.filter((r) => r.side === 'direct')), directPhase.requests),
            prof('API (saturation)', sumProfiles(runs.filter((r) => r.side === 'api')), apiPhase.requests),
            prof('API (open loop)', openProfile, open.ok + OPEN_LOOP_WARMUP_SECONDS * openRate),
            prof('direct (open loop)', directOpenProfile, directOpen.ok + OPEN_LOOP_WARMUP_SECONDS * openRate),
          ],
          ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
        ),
      );
    }

    if (cpuProfileSummary) {
      console.log('');
      console.log(cpuProfileSummary);
    }

    const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');
    console.log('');
    console.log('Result');
    console.log(
      table(
        [
          ['measure', 'value', 'target', 'result'],
          [`direct: Temporal client start, ${options.concurrency} in flight`, perSecond(directRate), '', ''],
          [`API: POST /api/referrals, ${options.concurrency} in flight`, perSecond(apiRate), '', ''],
          [
            'ratio API / direct: median of the rounds',
            ratio.toFixed(3),
            `>= ${options.targetRatio.toFixed(2)}`,
            verdict(ratio >= options.targetRatio),
          ],
          [
            '  rounds (in order); below the target',
            `${rounds.map((r) => r.ratio.toFixed(2)).join(' ')}; ${roundsBelow} of ${rounds.length}`,
            '',
            '',
          ],
          ['  pooled (all API requests / all direct ones)', pooledRatio.toFixed(3), '', ''],
          [
            `API open loop at ${options.latencyRateFraction} x its saturation`,
            `${perSecond(open.targetRate)} (achieved ${perSecond(open.ok / open.seconds)}, ${open.ok} ok of ${open.sent})`,
            '',
            '',
          ],
          ['  latency from the scheduled send, p50', ms(open.latency.p50), '', ''],
          ['  latency from the scheduled send, p95', ms(open.latency.p95), '', ''],
          ['  latency from the scheduled send, p99', ms(open.latency.p99), `<= ${options.targetP99Ms} ms`, verdict(p99Met)],
          ['  latency from the scheduled send, max', ms(open.latency.max), '', ''],
          [
            '  misses (each an infinite latency)',
            `${openFailed} of ${open.sent} (p99 allows ${missesAllowed(open.sent)}): ${missText(open.misses)}`,
            '',
            '',
          ],
          [
            '  not judged: from the actual send, 2xx only, p50 / p99',
            `${ms(open.serviceTime.p50)} / ${ms(open.serviceTime.p99)} (send lateness p99 ${ms(open.sendLag.p99)}, max in flight ${open.maxInFlight})`,
            '',
            '',
          ],
          [
            `direct open loop at the same rate (baseline)`,
            `${perSecond(openRate)} (achieved ${perSecond(directOpen.ok / directOpen.seconds)}, ${directOpen.ok} ok of ${directOpen.sent})`,
            '',
            '',
          ],
          [
            '  latency from the scheduled call, p50 / p95 / p99',
            `${ms(directOpenLatency.p50)} / ${ms(directOpenLatency.p95)} / ${ms(directOpenLatency.p99)}`,
            '',
            '',
          ],
          ['  latency from the scheduled call, max', ms(directOpenLatency.max), '', ''],
          ['  misses', `${directOpenFailed} of ${directOpen.sent}: ${missText(directOpen.misses)}`, '', ''],
          ['  not judged: from the actual call, p50 / p99', `${ms(directOpenService.p50)} / ${ms(directOpenService.p99)}`, '', ''],
        ],
        ['l', 'r', 'l', 'l'],
      ),
    );
    console.log(
      `integrity: ${storedReferrals} referral rows for ${apiCreated} API 2xx answers (probe, warm-up, measured; ` +
        `+ up to ${abandonedAllowance} requests in flight when autocannon stopped); ${workflows ?? 'n/a'} workflows on the task queue ` +
        `for ${storedReferrals} referrals + ${directStarted} direct starts; ` +
        `open-loop misses: ${openFailed ? missText(open.misses) : 'none'}`,
    );

    if (options.lcpRows > 0) {
      await benchUiLcp({
        db,
        databaseUrl: infra.databaseUrl,
        baseUrl: `http://127.0.0.1:${address.port}`,
        rows: options.lcpRows,
        runs: options.lcpRuns,
        log,
      });
    }

    if (broken.length || openBroken) {
      console.error(
        `[bench] BROKEN: more than ${MAX_ERROR_SHARE * 100}% of requests failed in ${[...broken.map((r) => `round ${r.round} ${r.side}`), ...(openBroken ? ['the open loop'] : [])].join(', ')}; the figures above do not measure successful submissions`,
      );
      return 1;
    }
    if (storedReferrals < apiCreated || storedReferrals > apiCreated + abandonedAllowance) {
      console.error(
        `[bench] BROKEN: ${apiCreated} API answers were 2xx (+ up to ${abandonedAllowance} abandoned) but ${storedReferrals} referrals are stored`,
      );
      return 1;
    }
    if (workflows !== null && workflows !== storedReferrals + directStarted) {
      console.error(
        `[bench] BROKEN: ${storedReferrals} referrals + ${directStarted} direct starts, but the task queue holds ${workflows} workflows`,
      );
      return 1;
    }
    return 0;
  } finally {
    await cleanups.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exit(2);
    }
    console.error(`[bench] the bench broke: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
