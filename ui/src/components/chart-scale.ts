/** What the hand-made SVG charts share: the canvas, a round top for the y axis, weekly buckets. */
export const CHART = { W: 760, H: 240, PAD: { left: 44, right: 12, top: 12, bottom: 28 } } as const;
export const INNER = { W: CHART.W - CHART.PAD.left - CHART.PAD.right, H: CHART.H - CHART.PAD.top - CHART.PAD.bottom };

/**
 * A round top for the y axis whose quarters, the ticks, are whole round numbers: four times
 * 1, 2, 2.5 or 5 × 10^k (so 10 referrals get the axis 0 5 10 15 20, not 0 3 5 8 10).
 */
export function niceMax(value: number): number {
  const quarter = Math.max(1, value / 4);
  const magnitude = 10 ** Math.floor(Math.log10(quarter));
  for (const step of [1, 2, 2.5, 5]) {
    const tick = step * magnitude;
    if (tick >= quarter && Number.isInteger(tick)) return 4 * tick;
  }
  return 40 * magnitude;
}

/** The y-axis ticks of a chart whose top is `max` (from niceMax: whole numbers). */
export const ticks = (max: number) => [0, 0.25, 0.5, 0.75, 1].map((r) => max * r);

/** Days, or weeks (from the first day, summed with `add`) when a year of days would be too dense to read. */
export function byDayOrWeek<T extends { date: string }>(series: T[], add: (sum: T, day: T) => T): { points: T[]; weekly: boolean } {
  if (series.length <= 120) return { points: series, weekly: false };
  const points: T[] = [];
  for (let i = 0; i < series.length; i += 7) points.push(series.slice(i + 1, i + 7).reduce(add, series[i]));
  return { points, weekly: true };
}
