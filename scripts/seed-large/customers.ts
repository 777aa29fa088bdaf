/**
 * Customer rows. Each row is a pure function of (seed, row index) plus the few values already
 * taken in the database, so the referral generator can regenerate any customer (its email)
 * without keeping a million of them in memory.
 *
 * Uniqueness by construction, never by lookup:
 * - bebsy_customer_id `BEB-0001234` and the email's number come from the row's id;
 * - the referral code is a keyed permutation of the id (codes.ts);
 * - a value that an earlier, non-generated row happens to hold is avoided (see `TakenValues`).
 */
import { CodeClashes, CodeScrambler } from './codes.js';
import { displayName, mailLocal, pickDomain, pickName } from './names.js';
import { Rng } from './random.js';
import type { Timeline } from './timeline.js';

export const referralCodes = new CodeScrambler('bebsy-seed:referral-code');

export const CUSTOMER_COLUMNS = [
  'id',
  'bebsy_customer_id',
  'name',
  'email',
  'referral_code',
  'locale',
  'created_at',
  'updated_at',
] as const;

export function bebsyCustomerId(id: number): string {
  return `BEB-${String(id).padStart(7, '0')}`;
}

/** The id-derived number in a generated customer email (`jan.devries1234@...`), or -1. */
export function customerEmailNumber(email: string): number {
  const match = /[a-z](\d+)@/.exec(email);
  return match ? Number(match[1]) : -1;
}

/** What already exists in the database that a new row must not repeat. */
export interface TakenCustomerValues {
  codes: CodeClashes;
  /** Existing bebsy_customer_ids of the form BEB-<n> with n in the new id range. */
  bebsyIds: Set<string>;
  /** Existing emails whose number falls in the new id range. */
  emails: Set<string>;
}

export function noTakenCustomerValues(firstId: number, lastId: number): TakenCustomerValues {
  return { codes: new CodeClashes(referralCodes, firstId, lastId), bebsyIds: new Set(), emails: new Set() };
}

export interface Customer {
  id: number;
  bebsyCustomerId: string;
  name: string;
  email: string;
  referralCode: string;
  locale: 'nl' | 'en';
  createdAt: number;
  updatedAt: number;
}

export class CustomerFactory {
  private readonly rng = new Rng(0);

  constructor(
    private readonly seed: number,
    readonly firstId: number,
    readonly count: number,
    private readonly timeline: Timeline,
    private readonly taken: TakenCustomerValues,
  ) {}

  idOf(index: number): number {
    return this.firstId + index;
  }

  createdAt(index: number): number {
    return this.timeline.customerCreatedAt(index);
  }

  make(index: number): Customer {
    const rng = this.rng;
    rng.reseed(this.seed, index);
    const id = this.firstId + index;
    let name = pickName(rng);
    let email = `${mailLocal(rng, name)}${id}@${pickDomain(rng)}`;
    // An existing address equal to ours (only possible for non-generated rows): draw another.
    for (let attempt = 0; this.taken.emails.size > 0 && this.taken.emails.has(email); attempt++) {
      if (attempt > 100) throw new Error(`could not find a free email for customer ${id}`);
      name = pickName(rng);
      email = `${mailLocal(rng, name)}${id}@${pickDomain(rng)}`;
    }
    let bebsyId = bebsyCustomerId(id);
    if (this.taken.bebsyIds.has(bebsyId)) bebsyId = `${bebsyId}-1`;
    if (this.taken.bebsyIds.has(bebsyId)) throw new Error(`both customer numbers of id ${id} are taken`);
    const createdAt = this.timeline.customerCreatedAt(index);
    const locale = rng.chance(0.11) ? 'en' : 'nl';
    // Some customers changed their profile later (locale, name after marriage, ...).
    const updatedAt = rng.chance(0.15) ? createdAt + Math.floor(rng.next() * (this.timeline.now - createdAt)) : createdAt;
    return {
      id,
      bebsyCustomerId: bebsyId,
      name: displayName(name),
      email,
      referralCode: this.taken.codes.codeFor(id),
      locale,
      createdAt,
      updatedAt,
    };
  }

  /** One line of COPY text format. */
  line(index: number): string {
    const c = this.make(index);
    return `${c.id}\t${c.bebsyCustomerId}\t${c.name}\t${c.email}\t${c.referralCode}\t${c.locale}\t${iso(c.createdAt)}\t${iso(c.updatedAt)}\n`;
  }
}

const DAY_MS = 86_400_000;
const days = new Map<number, string>();
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** `YYYY-MM-DD` of a time in ms (UTC); cached per day. */
export function isoDate(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let text = days.get(day);
  if (text === undefined) {
    text = new Date(day * DAY_MS).toISOString().slice(0, 10);
    days.set(day, text);
  }
  return text;
}

/**
 * A timestamptz literal in UTC, `2025-03-01 14:05:09.123+00`. Date#toISOString cost more than
 * all the rest of the generation together; the date part is cached per day.
 */
export function iso(ms: number): string {
  ms = Math.floor(ms);
  const day = Math.floor(ms / DAY_MS);
  let rest = ms - day * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  return `${isoDate(ms)} ${TWO_DIGITS[h]}:${TWO_DIGITS[m]}:${TWO_DIGITS[s]}.${THREE_DIGITS[rest - s * 1000]}+00`;
}
