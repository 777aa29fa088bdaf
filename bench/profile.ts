/**
 * `--profile`: where a submission's time goes inside the API process, measured from outside
 * api/ (nothing there is changed): knex's query events (time per query, and the wait for a
 * pooled connection), a Temporal client interceptor around workflow start, and the event loop's
 * utilisation. Off by default, so the figures of a normal run come from the unobserved path.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { Db } from '../db/knex.js';

export interface PhaseProfile {
  queries: number;
  queryMs: number;
  poolWaits: number;
  poolWaitMs: number;
  poolWaitMaxMs: number;
  starts: number;
  startMs: number;
  startMaxMs: number;
  /** Event loop utilisation of the bench process (0..1). */
  eventLoop: number;
}

export class Profiler {
  private queryStarts = new Map<string, number>();
  private acquireStarts = new Map<number, number>();
  private totals = { queries: 0, queryMs: 0, poolWaits: 0, poolWaitMs: 0, poolWaitMaxMs: 0, starts: 0, startMs: 0, startMaxMs: 0 };
  private mark = { ...this.totals };
  private elu: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(readonly enabled: boolean) {}

  /** Temporal client interceptor timing each workflow start (A and B alike). */
  workflowInterceptor(): WorkflowClientInterceptor {
    return {
      start: async (input, next) => {
        const t = performance.now();
        try {
          return await next(input);
        } finally {
          const d = performance.now() - t;
          this.totals.starts++;
          this.totals.startMs += d;
          this.totals.startMaxMs = Math.max(this.totals.startMaxMs, d);
        }
      },
    };
  }

  attachDb(db: Db): void {
    db.on('query', (q: { __knexQueryUid: string }) => this.queryStarts.set(q.__knexQueryUid, performance.now()));
    const done = (_: unknown, q: { __knexQueryUid: string }) => {
      const t = this.queryStarts.get(q.__knexQueryUid);
      if (t === undefined) return;
      this.queryStarts.delete(q.__knexQueryUid);
      this.totals.queries++;
      this.totals.queryMs += performance.now() - t;
    };
    db.on('query-response', done);
    db.on('query-error', done);
    const pool = (db.client as { pool?: { on(event: string, fn: (...args: unknown[]) => void): void } }).pool;
    pool?.on('acquireRequest', (id) => this.acquireStarts.set(id as number, performance.now()));
    const acquired = (id: unknown) => {
      const t = this.acquireStarts.get(id as number);
      if (t === undefined) return;
      this.acquireStarts.delete(id as number);
      const d = performance.now() - t;
      this.totals.poolWaits++;
      this.totals.poolWaitMs += d;
      this.totals.poolWaitMaxMs = Math.max(this.totals.poolWaitMaxMs, d);
    };
    pool?.on('acquireSuccess', acquired);
    pool?.on('acquireFail', acquired);
  }

  begin(): void {
    this.mark = { ...this.totals, poolWaitMaxMs: 0, startMaxMs: 0 };
    this.totals.poolWaitMaxMs = 0;
    this.totals.startMaxMs = 0;
    this.elu = performance.eventLoopUtilization();
  }

  end(): PhaseProfile {
    const d = (k: keyof typeof this.totals) => this.totals[k] - this.mark[k];
    return {
      queries: d('queries'),
      queryMs: d('queryMs'),
      poolWaits: d('poolWaits'),
      poolWaitMs: d('poolWaitMs'),
      poolWaitMaxMs: this.totals.poolWaitMaxMs,
      starts: d('starts'),
      startMs: d('startMs'),
      startMaxMs: this.totals.startMaxMs,
      eventLoop: performance.eventLoopUtilization(this.elu).utilization,
    };
  }
}
