import type { Knex } from 'knex';
import { IMPORT_PHASES, IMPORT_STATUSES, REJECTION_REASONS } from '../../domain/csv-import/index.js';

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

/**
 * Customer CSV imports. `customer_imports` is the read model the import workflow's
 * activities write (progress, counts); `customer_import_errors` holds each rejected row for the
 * error report. Rows being imported are staged in a table of their own per import in the
 * `customer_import_staging` schema (unlogged, dropped when the import ends).
 */
export async function up(db: Knex): Promise<void> {
  await db.raw(`
    CREATE TABLE customer_imports (
      id bigserial PRIMARY KEY,
      workflow_id text NOT NULL UNIQUE,
      file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
      file_path text NOT NULL,
      file_bytes bigint NOT NULL CHECK (file_bytes >= 0),
      created_by text NOT NULL,
      status text NOT NULL DEFAULT 'queued' CHECK (status IN (${list(IMPORT_STATUSES)})),
      phase text NOT NULL DEFAULT 'queued' CHECK (phase IN (${list(IMPORT_PHASES)})),
      encoding text,
      delimiter text,
      bytes_processed bigint NOT NULL DEFAULT 0 CHECK (bytes_processed >= 0),
      rows_processed integer NOT NULL DEFAULT 0 CHECK (rows_processed >= 0),
      rows_staged integer NOT NULL DEFAULT 0 CHECK (rows_staged >= 0),
      inserted integer NOT NULL DEFAULT 0 CHECK (inserted >= 0),
      updated integer NOT NULL DEFAULT 0 CHECK (updated >= 0),
      unchanged integer NOT NULL DEFAULT 0 CHECK (unchanged >= 0),
      rejected integer NOT NULL DEFAULT 0 CHECK (rejected >= 0),
      error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX customer_imports_created_at_idx ON customer_imports (created_at DESC, id DESC);

    CREATE TABLE customer_import_errors (
      import_id bigint NOT NULL REFERENCES customer_imports (id) ON DELETE CASCADE,
      line integer NOT NULL CHECK (line >= 1),
      reason text NOT NULL CHECK (reason IN (${list(Object.keys(REJECTION_REASONS))})),
      bebsy_customer_id text NOT NULL,
      name text NOT NULL,
      email text NOT NULL,
      PRIMARY KEY (import_id, line)
    );

    CREATE SCHEMA customer_import_staging;
  `);
}

export async function down(db: Knex): Promise<void> {
  await db.raw('DROP SCHEMA customer_import_staging CASCADE; DROP TABLE customer_import_errors, customer_imports');
}
