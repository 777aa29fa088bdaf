import { DEFAULT_ADMIN_PASSWORD, type Config } from '../config/env.js';
import { ensureInitialAdmin } from './repositories/admin-users.js';
import { createDb, type Db } from './knex.js';
import { migrateToLatest } from './migrate.js';

/**
 * Opens the pool, brings the schema up to date and makes sure an admin account exists.
 * An admin created with the default password is marked to change it at first sign-in.
 */
export async function openDatabase(config: Config, url: string): Promise<Db> {
  const db = createDb(url, config.database);
  await migrateToLatest(db);
  await ensureInitialAdmin(db, config.auth.adminUsername, config.auth.adminPassword, config.auth.adminPassword === DEFAULT_ADMIN_PASSWORD);
  return db;
}
