import { DEFAULT_ADMIN_PASSWORD, type Config } from '../config/env.js';
import { waitUntilAvailable } from '../domain/retry.js';
import { ensureInitialAdmin } from './repositories/admin-users.js';
import { createDb, type Db } from './knex.js';
import { migrateToLatest } from './migrate.js';
import { isDatabaseUnavailable } from './pg-errors.js';

/** One round trip to the database (`select 1`): the health probes' and the start-up wait's question. */
export async function pingDatabase(db: Db): Promise<void> {
  await db.raw('select 1');
}

/** Waits, with backoff and a log line per try, until the database answers a query. */
export async function waitForDatabase(db: Db): Promise<void> {
  const { connectionString } = db.client.connectionSettings as { connectionString: string };
  const { hostname, port } = new URL(connectionString);
  await waitUntilAvailable(`Postgres at ${hostname}:${port || 5432}`, () => pingDatabase(db), {
    isUnavailable: isDatabaseUnavailable,
    log: (line) => console.warn(line),
  });
}

/**
 * Opens the pool, waits until Postgres answers (a start order is not guaranteed), brings the
 * schema up to date and makes sure an admin account exists. An admin created with the default
 * password is marked to change it at first sign-in.
 */
export async function openDatabase(config: Config, url: string): Promise<Db> {
  const db = createDb(url, config.database);
  await waitForDatabase(db);
  await migrateToLatest(db);
  await ensureInitialAdmin(db, config.auth.adminUsername, config.auth.adminPassword, config.auth.adminPassword === DEFAULT_ADMIN_PASSWORD);
  return db;
}
