/**
 * When a reward may be paid. The business rule: a trip can still be cancelled up to and on
 * its departure day, so the hold lasts until that day is over in the Netherlands, i.e. until
 * 00:00 Europe/Amsterdam on the day after departure (before: 00:00 UTC on the departure day,
 * which admins saw as "1 jul, 02:00", hours before the friend left); and at least
 * `rewardHoldDays` after approval. Pure and deterministic: the workflow computes it.
 */
import { amsterdamClock } from './amsterdam-time.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The moment the departure day (YYYY-MM-DD) ends in Amsterdam: 00:00 local on the next day (CET +1 or CEST +2). */
export function endOfDepartureDay(departureDate: string): number {
  const nextDayUtcMidnight = Date.parse(`${departureDate}T00:00:00Z`) + DAY_MS;
  for (const offsetHours of [1, 2]) {
    const candidate = nextDayUtcMidnight - offsetHours * 60 * 60 * 1000;
    const { hour, minute } = amsterdamClock(candidate);
    if (hour === 0 && minute === 0) return candidate;
  }
  throw new Error(`no Amsterdam midnight found after ${departureDate}`); // unreachable for real dates
}

/** The end of the reward hold: rewardHoldDays after `approvedAt`, or the end of the departure day when that is later. */
export function rewardHoldEnds(approvedAt: number, rewardHoldDays: number, departureDate: string | null): number {
  const minimum = approvedAt + rewardHoldDays * DAY_MS;
  return departureDate ? Math.max(minimum, endOfDepartureDay(departureDate)) : minimum;
}
