/**
 * `npm run backup`: runs the databaseBackup workflow now (dump, upload, restore drill, retention)
 * on the system `npm start` runs (in compose: `docker compose exec worker npm run backup`) and
 * waits for it. Exit code 0 only for a backup whose restore drill passed.
 */
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import type { Config } from '../config/env.js';
import { loadConfigOrExit } from '../config/load-or-exit.js';
import { temporalConnectionOptions } from '../temporal-config/connection.js';
import type { DatabaseBackupResult } from '../workflows/database-backup.js';

/**
 * The Temporal client of the system `npm start` (or the worker) runs, found through the same
 * environment: TEMPORAL_ADDRESS, else the dev server `npm start` runs on localhost:TEMPORAL_PORT.
 * The work itself runs in the worker, which knows the database and the backup store.
 */
async function connectToSystem(config: Config): Promise<{ client: Client; close: () => Promise<void> }> {
  const address = config.temporal.address ?? `localhost:${config.temporal.devPort}`;
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...temporalConnectionOptions(config, address), connectTimeout: '5 seconds' });
  } catch (error) {
    console.error(
      `No Temporal answers at ${address} (${(error as Error).message}): start the system first (npm start), or set TEMPORAL_ADDRESS to the one the worker uses.`,
    );
    process.exit(1);
  }
  return { client: new Client({ connection, namespace: config.temporal.namespace }), close: () => connection.close() };
}

/** The reason a workflow failed, without the SDK's wrapping. */
function failureReason(error: unknown): string {
  let cause: unknown = error instanceof WorkflowFailedError ? error.cause : error;
  while (cause instanceof Error && cause.cause instanceof Error && cause.message.startsWith('Activity task failed')) cause = cause.cause;
  return cause instanceof Error ? cause.message : String(cause);
}

const config = loadConfigOrExit();
const { client, close } = await connectToSystem(config);
const workflowId = `nightly-backup-manual-${new Date().toISOString()}`;
console.log(`backup started (workflow ${workflowId} on task queue ${config.temporal.taskQueue}); waiting…`);
try {
  const result = (await client.workflow.execute('databaseBackup', {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args: [{}],
  })) as DatabaseBackupResult;
  const mb = (result.backup.sizeBytes / 1024 / 1024).toFixed(1);
  const rows = Object.values(result.backup.tableCounts).reduce((a, b) => a + b, 0);
  console.log(`backup ${result.name}: ${mb} MB at ${result.backup.location}`);
  console.log(`  sha256 ${result.backup.sha256}`);
  console.log(
    `  restore drill passed in ${result.drill.seconds.toFixed(1)} s: ${Object.keys(result.backup.tableCounts).length} tables, ${rows} rows`,
  );
  if (result.pruned.length) console.log(`  retention removed ${result.pruned.join(', ')}`);
} catch (error) {
  console.error(`backup failed: ${failureReason(error)}`);
  process.exitCode = 1;
} finally {
  await close();
}
