import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { Webhook } from 'standardwebhooks';
import { buildApi, type ApiApp } from '../../api/app.js';
import { loadConfig, type Config } from '../../config/env.js';
import { ensureInitialAdmin } from '../../db/repositories/admin-users.js';
import { createDb, type Db } from '../../db/knex.js';
import { migrateToLatest } from '../../db/migrate.js';
import { dropDatabase, ensureDatabase } from '../../scripts/databases.js';
import { createWorkerActivities, type WorkerActivities } from '../../activities/index.js';
import { createReferralWorker } from '../../worker/create-worker.js';

export const testEnv = {
  databaseUrl: required('TEST_DATABASE_URL'),
  temporalAddress: required('TEST_TEMPORAL_ADDRESS'),
};

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with \`npm test\`, which starts Postgres and Temporal`);
  return value;
}

let runtimeInstalled = false;
/** Keeps the SDK's own logs to warnings so test output stays readable. */
export function quietTemporalRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  runtimeInstalled = true;
}

export interface TestSystem {
  config: Config;
  db: Db;
  app: ApiApp;
  client: Client;
  taskQueue: string;
  worker: Worker | null;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export interface TestSystemOptions {
  /** Start the worker now (default), or leave the task queue without one (`startWorker()` later). */
  worker?: boolean;
  databaseUrl?: string;
  /** Variables only the worker sees on top of `env`, as when the API and the worker are configured apart. */
  workerEnv?: Record<string, string>;
  /** Activities of the worker replaced by the test's own, built around the real ones (e.g. to hold one). */
  activities?: (real: WorkerActivities) => Partial<WorkerActivities>;
  /**
   * 'raised' (default): every rate limit far above what a test sends from its one address, so
   * suites that sign in or submit many times are not cut off; 'real': the configured limits
   * (the defaults, or the RATE_LIMIT_* variables in `env`), for the tests of the limits.
   */
  rateLimits?: 'raised' | 'real';
}

/** Rate limits no test reaches: the limiter runs (headers and all), but never answers 429. */
export const RAISED_RATE_LIMITS: Record<string, string> = Object.fromEntries(
  ['API', 'ADMIN', 'LOGIN_IP', 'LOGIN_ACCOUNT', 'REFERRAL_FORM', 'CODE_LOOKUP', 'WEBHOOKS'].map((name) => [
    `RATE_LIMIT_${name}`,
    '1000000/1m',
  ]),
);

/**
 * The real system against the shared Postgres and Temporal dev server: API (in-process via
 * inject), a worker on a task queue of its own, and the config from the given environment.
 */
export async function startTestSystem(
  env: Record<string, string> = {},
  {
    worker: withWorker = true,
    databaseUrl = testEnv.databaseUrl,
    workerEnv = {},
    activities,
    rateLimits = 'raised',
  }: TestSystemOptions = {},
): Promise<TestSystem> {
  quietTemporalRuntime();
  const taskQueue = `test-${randomUUID()}`;
  const baseEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...(rateLimits === 'raised' && RAISED_RATE_LIMITS),
    ...env,
  };
  const config = loadConfig(baseEnv);
  const workerConfig = loadConfig({ ...baseEnv, ...workerEnv });
  const db = createDb(databaseUrl);
  await ensureInitialAdmin(db, config.auth.adminUsername, config.auth.adminPassword, false);
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const app = await buildApi({
    config,
    db,
    temporal: { client, namespace: config.temporal.namespace, taskQueue, webUrl: config.temporal.webUrl },
    logger: false,
  });
  const nativeConnection = await NativeConnection.connect({ address: testEnv.temporalAddress });

  let running: Promise<void> | null = null;
  const system: TestSystem = {
    config,
    db,
    app,
    client,
    taskQueue,
    worker: null,
    async startWorker() {
      const dependencies = { db, policy: workerConfig.referrals, email: workerConfig.email };
      const real = activities && createWorkerActivities(dependencies);
      system.worker = await createReferralWorker({
        connection: nativeConnection,
        namespace: config.temporal.namespace,
        taskQueue,
        ...dependencies,
        ...(real && activities && { overrides: { activities: { ...real, ...activities(real) } } }),
      });
      running = system.worker.run();
    },
    async stopWorker() {
      if (!system.worker) return;
      system.worker.shutdown();
      await running;
      system.worker = null;
    },
    async close() {
      await system.stopWorker();
      await app.close();
      await nativeConnection.close();
      await connection.close();
      await db.destroy();
    },
  };
  if (withWorker) await system.startWorker();
  return system;
}

export async function adminToken(app: ApiApp, username = 'admin', password = 'admin123'): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  return res.json().token;
}

export const unique = (prefix = 'x') => `${prefix}${randomUUID().replace(/-/g, '').slice(0, 12)}`;

export async function createCustomer(
  app: ApiApp,
  token: string,
  overrides: Partial<{ name: string; email: string; bebsy_customer_id: string }> = {},
) {
  const id = unique('C');
  const res = await app.inject({
    method: 'POST',
    url: '/api/customers',
    headers: { authorization: `Bearer ${token}` },
    payload: { bebsy_customer_id: id, name: 'Jan de Vries', email: `${id.toLowerCase()}@example.nl`, ...overrides },
  });
  if (res.statusCode !== 201) throw new Error(`create customer failed: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; referral_code: string; email: string };
}

/** Signs a booking webhook the way a booking system does (Standard Webhooks). */
export function signedWebhook(secret: string, body: unknown, { id = `msg_${randomUUID()}`, timestamp = new Date() } = {}) {
  const payload = JSON.stringify(body);
  const signature = new Webhook(secret).sign(id, timestamp, payload);
  return {
    payload,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signature,
    },
  };
}

/** Polls until the check answers something truthy (the workflow works asynchronously). */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  { timeoutMs = 15_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A fresh, migrated database of its own on the test server, for a test that needs an empty one. */
export async function withEmptyDatabase<T>(fn: (databaseUrl: string) => Promise<T>): Promise<T> {
  const name = `bebsy_test_empty_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const url = await ensureDatabase(testEnv.databaseUrl, name);
  const db = createDb(url);
  try {
    await migrateToLatest(db);
    await db.destroy();
    return await fn(url);
  } finally {
    await dropDatabase(testEnv.databaseUrl, name);
  }
}
