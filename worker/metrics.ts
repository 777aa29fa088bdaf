/**
 * The worker's business metrics on its own /metrics (WORKER_METRICS_PORT), beside the Temporal
 * SDK runtime's metrics (TEMPORAL_METRICS_ADDRESS, installTemporalRuntime() in run.ts).
 *
 * Every figure is read from Postgres when Prometheus scrapes (at most once per CACHE_MS), not
 * counted in the process: the read model is the truth, every worker replica reports the same
 * numbers (dashboards and alerts take max() across instances), and a restart loses nothing.
 * Metric names are the contract with deploy/prometheus/ (rules, dashboards, their tests).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from '../db/knex.js';
import { IMPORT_STATUSES } from '../domain/csv-import/status.js';
import { REFERRAL_STATUSES } from '../domain/referral-status.js';

const CACHE_MS = 10_000;

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

/** The worker's registry: process metrics and the business gauges, read through `read` (cached). */
export function workerMetricsRegistry(read: () => Promise<BusinessFigures>): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let cached: { at: number; figures: Promise<BusinessFigures> } | null = null;
  const scrapeUp = new Gauge({
    name: 'bebsy_business_metrics_up',
    help: '1 when the last read of the business figures from Postgres succeeded',
    registers: [registry],
    async collect() {
      await figures();
    },
  });
  const figures = async (): Promise<BusinessFigures | null> => {
    if (!cached || Date.now() - cached.at > CACHE_MS) cached = { at: Date.now(), figures: read() };
    try {
      const result = await cached.figures;
      scrapeUp.set(1);
      return result;
    } catch {
      cached = null;
      scrapeUp.set(0);
      return null;
    }
  };
  // One gauge per figure; each collect() awaits the same cached read.
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, f: BusinessFigures) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const f = await figures();
        if (!f) return;
        this.reset();
        fill(this, f);
      },
    });
  gauge('bebsy_referrals', 'Referrals by current status', ['status'], (g, f) =>
    f.referrals.forEach((r) => g.set({ status: r.status }, r.count)),
  );
  gauge('bebsy_referrals_flagged_open', 'Flagged referrals still awaiting a booking or an approval', [], (g, f) => g.set(f.flaggedOpen));
  gauge('bebsy_pending_approval_oldest_age_seconds', 'Age of the oldest referral waiting for approval (0: none waits)', [], (g, f) =>
    g.set(f.oldestPendingApprovalSeconds),
  );
  gauge('bebsy_rewards', 'Rewards paid, by status (paid, clawback_due)', ['status'], (g, f) =>
    f.rewards.forEach((r) => g.set({ status: r.status }, r.count)),
  );
  gauge('bebsy_rewards_euros', 'Reward amounts in EUR, by status', ['status'], (g, f) =>
    f.rewards.forEach((r) => g.set({ status: r.status }, r.euros)),
  );
  gauge('bebsy_booking_webhook_events', 'Booking webhook events by outcome (applied, claimed, pending)', ['outcome'], (g, f) =>
    f.webhookEvents.forEach((r) => g.set({ outcome: r.outcome }, r.count)),
  );
  gauge('bebsy_emails', 'Outbox messages by status (sent, queued, retrying, failed_permanent)', ['status'], (g, f) =>
    f.emails.forEach((r) => g.set({ status: r.status }, r.count)),
  );
  gauge('bebsy_imports', 'Customer imports by status', ['status'], (g, f) =>
    f.imports.forEach((r) => g.set({ status: r.status }, r.count)),
  );
  gauge('bebsy_import_rows', 'Customer import rows processed, by the import status', ['status'], (g, f) =>
    f.imports.forEach((r) => g.set({ status: r.status }, r.rows)),
  );
  gauge('bebsy_import_rows_rejected', 'Customer import rows rejected, by the import status', ['status'], (g, f) =>
    f.imports.forEach((r) => g.set({ status: r.status }, r.rejected)),
  );
  // labelled (kind="database") so that "no backup yet" is no series rather than a 0 (1970)
  const backup = { kind: 'database' };
  gauge(
    'bebsy_backup_last_success_timestamp_seconds',
    'When the last good backup finished (uploaded or verified); absent before the first',
    ['kind'],
    (g, f) => {
      if (f.backup?.lastSuccess != null) g.set(backup, f.backup.lastSuccess);
    },
  );
  gauge('bebsy_backup_last_run_success', '1 when the last backup succeeded, 0 when it failed', ['kind'], (g, f) => {
    if (f.backup?.lastRunOk != null) g.set(backup, f.backup.lastRunOk ? 1 : 0);
  });
  gauge('bebsy_backup_drill_last_success', '1 when the last restore drill passed, 0 when it failed', ['kind'], (g, f) => {
    if (f.backup?.lastDrillOk != null) g.set(backup, f.backup.lastDrillOk ? 1 : 0);
  });
  return registry;
}

/** Serves `registry` on GET /metrics at host:port; close() stops it. */
export async function serveMetrics(registry: Registry, port: number, host = '0.0.0.0') {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: Error) => res.writeHead(500).end(`${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The worker's /metrics over `db` on `port`. */
export function startWorkerMetrics(db: Db, port: number) {
  return serveMetrics(
    workerMetricsRegistry(() => readBusinessFigures(db)),
    port,
  );
}
