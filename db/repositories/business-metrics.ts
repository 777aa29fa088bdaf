import type { Db } from '../knex.js';
import { IMPORT_STATUSES } from '../../domain/csv-import/status.js';
import { REFERRAL_STATUSES } from '../../domain/referral-status.js';

/**
 * The queries behind the worker's business metrics (worker/metrics.ts): aggregates over indexed
 * columns, read when Prometheus scrapes. The metric names and their series are worker/metrics.ts'.
 */

export interface BusinessFigures {
  referrals: { status: string; count: number }[];
  flaggedOpen: number;
  oldestPendingApprovalSeconds: number;
  rewards: { status: string; count: number; euros: number }[];
  webhookEvents: { outcome: string; count: number }[];
  emails: { status: string; count: number }[];
  imports: { status: string; count: number; rows: number; rejected: number }[];
  /** null: no `database_backups` table (migration 014, issue 12). */
  backup: { lastSuccess: number | null; lastRunOk: boolean | null; lastDrillOk: boolean | null } | null;
}

const num = (v: unknown) => Number(v ?? 0);

/** Every status a panel or an alert asks for is a series, 0 when nothing is in it ("no data" would hide a 0). */
const REWARD_STATUSES = ['paid', 'clawback_due'];
const WEBHOOK_OUTCOMES = ['applied', 'claimed', 'pending'];
const EMAIL_STATUSES = ['queued', 'retrying', 'sent', 'failed_permanent'];
function zeroFilled<T extends Record<string, unknown>>(rows: T[], key: keyof T, all: readonly string[], zero: (name: string) => T): T[] {
  const seen = new Set(rows.map((r) => String(r[key])));
  return [...rows, ...all.filter((name) => !seen.has(name)).map(zero)];
}
const GOOD_BACKUP_STATUSES = ['uploaded', 'verified', 'pruned'];
type Row = Record<string, unknown>;

/** One read of the business figures (the queries are aggregates over indexed columns). */
export async function readBusinessFigures(db: Db): Promise<BusinessFigures> {
  const [referrals, flagged, oldest, rewards, webhooks, emails, imports, backupsTable] = await Promise.all([
    db('referrals').select('status').count({ count: '*' }).groupBy('status'),
    db('referrals').where({ flagged: true }).whereIn('status', ['awaiting_booking', 'pending_approval']).count({ count: '*' }).first(),
    db('referrals')
      .where({ status: 'pending_approval' })
      .select(db.raw('extract(epoch from now() - min(coalesce(booking_confirmed_at, submitted_at)))::float8 as age'))
      .first(),
    db('rewards').select('status').count({ count: '*' }).sum({ cents: 'amount_cents' }).groupBy('status'),
    db('booking_webhook_inbox')
      .select(
        db.raw("case when applied_at is not null then 'applied' when referral_id is not null then 'claimed' else 'pending' end as outcome"),
      )
      .count({ count: '*' })
      .groupByRaw('1'),
    db('email_outbox')
      .select(db.raw("case when status = 'queued' and attempts > 0 then 'retrying' else status end as status"))
      .count({ count: '*' })
      .groupByRaw('1'),
    db('customer_imports')
      .select('status')
      .count({ count: '*' })
      .sum({ rows: 'rows_processed' })
      .sum({ rejected: 'rejected' })
      .groupBy('status'),
    db.raw("select to_regclass('database_backups') is not null as present"),
  ]);
  return {
    referrals: zeroFilled(
      (referrals as Row[]).map((r) => ({ status: String(r.status), count: num(r.count) })),
      'status',
      REFERRAL_STATUSES,
      (status) => ({ status, count: 0 }),
    ),
    flaggedOpen: num(flagged?.count),
    oldestPendingApprovalSeconds: num((oldest as { age?: number } | undefined)?.age),
    rewards: zeroFilled(
      (rewards as Row[]).map((r) => ({ status: String(r.status), count: num(r.count), euros: num(r.cents) / 100 })),
      'status',
      REWARD_STATUSES,
      (status) => ({ status, count: 0, euros: 0 }),
    ),
    webhookEvents: zeroFilled(
      (webhooks as unknown as { outcome: string; count: string }[]).map((r) => ({ outcome: r.outcome, count: num(r.count) })),
      'outcome',
      WEBHOOK_OUTCOMES,
      (outcome) => ({ outcome, count: 0 }),
    ),
    emails: zeroFilled(
      (emails as unknown as { status: string; count: string }[]).map((r) => ({ status: r.status, count: num(r.count) })),
      'status',
      EMAIL_STATUSES,
      (status) => ({ status, count: 0 }),
    ),
    imports: zeroFilled(
      (imports as Row[]).map((r) => ({ status: String(r.status), count: num(r.count), rows: num(r.rows), rejected: num(r.rejected) })),
      'status',
      IMPORT_STATUSES,
      (status) => ({ status, count: 0, rows: 0, rejected: 0 }),
    ),
    backup: (backupsTable as { rows: { present: boolean }[] }).rows[0]?.present ? await readBackupFigures(db) : null,
  };
}

/**
 * The backup figures from `database_backups` (issue 12, migration 014): the last backup that
 * finished and was not refused (uploaded, verified or since pruned), whether the last finished
 * run succeeded (failed and drill_failed did not), and the last restore drill's result.
 */
async function readBackupFigures(db: Db): Promise<NonNullable<BusinessFigures['backup']>> {
  const [success, run, drill] = await Promise.all([
    db('database_backups').whereIn('status', GOOD_BACKUP_STATUSES).max({ at: 'finished_at' }).first(),
    db('database_backups').whereNotNull('finished_at').orderBy('finished_at', 'desc').first('status'),
    db('database_backups').whereNotNull('drilled_at').orderBy('drilled_at', 'desc').first('drill_status'),
  ]);
  const at = success?.at ? new Date(success.at as string | Date).getTime() / 1000 : null;
  return {
    lastSuccess: at,
    lastRunOk: run ? GOOD_BACKUP_STATUSES.includes(String(run.status)) : null,
    lastDrillOk: drill ? drill.drill_status === 'passed' : null,
  };
}
