/** Latency summaries from raw samples (a bench run keeps at most some 10^5 of them: sorting is fine). */

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of ascending samples. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarise(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

/** A latency; infinite is what a percentile of samples with too many misses is. */
export const ms = (v: number, digits = 1) =>
  Number.isFinite(v) ? `${v.toFixed(digits)} ms` : v === Number.POSITIVE_INFINITY ? '∞ (misses)' : 'n/a';
export const perSecond = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} req/s` : 'n/a');

/** A plain text table: first row is the header; columns padded to the widest cell. */
export function table(rows: string[][], align: Array<'l' | 'r'> = []): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n');
}

/** The measured requests of an open loop that did not succeed, by kind. */
export interface Misses {
  /** Answers with another status than 2xx, by status code. */
  byStatus: Record<string, number>;
  /** No complete answer within the generator's deadline. */
  timeouts: number;
  /** The connection or the call failed (refused, reset, closed mid-answer; an RPC error on the direct side). */
  connectionErrors: number;
  firstError?: string;
}

export const noMisses = (): Misses => ({ byStatus: {}, timeouts: 0, connectionErrors: 0 });

export function missCount(misses: Misses): number {
  return Object.values(misses.byStatus).reduce((s, n) => s + n, 0) + misses.timeouts + misses.connectionErrors;
}

/** `0 non-2xx, 0 timeouts, 0 connection errors`, with the statuses and the first error when there are any. */
export function missText(misses: Misses): string {
  const statuses = Object.entries(misses.byStatus).sort(([a], [b]) => a.localeCompare(b));
  const non2xx = statuses.reduce((s, [, n]) => s + n, 0);
  const parts = [
    `${non2xx} non-2xx${statuses.length ? ` (${statuses.map(([code, n]) => `${n}x HTTP ${code}`).join(', ')})` : ''}`,
    `${misses.timeouts} timeout(s)`,
    `${misses.connectionErrors} connection error(s)`,
  ];
  return `${parts.join(', ')}${misses.firstError ? `; first error: ${misses.firstError.slice(0, 120)}` : ''}`;
}
