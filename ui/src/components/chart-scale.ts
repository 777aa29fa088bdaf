/** What the hand-made SVG charts share: the canvas, a round top for the y axis, weekly buckets. */
export const CHART = { W: 760, H: 240, PAD: { left: 44, right: 12, top: 12, bottom: 28 } } as const;
export const INNER = { W: CHART.W - CHART.PAD.left - CHART.PAD.right, H: CHART.H - CHART.PAD.top - CHART.PAD.bottom };

export function niceMax(value: number): number {
  if (value <= 4) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

/** The y-axis ticks of a chart whose top is `max`. */
export const ticks = (max: number) => [0, 0.25, 0.5, 0.75, 1].map((r) => Math.round(max * r));

/** Days, or weeks (from the first day, summed with `add`) when a year of days would be too dense to read. */
export function byDayOrWeek<T extends { date: string }>(series: T[], add: (sum: T, day: T) => T): { points: T[]; weekly: boolean } {
  if (series.length <= 120) return { points: series, weekly: false };
  const points: T[] = [];
  for (let i = 0; i < series.length; i += 7) points.push(series.slice(i + 1, i + 7).reduce(add, series[i]));
  return { points, weekly: true };
}
