/**
 * When things happen: hourly buckets over the window (the last three years), weighted by the
 * business's growth, the travel seasons (January's planning peak, early summer), the weekday and
 * the hour of the day in Amsterdam. Row i of n gets the time at quantile (i + 0.5) / n, so the
 * times rise with the ids, as they do in a real table.
 *
 * Referrals follow the same rhythm, scaled by how many customers there were at the time (only
 * customers refer), so a referral's referrer can be drawn from the customers created before it.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const YEAR = 365.25 * DAY;

/** Relative activity per hour of the day, Amsterdam time: quiet nights, a lunch and an evening peak. */
const HOURLY = [
  0.15, 0.08, 0.05, 0.04, 0.04, 0.08, 0.25, 0.55, 0.8, 0.95, 1.0, 1.05, 1.2, 1.15, 1.0, 0.95, 0.95, 1.0, 1.05, 1.3, 1.55, 1.6, 1.2, 0.5,
];
/** Sunday first (Date.getUTCDay): the weekend and Monday evening are when trips get planned. */
const WEEKDAY = [1.2, 1.1, 1.0, 1.0, 0.95, 0.8, 0.9];

class Cdf {
  /** cumulative[b] = total weight of the buckets before b; cumulative[length] = total. */
  readonly cumulative: Float64Array;

  constructor(readonly weights: Float64Array) {
    this.cumulative = new Float64Array(weights.length + 1);
    for (let b = 0; b < weights.length; b++) this.cumulative[b + 1] = this.cumulative[b] + weights[b];
  }

  get total(): number {
    return this.cumulative[this.weights.length];
  }

  /** The bucket and the fraction into it at which the cumulative weight reaches `target`. */
  locate(target: number): { bucket: number; fraction: number } {
    const c = this.cumulative;
    let lo = 0;
    let hi = this.weights.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid + 1] > target) hi = mid;
      else lo = mid + 1;
    }
    const w = this.weights[lo];
    const fraction = w > 0 ? Math.min(Math.max((target - c[lo]) / w, 0), 1) : 0;
    return { bucket: lo, fraction };
  }
}

export class Timeline {
  readonly start: number;
  readonly end: number;
  private readonly buckets: number;
  private readonly customers: Cdf;
  private readonly referrals: Cdf;

  /**
   * @param now the end of the window (ms)
   * @param years the window's length
   * @param customerCount how many customers are spread over the window
   * @param referralCount how many referrals are spread over it
   */
  constructor(
    readonly now: number,
    years: number,
    private readonly customerCount: number,
    private readonly referralCount: number,
  ) {
    this.start = Math.floor((now - years * YEAR) / HOUR) * HOUR;
    this.end = now;
    this.buckets = Math.ceil((now - this.start) / HOUR);
    const customerWeights = new Float64Array(this.buckets);
    for (let b = 0; b < this.buckets; b++) {
      const t = this.start + b * HOUR;
      const progress = (t - this.start) / (now - this.start);
      const date = new Date(t);
      const month = date.getUTCMonth();
      const summerTime = month >= 3 && month <= 9;
      const localHour = (date.getUTCHours() + (summerTime ? 2 : 1)) % 24;
      const dayOfYear = (t - Date.UTC(date.getUTCFullYear(), 0, 1)) / DAY;
      const season =
        1 + 0.22 * Math.cos((2 * Math.PI * (dayOfYear - 15)) / 365.25) + 0.12 * Math.cos((4 * Math.PI * (dayOfYear - 15)) / 365.25);
      const growth = 0.45 + 1.1 * progress;
      const length = Math.min(HOUR, now - t) / HOUR; // the last bucket may be partial
      customerWeights[b] = growth * season * WEEKDAY[date.getUTCDay()] * HOURLY[localHour] * length;
    }
    this.customers = new Cdf(customerWeights);
    const referralWeights = new Float64Array(this.buckets);
    const total = this.customers.total;
    for (let b = 0; b < this.buckets; b++) {
      // Referrals need referrers: their rate follows the customer base built up so far.
      const existing = this.customers.cumulative[b + 1] / total;
      referralWeights[b] = customerWeights[b] * existing;
    }
    this.referrals = new Cdf(referralWeights);
  }

  private timeAt(cdf: Cdf, quantile: number): number {
    const { bucket, fraction } = cdf.locate(quantile * cdf.total);
    const bucketStart = this.start + bucket * HOUR;
    const length = Math.min(HOUR, this.now - bucketStart);
    return Math.min(bucketStart + fraction * length, this.now);
  }

  /** When customer `index` (0-based among those generated) was created, in ms; rises with index. */
  customerCreatedAt(index: number): number {
    return Math.floor(this.timeAt(this.customers, (index + 0.5) / this.customerCount));
  }

  /** When referral `index` was submitted, in ms; rises with index. */
  referralSubmittedAt(index: number): number {
    return Math.floor(this.timeAt(this.referrals, (index + 0.5) / this.referralCount));
  }

  /** How many of the generated customers were created at or before `time`. */
  customersBy(time: number): number {
    if (time < this.start) return 0;
    const b = Math.min(Math.floor((time - this.start) / HOUR), this.buckets - 1);
    const bucketStart = this.start + b * HOUR;
    const length = Math.min(HOUR, this.now - bucketStart);
    const within = Math.min((time - bucketStart) / length, 1);
    const fraction = (this.customers.cumulative[b] + within * this.customers.weights[b]) / this.customers.total;
    let k = Math.min(Math.max(Math.floor(fraction * this.customerCount + 0.5), 0), this.customerCount);
    // Guard against rounding at the edges: every counted customer really exists by `time`.
    while (k > 0 && this.customerCreatedAt(k - 1) > time) k--;
    while (k < this.customerCount && this.customerCreatedAt(k) <= time) k++;
    return k;
  }
}

export const MS = { HOUR, DAY, YEAR };
