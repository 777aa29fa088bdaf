import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import type { Config } from '../config/env.js';
import { temporalConnectionOptions } from '../temporal-config/connection.js';

/* What `npm run backup` and `npm run restore` share: they run a workflow on the system that is running. */

/**
 * The Temporal client of the system `npm start` (or the worker) runs, found through the same
 * environment: TEMPORAL_ADDRESS, else the dev server `npm start` runs on localhost:TEMPORAL_PORT.
 * The work itself runs in the worker, which knows the database and the backup store.
 */
export async function connectToSystem(config: Config): Promise<{ client: Client; close: () => Promise<void> }> {
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
export function failureReason(error: unknown): string {
  let cause: unknown = error instanceof WorkflowFailedError ? error.cause : error;
  while (cause instanceof Error && cause.cause instanceof Error && cause.message.startsWith('Activity task failed')) cause = cause.cause;
  return cause instanceof Error ? cause.message : String(cause);
}
