import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config/env.js';
import type { Db } from '../db/knex.js';
import { waitUntilAvailable } from '../domain/retry.js';
import { buildApi } from './app.js';
import { temporalConnectionOptions } from '../temporal-config/connection.js';
import { isTemporalUnavailable } from '../temporal-config/unavailable.js';

/** Connects to Temporal (waiting until it answers), builds the API and listens. close() undoes all of it. */
export async function startApiServer(config: Config, db: Db, temporalAddress: string) {
  const connection = await waitUntilAvailable(
    `Temporal at ${temporalAddress}`,
    () => Connection.connect(temporalConnectionOptions(config, temporalAddress)),
    {
      isUnavailable: isTemporalUnavailable,
      log: (line) => console.warn(line),
    },
  );
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const app = await buildApi({
    config,
    db,
    temporal: { client, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue, webUrl: config.temporal.webUrl },
  });
  const address = await app.listen({ host: config.http.host, port: config.http.port });
  return {
    app,
    address,
    async close() {
      await app.close();
      await connection.close();
    },
  };
}
