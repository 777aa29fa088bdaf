/**
 * Bebsy's business clock: admins, customers and the business rules (the digest's day, the end of
 * a departure day, an export's date) read time in the Netherlands. Pure and deterministic:
 * workflows use it too.
 */
export const BUSINESS_TIME_ZONE = 'Europe/Amsterdam';

const dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: BUSINESS_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });
const clockFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: BUSINESS_TIME_ZONE,
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** YYYY-MM-DD of a moment on the Amsterdam calendar. */
export function amsterdamDay(at: Date | number): string {
  return dayFormat.format(at);
}

/** The wall-clock hour and minute of a moment in Amsterdam. */
export function amsterdamClock(at: Date | number): { hour: number; minute: number } {
  const parts = clockFormat.formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return { hour: part('hour'), minute: part('minute') };
}
