import { useQuery } from '@tanstack/react-query';
import { api } from './client';

/** GET /api/backups (api/routes/backups.ts): the backups, housekeeping's runs and the Schedules. */
export type BackupStatus = 'running' | 'uploaded' | 'verified' | 'failed' | 'drill_failed' | 'pruned';

export interface Backup {
  name: string;
  status: BackupStatus;
  store: 's3' | 'local' | null;
  location: string | null;
  size_bytes: number | null;
  sha256: string | null;
  tables: number | null;
  rows: number | null;
  error: string | null;
  drill_status: 'passed' | 'failed' | null;
  drill_error: string | null;
  drill_seconds: number | null;
  drilled_at: string | null;
  started_at: string;
  finished_at: string | null;
  pruned_at: string | null;
}

export interface HousekeepingRun {
  workflow_id: string;
  status: 'running' | 'completed' | 'failed';
  pruned: {
    audit_log_rows: number | null;
    webhook_inbox_rows: number | null;
    import_files: number | null;
    outbox_bodies: number | null;
  };
  error: string | null;
  started_at: string;
  finished_at: string | null;
}

export interface ScheduleInfo {
  id: string;
  cron: string | null;
  time_zone: string;
  next_run: string | null;
  paused: boolean;
}

export interface BackupOverview {
  store: { kind: 's3' | 'local'; location: string; retention_days: number };
  backups: Backup[];
  housekeeping: HousekeepingRun[];
  schedules: ScheduleInfo[];
}

/** Polled while a backup or housekeeping run is going. */
export function useBackups() {
  return useQuery({
    queryKey: ['backups'],
    queryFn: ({ signal }) => api<BackupOverview>('/backups', { signal }),
    refetchInterval: (query) =>
      query.state.data?.backups.some((b) => b.status === 'running') || query.state.data?.housekeeping.some((r) => r.status === 'running')
        ? 3_000
        : false,
  });
}
