/**
 * The dashboards and alerts against a real Prometheus (Debian's `prometheus` package: the
 * server and promtool; .ci/run installs it):
 *   - promtool checks the rules and the compose scrape config and runs the alerts' unit tests
 *     (deploy/prometheus/tests/: each alert fires on the bad series, stays quiet on the good);
 *   - the API (api/main.ts) and the worker (worker/main.ts) run as their own processes, with
 *     their metrics endpoints on, and get real traffic: sign-in, customers, submissions (one
 *     flagged), a booking webhook that takes a referral to paid, code lookups, an import row,
 *     and emails towards a provider that does not answer (activity failures, retried);
 *   - Prometheus scrapes them every second with the project's alert rules loaded, then every
 *     panel query of every dashboard in deploy/grafana/dashboards/ must return a series, and
 *     every rule must evaluate without an error.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../scripts/infra/free-port.js';
import { projectRoot } from '../scripts/infra/temporal-binaries.js';
import { bookingBody } from './support/http.js';
import { multipartBody } from './support/imports.js';
import { signedWebhook, testEnv, withEmptyDatabase } from './support/system.js';

const PROMETHEUS = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';
const PROMTOOL = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';
const DEPLOY = path.join(projectRoot, 'deploy');
const DASHBOARDS = path.join(DEPLOY, 'grafana', 'dashboards');
const RULES = path.join(DEPLOY, 'prometheus', 'rules', 'bebsy.rules.yml');
const ADMIN_PASSWORD = 'Zeilboot-Harlingen-2026!';

// Without the binaries the suite says how to get them; in CI (which installs them) it fails.
const missing = [PROMETHEUS, PROMTOOL].filter((file) => !existsSync(file));
const skip = missing.length > 0 && !process.env.CI ? `${missing.join(', ')} missing: apt-get install prometheus (.ci/run does)` : false;

function promtool(...args: string[]) {
  const r = spawnSync(PROMTOOL, args, { cwd: path.join(DEPLOY, 'prometheus'), encoding: 'utf8' });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('Prometheus rules: promtool', { skip }, () => {
  it('checks the rules and the compose scrape config', () => {
    const rules = promtool('check', 'rules', RULES);
    assert.equal(rules.code, 0, rules.output);
    const config = promtool('check', 'config', '--syntax-only', path.join(DEPLOY, 'prometheus', 'prometheus.yml'));
    assert.equal(config.code, 0, config.output);
  });

  it('unit-tests every alert (promtool test rules), and every alert has a test', () => {
    const tests = promtool('test', 'rules', 'tests/bebsy.rules.test.yml');
    assert.equal(tests.code, 0, tests.output);
    const alerts = [...readFileSync(RULES, 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    const tested = readFileSync(path.join(DEPLOY, 'prometheus', 'tests', 'bebsy.rules.test.yml'), 'utf8');
    const untested = alerts.filter((name) => !new RegExp(`alertname: ${name}\\b[\\s\\S]*?exp_alerts:\\s*\\n\\s*- exp_labels`).test(tested));
    assert.deepEqual(untested, [], 'each alert has a test where it fires');
    const neverQuiet = alerts.filter((name) => !tested.includes(`alertname: ${name}, exp_alerts: [] }`));
    assert.deepEqual(neverQuiet, [], 'each alert has a test where it stays quiet');
  });
});

interface Child {
  name: string;
  process: ChildProcess;
  output: string[];
}

function start(name: string, script: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { name, process: child, output };
}

async function stop(child: Child | undefined) {
  if (!child || child.process.exitCode !== null) return;
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function until<T>(
  what: string,
  check: () => Promise<T | undefined | null | false>,
  children: Child[],
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = children.find((c) => c.process.exitCode !== null);
    if (dead)
      throw new Error(`${dead.name} exited (${dead.process.exitCode}) while waiting for ${what}:\n${dead.output.join('').slice(-3000)}`);
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not within ${timeoutMs / 1000} s\n${children.map((c) => `--- ${c.name}\n${c.output.join('').slice(-1500)}`).join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Every panel query of every provisioned dashboard, Grafana's variables given the values Grafana would. */
function dashboardQueries(): { dashboard: string; panel: string; expr: string }[] {
  const queries = [];
  for (const file of readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json'))) {
    const dashboard = JSON.parse(readFileSync(path.join(DASHBOARDS, file), 'utf8')) as {
      title: string;
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        queries.push({ dashboard: dashboard.title, panel: panel.title, expr: target.expr.replaceAll('$__rate_interval', '1m') });
      }
    }
  }
  return queries;
}

