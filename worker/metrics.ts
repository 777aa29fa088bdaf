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
import { readBusinessFigures, type BusinessFigures } from '../db/repositories/business-metrics.js';

export { readBusinessFigures, type BusinessFigures };

const CACHE_MS = 10_000;

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
