import type { Knex } from 'knex';

/**
 * Backups and housekeeping (issue 12). `database_backups`: one row per backup the
 * `databaseBackup` workflow took: where it went, its size and SHA-256, the per-table row counts
 * the dump saw, and its restore drill (a backup is verified only once its drill passed).
 * `housekeeping_runs`: what each `housekeeping` run pruned.
 */
export async function up(db: Knex): Promise<void> {
  await db.raw(`
    CREATE TABLE database_backups (
      id bigserial PRIMARY KEY,
      name text NOT NULL UNIQUE CHECK (name ~ '^bebsy_backup_[0-9]{8}_[0-9]{6}$'),
      workflow_id text,
      status text NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'uploaded', 'verified', 'failed', 'drill_failed', 'pruned')),
      store text CHECK (store IN ('s3', 'local')),
      location text,
      size_bytes bigint CHECK (size_bytes >= 0),
      sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      server_version text,
      table_counts jsonb,
      error text,
      drill_status text CHECK (drill_status IN ('passed', 'failed')),
      drill_error text,
      drill_seconds numeric,
      drilled_at timestamptz,
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      pruned_at timestamptz
    );
    CREATE INDEX database_backups_started_at_idx ON database_backups (started_at DESC, id DESC);

    CREATE TABLE housekeeping_runs (
      id bigserial PRIMARY KEY,
      workflow_id text NOT NULL UNIQUE,
      status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
      pruned jsonb NOT NULL DEFAULT '{}'::jsonb,
      error text,
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    );
    CREATE INDEX housekeeping_runs_started_at_idx ON housekeeping_runs (started_at DESC, id DESC);
  `);
}

export async function down(db: Knex): Promise<void> {
  await db.raw('DROP TABLE IF EXISTS housekeeping_runs; DROP TABLE IF EXISTS database_backups;');
}
