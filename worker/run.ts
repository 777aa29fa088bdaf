import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import type { Config } from '../config/env.js';
import { waitForDatabase } from '../db/connect.js';
import type { Db } from '../db/knex.js';
import { BUSINESS_TIME_ZONE } from '../domain/amsterdam-time.js';
import { waitUntilAvailable } from '../domain/retry.js';
import { temporalConnectionOptions } from '../temporal-config/connection.js';
import { ensureApprovalDigestSchedule, ensureBackupSchedule, ensureHousekeepingSchedule } from '../temporal-config/schedules.js';
import { isTemporalUnavailable } from '../temporal-config/unavailable.js';
import { createReferralWorker } from './create-worker.js';
import { startWorkerMetrics } from './metrics.js';

let runtimeInstalled = false;

/** Installs the SDK runtime once per process, before any connection is made. */
export function installTemporalRuntime(config: Config): void {
  if (runtimeInstalled) return;
  const level = config.logLevel === 'debug' || config.logLevel === 'trace' ? 'DEBUG' : 'WARN';
  Runtime.install({
    logger: new DefaultLogger(level),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: level }) },
      // the SDK's own Prometheus endpoint (temporal_* metrics: task slots, polls, failures, latencies)
      ...(config.metrics.temporalSdkAddress && {
        metrics: { prometheus: { bindAddress: config.metrics.temporalSdkAddress, useSecondsForDurations: true } },
      }),
    },
    shutdownSignals: [],
  });
  runtimeInstalled = true;
}

/** Starts the referral worker; `stop()` drains it (shutdownGraceTime) and closes the connection. */
export async function startWorker(config: Config, db: Db, temporalAddress: string) {
  installTemporalRuntime(config);
  await waitForDatabase(db);
  const connection = await waitUntilAvailable(
    `Temporal at ${temporalAddress}`,
    () => NativeConnection.connect(temporalConnectionOptions(config, temporalAddress)),
    {
      isUnavailable: isTemporalUnavailable,
      log: (line) => console.warn(line),
    },
  );
  const worker = await createReferralWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    db,
    policy: config.referrals,
    email: config.email,
    backups: { config: config.backups, ssl: config.database.ssl },
    housekeeping: config.housekeeping,
  });
  const metrics = config.metrics.workerPort === null ? null : await startWorkerMetrics(db, config.metrics.workerPort);
  const running = worker.run();
  // The worker that runs the digest workflow keeps its Schedule in line with APPROVAL_DIGEST_CRON.
  let digestSchedule: Awaited<ReturnType<typeof ensureApprovalDigestSchedule>>;
  let backupSchedule: typeof digestSchedule;
  let housekeepingSchedule: typeof digestSchedule;
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    digestSchedule = await ensureApprovalDigestSchedule(client, config);
    // and the nightly backup (BACKUP_CRON) and housekeeping (HOUSEKEEPING_CRON) Schedules alike
    backupSchedule = await ensureBackupSchedule(client, config);
    housekeepingSchedule = await ensureHousekeepingSchedule(client, config);
  } catch (error) {
    worker.shutdown();
    await running.catch(() => undefined);
    await metrics?.close();
    await connection.close();
    throw error;
  }
  return {
    worker,
    running,
    digestSchedule,
    backupSchedule,
    housekeepingSchedule,
    metricsPort: metrics?.port ?? null,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await metrics?.close();
      await connection.close();
    },
  };
}

export type StartedWorker = Awaited<ReturnType<typeof startWorker>>;

/** One line per Schedule the worker keeps (for the start-up output): what it does, when, or that it is off. */
export function scheduleLines(
  config: Config,
  worker: Pick<StartedWorker, 'digestSchedule' | 'backupSchedule' | 'housekeepingSchedule'>,
): string[] {
  const line = (name: string, outcome: string, cron: string | null, variable: string, what = '') =>
    cron ? `${name} schedule ${outcome}: "${cron}" ${BUSINESS_TIME_ZONE}${what}` : `${name} off (${variable}=off)`;
  const { backups } = config;
  const target = backups.s3 ? ` to s3://${backups.s3.bucket}` : ` to ${backups.dir}`;
  return [
    line('approval digest', worker.digestSchedule, config.approvalDigest.cron, 'APPROVAL_DIGEST_CRON'),
    line(
      'nightly backup',
      worker.backupSchedule,
      backups.cron,
      'BACKUP_CRON',
      `${target}, each drilled, kept ${backups.retentionDays} days`,
    ),
    line('housekeeping', worker.housekeepingSchedule, config.housekeeping.cron, 'HOUSEKEEPING_CRON'),
  ];
}
