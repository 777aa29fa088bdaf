import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ScheduleNotFoundError } from '@temporalio/client';
import { Type } from 'typebox';
import { listBackups, type BackupRow } from '../../db/repositories/backups.js';
import { listHousekeepingRuns, type HousekeepingRunRow } from '../../db/repositories/housekeeping.js';
import { APPROVAL_DIGEST_SCHEDULE_ID, HOUSEKEEPING_SCHEDULE_ID, NIGHTLY_BACKUP_SCHEDULE_ID } from '../../temporal-config/schedules.js';
import { errorReplies } from '../schemas.js';
import type { ApiDeps } from '../app.js';

/** GET /api/backups: the backups with their drill, housekeeping's runs and the Schedules' next runs (the admin page Beheer). */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Timestamp = Type.String({ format: 'date-time' });
const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

const Backup = Type.Object({
  name: Type.String({ description: 'bebsy_backup_YYYYMMDD_HHMMSS (UTC)' }),
  status: Type.Enum(['running', 'uploaded', 'verified', 'failed', 'drill_failed', 'pruned'], {
    description: 'verified: stored and its restore drill passed; uploaded: stored, not drilled yet',
  }),
  store: Nullable(Type.Enum(['s3', 'local'])),
  location: Nullable(Type.String()),
  size_bytes: Nullable(Type.Integer()),
  sha256: Nullable(Type.String()),
  tables: Nullable(Type.Integer({ description: 'tables in the dump' })),
  rows: Nullable(Type.Integer({ description: 'rows in the dump, all tables' })),
  error: Nullable(Type.String()),
  drill_status: Nullable(Type.Enum(['passed', 'failed'])),
  drill_error: Nullable(Type.String()),
  drill_seconds: Nullable(Type.Number()),
  drilled_at: Nullable(Timestamp),
  started_at: Timestamp,
  finished_at: Nullable(Timestamp),
  pruned_at: Nullable(Timestamp),
});

const HousekeepingRun = Type.Object({
  workflow_id: Type.String(),
  status: Type.Enum(['running', 'completed', 'failed']),
  pruned: Type.Object({
    audit_log_rows: Nullable(Type.Integer()),
    webhook_inbox_rows: Nullable(Type.Integer()),
    import_files: Nullable(Type.Integer()),
    outbox_bodies: Nullable(Type.Integer()),
  }),
  error: Nullable(Type.String()),
  started_at: Timestamp,
  finished_at: Nullable(Timestamp),
});

const Schedule = Type.Object({
  id: Type.String(),
  cron: Nullable(Type.String({ description: 'null: switched off' })),
  time_zone: Type.String(),
  next_run: Nullable(Timestamp),
  paused: Type.Boolean(),
});

function backupJson(row: BackupRow) {
  const counts = row.table_counts ? Object.values(row.table_counts) : null;
  return {
    name: row.name,
    status: row.status,
    store: row.store,
    location: row.location,
    size_bytes: row.size_bytes === null ? null : Number(row.size_bytes),
    sha256: row.sha256,
    tables: counts ? counts.length : null,
    rows: counts ? counts.reduce((a, b) => a + b, 0) : null,
    error: row.error,
    drill_status: row.drill_status,
    drill_error: row.drill_error,
    drill_seconds: row.drill_seconds === null ? null : Number(row.drill_seconds),
    drilled_at: iso(row.drilled_at),
    started_at: iso(row.started_at)!,
    finished_at: iso(row.finished_at),
    pruned_at: iso(row.pruned_at),
  };
}

function runJson(row: HousekeepingRunRow) {
  const p = row.pruned ?? {};
  return {
    workflow_id: row.workflow_id,
    status: row.status,
    pruned: {
      audit_log_rows: p.auditLogRows ?? null,
      webhook_inbox_rows: p.webhookInboxRows ?? null,
      import_files: p.importFiles ?? null,
      outbox_bodies: p.outboxBodies ?? null,
    },
    error: row.error,
    started_at: iso(row.started_at)!,
    finished_at: iso(row.finished_at),
  };
}

const backupRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { db, config, temporal }) => {
  /** A Schedule's next run as Temporal has it; null when it does not exist (cron off) or Temporal does not answer. */
  async function schedule(id: string, setting: { cron: string | null; timeZone: string }) {
    let nextRun: Date | null = null;
    let paused = false;
    try {
      const description = await temporal.client.schedule.getHandle(id).describe();
      nextRun = description.info.nextActionTimes[0] ?? null;
      paused = description.state.paused;
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) app.log.warn({ err: error }, `schedule ${id} could not be described`);
    }
    return { id, cron: setting.cron, time_zone: setting.timeZone, next_run: iso(nextRun), paused };
  }

  app.get(
    '/backups',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['backups'],
        summary:
          'The database backups (newest first) with size and restore drill, housekeeping runs, and the Schedules with their next runs',
        security: [{ bearerAuth: [] }],
        response: {
          200: Type.Object({
            store: Type.Object({
              kind: Type.Enum(['s3', 'local']),
              location: Type.String({ description: 's3://bucket or the backup folder' }),
              retention_days: Type.Integer(),
            }),
            backups: Type.Array(Backup),
            housekeeping: Type.Array(HousekeepingRun),
            schedules: Type.Array(Schedule),
          }),
          ...errorReplies(401),
        },
      },
    },
    async () => {
      const [backups, runs, schedules] = await Promise.all([
        listBackups(db),
        listHousekeepingRuns(db),
        Promise.all([
          schedule(NIGHTLY_BACKUP_SCHEDULE_ID, config.backups),
          schedule(HOUSEKEEPING_SCHEDULE_ID, config.housekeeping),
          schedule(APPROVAL_DIGEST_SCHEDULE_ID, config.approvalDigest),
        ]),
      ]);
      const s3 = config.backups.s3;
      return {
        store: {
          kind: s3 ? ('s3' as const) : ('local' as const),
          location: s3 ? `s3://${s3.bucket}` : config.backups.dir,
          retention_days: config.backups.retentionDays,
        },
        backups: backups.map(backupJson),
        housekeeping: runs.map(runJson),
        schedules,
      };
    },
  );
};

export default backupRoutes;
