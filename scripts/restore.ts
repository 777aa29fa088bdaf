/**
 * `npm run restore -- <name> --database <db> [--force]`: brings the backup `<name>`
 * (bebsy_backup_YYYYMMDD_HHMMSS, as listed in Beheer or GET /api/backups) back into the
 * database `<db>` of the live server: created when missing. The live database itself, or one
 * that holds tables, only with --force (the restore then replaces what it holds, in one
 * transaction). Runs in the worker, which reaches the store and the server; the checksum is checked.
 */
import { parseArgs } from 'node:util';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import type { Config } from '../config/env.js';
import { loadConfigOrExit } from '../config/load-or-exit.js';
import { temporalConnectionOptions } from '../temporal-config/connection.js';

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

const usage = 'usage: npm run restore -- <bebsy_backup_YYYYMMDD_HHMMSS> --database <name> [--force]';
let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { database: { type: 'string', short: 'd' }, force: { type: 'boolean', default: false } },
  });
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
const [name] = parsed.positionals;
const database = parsed.values.database;
if (!name || !/^bebsy_backup_\d{8}_\d{6}$/.test(name) || !database || parsed.positionals.length > 1) {
  console.error(usage);
  process.exit(2);
}

const config = loadConfigOrExit();
const { client, close } = await connectToSystem(config);
console.log(`restoring ${name} into database ${database}${parsed.values.force ? ' (--force)' : ''}; waiting…`);
try {
  const result = (await client.workflow.execute('databaseRestore', {
    taskQueue: config.temporal.taskQueue,
    workflowId: `database-restore-${name}-${database}-${Date.now()}`,
    args: [{ name, database, force: parsed.values.force }],
  })) as { bytes: number; sha256: string };
  console.log(`restored ${name} (${(result.bytes / 1024 / 1024).toFixed(1)} MB, sha256 ${result.sha256} checked) into ${database}`);
} catch (error) {
  console.error(`restore failed: ${failureReason(error)}`);
  process.exitCode = 1;
} finally {
  await close();
}