describe('dashboards and alerts against a real Prometheus scraping the API and the worker', { skip }, () => {
  const children: Child[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bebsy-prometheus-'));
  let prometheusUrl = '';
  let releaseDatabase: () => void = () => {};
  let databaseGone: Promise<unknown> = Promise.resolve();

  before(async () => {
    // a database of its own for the duration of the suite
    let databaseUrl = '';
    const ready = new Promise<void>((resolve) => {
      databaseGone = withEmptyDatabase(async (url) => {
        databaseUrl = url;
        resolve();
        await new Promise<void>((release) => (releaseDatabase = release));
      });
    });
    await ready;

    const [apiPort, workerPort, sdkPort, promPort, deadPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const env = {
      NODE_ENV: 'test',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: testEnv.temporalAddress,
      TEMPORAL_TASK_QUEUE: `prometheus-${randomUUID()}`,
      APPROVAL_DIGEST_CRON: 'off',
      ADMIN_PASSWORD,
      BOOKING_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
      AUTO_APPROVE_REFERRALS: 'true',
      REWARD_HOLD_DAYS: '0',
      // emails towards a provider nobody runs: sendEmail fails and is retried (activity failures)
      EMAIL_TRANSPORT: 'resend',
      RESEND_API_KEY: 're_prometheus_test',
      RESEND_BASE_URL: `http://127.0.0.1:${deadPort}`,
      RATE_LIMIT_ENABLED: 'false',
      IMPORT_STORAGE_DIR: path.join(tmp, 'imports'),
    };
    children.push(start('api', 'api/main.ts', { ...env, PORT: String(apiPort), HOST: '127.0.0.1' }));
    children.push(
      start('worker', 'worker/main.ts', {
        ...env,
        WORKER_METRICS_PORT: String(workerPort),
        TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${sdkPort}`,
      }),
    );

    writeFileSync(
      path.join(tmp, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: [${JSON.stringify(RULES)}]`,
        'scrape_configs:',
        `  - { job_name: bebsy-api, static_configs: [{ targets: ['127.0.0.1:${apiPort}'] }] }`,
        `  - { job_name: bebsy-worker, static_configs: [{ targets: ['127.0.0.1:${workerPort}'] }] }`,
        `  - { job_name: bebsy-temporal-sdk, static_configs: [{ targets: ['127.0.0.1:${sdkPort}'] }] }`,
        '',
      ].join('\n'),
    );
    children.push({
      name: 'prometheus',
      output: [],
      process: spawn(
        PROMETHEUS,
        [
          `--config.file=${path.join(tmp, 'prometheus.yml')}`,
          `--storage.tsdb.path=${path.join(tmp, 'data')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      ),
    });
    const prom = children.at(-1)!;
    prom.process.stderr?.on('data', (chunk: Buffer) => {
      prom.output.push(chunk.toString());
      if (prom.output.length > 100) prom.output.shift();
    });
    prometheusUrl = `http://127.0.0.1:${promPort}`;

    // traffic, once the API answers
    const api = `http://127.0.0.1:${apiPort}`;
    await until('the API to be ready', async () => (await fetch(`${api}/api/health/ready`)).ok, children);
    const json = async (url: string, init: RequestInit = {}) => {
      const res = await fetch(`${api}${url}`, { ...init, headers: { 'content-type': 'application/json', ...init.headers } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    let login = await json('/api/auth/login', { method: 'POST', body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    let token = login.body.token as string;
    if ((login.body.user as { must_change_password?: boolean } | undefined)?.must_change_password) {
      login = await json('/api/auth/change-password', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify({ current_password: ADMIN_PASSWORD, new_password: `${ADMIN_PASSWORD}x` }),
      });
      token = login.body.token as string;
    }
    const customer = await json('/api/customers', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ bebsy_customer_id: 'PROM1', name: 'Anna Jansen', email: 'anna.jansen@example.nl' }),
    });
    assert.equal(customer.status, 201, JSON.stringify(customer.body));
    const code = customer.body.referral_code as string;
    await json(`/api/public/referral-codes/${code}`);
    for (const friend of ['bram@example.nl', 'cor@mailinator.com', 'daan@example.nl']) {
      const res = await json('/api/referrals', {
        method: 'POST',
        body: JSON.stringify({ referrer_code: code, new_customer_email: friend }),
      });
      assert.ok([200, 201].includes(res.status), JSON.stringify(res.body));
    }
    const secret = env.BOOKING_WEBHOOK_SECRET;
    const webhook = signedWebhook(
      secret,
      bookingBody('booking.confirmed', { booking_reference: 'BKPROM1', customer_email: 'bram@example.nl' }),
    );
    await until(
      'the booking webhook to be applied',
      async () => {
        const res = await fetch(`${api}/api/webhooks/bookings`, { method: 'POST', headers: webhook.headers, body: webhook.payload });
        return res.ok && ((await res.json()) as { outcome: string }).outcome !== 'pending';
      },
      children,
    );
    await json('/api/referrals', { method: 'GET', headers: { authorization: `Bearer ${token}` } });
    const upload = multipartBody(readFileSync(path.join(projectRoot, 'test', 'fixtures', 'imports', 'utf8-bom-comma.csv')));
    const imported = await fetch(`${api}/api/customers/import`, {
      method: 'POST',
      headers: { ...upload.headers, authorization: `Bearer ${token}` },
      body: upload.payload,
    });
    assert.equal(imported.status, 202, await imported.text());
  });

  after(async () => {
    for (const child of children.reverse()) await stop(child);
    releaseDatabase();
    await databaseGone;
    rmSync(tmp, { recursive: true, force: true });
  });

  const query = async (expr: string) => {
    const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
    return { ok: body.status === 'success', error: body.error, series: body.data?.result.length ?? 0 };
  };

  it('every panel query of every dashboard returns data', async () => {
    // what the traffic makes, scraped twice at least (rate() needs two samples)
    const needed = [
      'max(bebsy_referrals{status="paid"}) > 0',
      'max(bebsy_import_rows{status="completed"}) > 0',
      'sum(temporal_activity_execution_failed)',
      'count_over_time(bebsy_http_request_duration_seconds_count[1m]) > 2',
      'count_over_time(bebsy_business_metrics_up[1m]) > 2',
    ];
    let missing = needed;
    await until(
      'a paid referral, an import, an activity failure and two scrapes of each',
      async () => {
        const results = await Promise.all(needed.map(query));
        missing = needed.filter((_, i) => results[i].series === 0);
        return missing.length === 0;
      },
      children,
      120_000,
    ).catch(async (error: Error) => {
      // what the worker did, to tell a stuck workflow from a slow one
      const seen = await Promise.all(
        ['bebsy_referrals > 0', 'temporal_workflow_task_execution_failed', 'temporal_activity_execution_latency_count'].map(
          async (expr) =>
            `${expr}: ${JSON.stringify((await (await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()).data?.result)}`,
        ),
      ).catch(() => []);
      throw new Error(`still without data: ${missing.join(', ')}\n${seen.join('\n')}\n${error.message}`, { cause: error });
    });
    const queries = dashboardQueries();
    assert.ok(queries.length >= 40, `${queries.length} queries`);
    const empty = [];
    for (const q of queries) {
      const result = await query(q.expr);
      if (!result.ok || result.series === 0) empty.push(`${q.dashboard} / ${q.panel}: ${result.error ?? 'no series'}\n    ${q.expr}`);
    }
    assert.deepEqual(empty, [], `panels without data:\n${empty.join('\n')}`);
  });

  it('every alert rule evaluates against the real series without an error', async () => {
    const rules = await until(
      'every rule evaluated',
      async () => {
        const body = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as {
          data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
        };
        const all = body.data.groups.flatMap((g) => g.rules);
        return all.length > 0 && all.every((r) => r.health !== 'unknown') && all;
      },
      children,
    );
    assert.ok(rules.length >= 13, `${rules.length} rules`);
    assert.deepEqual(
      rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`),
      [],
    );
    // with everything up, nothing is down
    const firing = await query('ALERTS{alertname=~"InstanceDown|DatabaseDown",alertstate="firing"}');
    assert.equal(firing.series, 0);
  });
});
