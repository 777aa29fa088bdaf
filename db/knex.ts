import knex, { type Knex } from 'knex';
import pg from 'pg';
import type { Config } from '../config/env.js';

// bigint ids and counts come back as strings (no precision loss); dates as ISO via the API layer.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export type Db = Knex;

export function createDb(url: string, options: Partial<Pick<Config['database'], 'ssl' | 'pool'>> = {}): Db {
  const pool = options.pool;
  return knex({
    client: 'pg',
    connection: { connectionString: url, ssl: options.ssl ? { rejectUnauthorized: false } : undefined },
    pool: {
      min: pool?.min ?? 0,
      max: pool?.max ?? 10,
      idleTimeoutMillis: pool?.idleTimeoutMillis ?? 30_000,
    },
    acquireConnectionTimeout: pool?.connectionTimeoutMillis ?? 10_000,
  });
}
