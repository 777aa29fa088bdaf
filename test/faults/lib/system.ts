import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createDb, type Db } from '../../../db/knex.js';
import { migrateToLatest } from '../../../db/migrate.js';
import { createCustomer } from '../../../db/repositories/customers.js';
import { dropDatabase, ensureDatabase } from '../../../scripts/databases.js';
import { startFakeResend, type FakeResend } from '../../support/fake-resend.js';
import { startFaultyProxy, type FaultyProxy, type ProxiedRequest, type ProxyFault } from '../../support/faulty-proxy.js';
import { startApiProcess, startWorkerProcess, type ApiProcess, type ServiceProcess } from '../../support/processes.js';
import { RAISED_RATE_LIMITS, testEnv } from '../../support/system.js';
import { scenarioDatabasePrefix } from './names.js';

/**
 * The system as production runs it, for one fault scenario: API and worker processes on a
 * database of the scenario's own (so every count is the scenario's), a Temporal server, and
 * email through a faulty proxy in front of the fake Resend. Referrals auto-approve and the
 * reward hold is 0 days, so a confirmed booking runs to `paid` with nobody in the loop.
 */
export interface FaultSystemOptions {
  /** The Postgres server to make the scenario's database on (default: the suite's). */
  postgresUrl?: string;
  /** Default: the suite's dev server. */
  temporalAddress?: string;
  /** Faults between the worker and the email provider (default: every request forwarded). */
  provider?: (request: ProxiedRequest) => ProxyFault;
  /** Variables for the API and worker processes on top of the defaults. */
  env?: Record<string, string>;
}

export interface Referrer {
  code: string;
  email: string;
}

export interface FaultSystem {
  /** The test's own pool on the scenario's database (for the checks, never for the load). */
  db: Db;
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  webhookSecret: string;
  /** What every API and worker process of the scenario gets. */
  env: Record<string, string>;
  resend: FakeResend;
  proxy: FaultyProxy;
  apis: ApiProcess[];
  workers: ServiceProcess[];
  client(): Promise<Client>;
  startApi(name?: string): Promise<ApiProcess>;
  startWorker(name?: string): Promise<ServiceProcess>;
  /** `count` customers to refer their friends, straight into the database (not part of the load). */
  referrers(count: number): Promise<Referrer[]>;
  /** The output tails of every process, for a failure message. */
  outputs(): string;
  close(): Promise<void>;
}

export async function startFaultSystem(options: FaultSystemOptions = {}): Promise<FaultSystem> {
  const serverUrl = options.postgresUrl ?? testEnv.databaseUrl;
  const database = `${scenarioDatabasePrefix()}${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const databaseUrl = await ensureDatabase(serverUrl, database);
  const db = createDb(databaseUrl, { pool: { min: 0, max: 4, idleTimeoutMillis: 1_000, connectionTimeoutMillis: 10_000 } });
  await migrateToLatest(db);
  // Each database numbers its referrals from a range of its own, so ids (and the email keys and
  // invariants keyed by them) never repeat between scenarios sharing one Temporal namespace.
  await db.raw(`SELECT setval(pg_get_serial_sequence('referrals', 'id'), ?)`, [randomInt(1, 1_000_000) * 1_000_000]);

  const resend = await startFakeResend();
  const proxy = await startFaultyProxy(resend.url, options.provider);
  const temporalAddress = options.temporalAddress ?? testEnv.temporalAddress;
  const taskQueue = `faults-${randomUUID()}`;
  const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    BOOKING_WEBHOOK_SECRET: webhookSecret,
    AUTO_APPROVE_REFERRALS: 'true',
    REWARD_HOLD_DAYS: '0',
    EMAIL_TRANSPORT: 'resend',
    RESEND_API_KEY: resend.apiKey,
    RESEND_BASE_URL: proxy.url,
    // The suite's Temporal server is shared by the scenarios: no Schedule for any of them.
    APPROVAL_DIGEST_CRON: 'off',
    ...RAISED_RATE_LIMITS,
    ...options.env,
  };

  let connection: Connection | undefined;
  let client: Client | undefined;
  const system: FaultSystem = {
    db,
    databaseUrl,
    temporalAddress,
    taskQueue,
    webhookSecret,
    env,
    resend,
    proxy,
    apis: [],
    workers: [],
    async client() {
      connection ??= await Connection.connect({ address: temporalAddress });
      client ??= new Client({ connection });
      return client;
    },
    async startApi(name = `api-${system.apis.length + 1}`) {
      const api = await startApiProcess(env, { name });
      system.apis.push(api);
      return api;
    },
    async startWorker(name = `worker-${system.workers.length + 1}`) {
      const worker = await startWorkerProcess(env, { name });
      system.workers.push(worker);
      return worker;
    },
    async referrers(count) {
      const created: Referrer[] = [];
      for (let i = 0; i < count; i++) {
        const id = `F${randomUUID().replace(/-/g, '').slice(0, 12)}`;
        const result = await createCustomer(db, {
          bebsy_customer_id: id,
          name: `Referrer ${i}`,
          email: `${id.toLowerCase()}@example.nl`,
          locale: 'nl',
        });
        if (result.kind !== 'created') throw new Error(`could not create referrer ${id}: ${result.field} taken`);
        created.push({ code: result.customer.referral_code, email: result.customer.email });
      }
      return created;
    },
    outputs() {
      return [...system.apis, ...system.workers].map((p) => `--- ${p.name} (pid ${p.pid}) ---\n${p.output()}`).join('\n');
    },
    async close() {
      await Promise.all([...system.apis, ...system.workers].map((p) => p.stop()));
      await connection?.close();
      await proxy.close();
      await resend.close();
      await db.destroy();
      await dropDatabase(serverUrl, database).catch(() => undefined);
    },
  };
  return system;
}
