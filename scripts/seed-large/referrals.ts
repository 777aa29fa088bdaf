/**
 * Referral rows (and the reward of each paid one), generated in submission order.
 *
 * Each referral lives through the lifecycle of docs/architecture.md against the clock: the rule checks
 * reject some at once (with the rule's reason and an email that really breaks that rule), the
 * rest wait for a booking, which comes or does not (expiry after REFERRAL_EXPIRY_DAYS), then an
 * admin or auto-approval decides, the reward hold runs until the departure (at least
 * REWARD_HOLD_DAYS), and the reward is paid. Whatever has not happened by `now` leaves the
 * referral in the state it reached, so recent referrals are still open and old ones are done.
 * The timestamps follow the path: submitted_at ≤ awaiting_booking_at ≤ booking_confirmed_at ≤
 * approved_at ≤ paid_at, and rejected_at / expired_at / revoked_at after the last of those.
 */
import type { FlagReason, RejectionReason } from '../../domain/referral-rules.js';
import type { ReferralStatus } from '../../domain/referral-status.js';
import { type CodeClashes, CodeScrambler } from './codes.js';
import { type CustomerFactory, iso, isoDate } from './customers.js';
import { DISPOSABLE_DOMAINS, mailLocal, pickDomain, pickName } from './names.js';
import { Rng, hash32, weighted } from './random.js';
import { MS, type Timeline } from './timeline.js';

export const bookingReferences = new CodeScrambler('bebsy-seed:booking-reference');
export const voucherCodes = new CodeScrambler('bebsy-seed:voucher');
export const BOOKING_REFERENCE_PREFIX = 'BB-';
export const VOUCHER_PREFIX = 'BEBSY-';

export const REFERRAL_COLUMNS = [
  'id',
  'referrer_id',
  'new_customer_email',
  'booking_reference',
  'status',
  'reward_amount_cents',
  'booking_value_cents',
  'currency',
  'departure_date',
  'flagged',
  'flag_reasons',
  'rejection_reason',
  'workflow_id',
  'submitted_at',
  'awaiting_booking_at',
  'booking_confirmed_at',
  'approved_at',
  'approved_by',
  'paid_at',
  'rejected_at',
  'rejected_by',
  'expired_at',
  'revoked_at',
  'updated_at',
] as const;

/** The reward file's columns; the seeder adds id and voucher_code in front when it copies them. */
export const REWARD_COLUMNS = [
  'id',
  'voucher_code',
  'referral_id',
  'customer_id',
  'amount_cents',
  'currency',
  'status',
  'paid_at',
  'clawback_at',
  'created_at',
] as const;

export interface LifecycleSettings {
  rewardAmountCents: number;
  expiryDays: number;
  rewardHoldDays: number;
  clawbackWindowDays: number;
}

/** Why the rules reject, among rejected referrals (unknown_referrer cannot happen: referrer_id is a foreign key). */
const RULE_REJECTIONS = weighted<RejectionReason>([
  ['already_customer', 40],
  ['already_referred', 25],
  ['self_referral', 12],
  ['referral_limit_reached', 13],
  ['booking_reference_required', 10],
]);
const FLAGS = weighted<FlagReason>([
  ['disposable_email_domain', 45],
  ['similar_to_referrer_email', 35],
  ['high_referral_velocity', 20],
]);
const ADMINS = weighted<string>([
  ['admin:admin', 2],
  ['admin:sanne', 5],
  ['admin:pieter', 4],
  ['admin:fatima', 3],
  ['admin:jeroen', 2],
]);
/** What admins write when they reject (the review form needs a reason). */
const ADMIN_REASONS = weighted<string>([
  ['Geen boeking gevonden onder dit boekingsnummer', 4],
  ['Boeking niet via de verwijzing gedaan', 3],
  ['Dubbele aanmelding voor dezelfde reiziger', 3],
  ['Vermoeden van misbruik van de verwijsregeling', 2],
  ['Reiziger was al klant bij Bebsy', 2],
]);

const NULL = '\\N';
const RULE_CHECK_MS = 40_000;

/** Where a referral ended up; the fields are reused between rows (no allocation per row). */
interface Referral {
  id: number;
  referrerIndex: number;
  email: string;
  bookingReference: string | null;
  status: ReferralStatus;
  valueCents: number;
  departure: string | null;
  flagReasons: FlagReason[];
  rejectionReason: string | null;
  submittedAt: number;
  awaitingAt: number;
  confirmedAt: number;
  approvedAt: number;
  approvedBy: string | null;
  paidAt: number;
  rejectedAt: number;
  rejectedBy: string | null;
  expiredAt: number;
  revokedAt: number;
}

export interface StatusCounts {
  [status: string]: number;
}

export class ReferralFactory {
  private readonly rng: Rng;
  private readonly r: Referral = blank();
  /** Customers that already referred themselves (once is enough to be rejected). */
  private readonly selfReferred: Uint8Array;
  /** Next "already a customer" target (each customer is that target at most once). */
  private alreadyCustomerCursor = 0;
  /** Recent referrals of people who did not become rejected: the ones someone else may refer again. */
  private readonly recent = { emails: new Array<string>(256).fill(''), referrers: new Int32Array(256).fill(-1), head: 0 };
  readonly statusCounts: StatusCounts = {};
  flagged = 0;
  paid = 0;

  constructor(
    seed: number,
    readonly firstId: number,
    readonly count: number,
    private readonly customers: CustomerFactory,
    private readonly timeline: Timeline,
    private readonly settings: LifecycleSettings,
    private readonly bookingRefs: CodeClashes,
  ) {
    this.rng = new Rng(seed, 0x5eed_0000_0001);
    this.selfReferred = new Uint8Array(customers.count);
  }

  /**
   * Generates referral `index`; returns its COPY line, and through `onReward` the reward line
   * (without id and voucher) when it was paid.
   */
  line(index: number, onReward: (line: string) => void): string {
    const r = this.generate(index);
    this.statusCounts[r.status] = (this.statusCounts[r.status] ?? 0) + 1;
    if (r.flagReasons.length) this.flagged++;
    const referrerId = this.customers.idOf(r.referrerIndex);
    const booked = r.confirmedAt > 0;
    const updatedAt = Math.max(r.submittedAt, r.awaitingAt, r.confirmedAt, r.approvedAt, r.paidAt, r.rejectedAt, r.expiredAt, r.revokedAt);
    if (r.status === 'paid') {
      this.paid++;
      const rng = this.rng;
      const clawback = rng.chance(0.008) ? r.paidAt + MS.DAY + Math.floor(rng.next() * (this.settings.clawbackWindowDays - 1) * MS.DAY) : 0;
      const hasClawback = clawback > 0 && clawback <= this.timeline.now;
      onReward(
        `${r.id}\t${referrerId}\t${this.settings.rewardAmountCents}\tEUR\t${hasClawback ? 'clawback_due' : 'paid'}\t${iso(r.paidAt)}\t${hasClawback ? iso(clawback) : NULL}\t${iso(r.paidAt)}\n`,
      );
    }
    return (
      `${r.id}\t${referrerId}\t${r.email}\t${r.bookingReference ?? NULL}\t${r.status}\t${this.settings.rewardAmountCents}\t` +
      `${booked ? r.valueCents : NULL}\t${booked ? 'EUR' : NULL}\t${r.departure ?? NULL}\t${r.flagReasons.length ? 't' : 'f'}\t` +
      `{${r.flagReasons.join(',')}}\t${r.rejectionReason ?? NULL}\treferral-${r.id}\t${iso(r.submittedAt)}\t` +
      `${ts(r.awaitingAt)}\t${ts(r.confirmedAt)}\t${ts(r.approvedAt)}\t${r.approvedBy ?? NULL}\t${ts(r.paidAt)}\t` +
      `${ts(r.rejectedAt)}\t${r.rejectedBy ?? NULL}\t${ts(r.expiredAt)}\t${ts(r.revokedAt)}\t${iso(updatedAt)}\n`
    );
  }

  private generate(index: number): Referral {
    const { rng, timeline, customers, settings } = this;
    const now = timeline.now;
    const r = reset(this.r);
    r.id = this.firstId + index;

    // Submitted at its place in the timeline, by a customer who existed by then.
    let submitted = Math.min(timeline.referralSubmittedAt(index), now - 2 * RULE_CHECK_MS);
    const known = Math.max(timeline.customersBy(submitted), 1);
    const { index: referrerIndex, power } = this.pickReferrer(known);
    r.referrerIndex = referrerIndex;
    submitted = Math.max(submitted, customers.createdAt(referrerIndex) + 1000);
    r.submittedAt = submitted;

    // 1. The rule checks.
    if (rng.chance(0.07)) {
      const reason = this.ruleRejection(index, known, referrerIndex);
      r.status = 'rejected';
      r.rejectionReason = reason;
      r.rejectedBy = 'system:rules';
      r.rejectedAt = submitted + 2000 + rng.int(RULE_CHECK_MS - 2000);
      return r;
    }
    r.awaitingAt = submitted + 1000 + rng.int(19_000);
    if (rng.chance(power ? 0.3 : 0.03)) {
      const flag = power && rng.chance(0.6) ? 'high_referral_velocity' : FLAGS.pick(rng);
      r.flagReasons.push(flag);
      if (flag !== 'high_referral_velocity' && power && rng.chance(0.5)) r.flagReasons.push('high_referral_velocity');
      if (flag === 'similar_to_referrer_email') {
        const own = customers.make(referrerIndex).email;
        const at = own.indexOf('@');
        r.email = `${own.slice(0, at)}+${r.id}${own.slice(at)}`;
      } else if (flag === 'disposable_email_domain') {
        r.email = `${mailLocal(rng, pickName(rng))}.${r.id}@${DISPOSABLE_DOMAINS.pick(rng)}`;
      }
    }
    if (!r.email) r.email = this.friendEmail(r.id);
    const flagged = r.flagReasons.length > 0;
    // Some friends fill in their booking reference on the form already.
    if (rng.chance(0.12)) r.bookingReference = this.bookingReference(r.id);

    // 2. Waiting for the booking: it comes, an admin rejects first, or the referral expires.
    const bookedAt = rng.chance(flagged ? 0.3 : 0.42)
      ? r.awaitingAt + Math.min(rng.exp(12 * MS.DAY) + rng.int(MS.DAY), (settings.expiryDays - 0.5) * MS.DAY)
      : Infinity;
    const rejectedEarly = rng.chance(flagged ? 0.2 : 0.004) ? r.awaitingAt + MS.HOUR + rng.int(10 * MS.DAY) : Infinity;
    const expiresAt = r.awaitingAt + settings.expiryDays * MS.DAY;
    const first = Math.min(bookedAt, rejectedEarly, expiresAt);
    if (first > now) return this.settle(r, 'awaiting_booking');
    if (first === rejectedEarly) return this.adminReject(r, rejectedEarly);
    if (first === expiresAt) {
      r.expiredAt = Math.min(expiresAt + rng.int(5000), now);
      return this.settle(r, 'expired');
    }

    // The booking system confirmed the booking.
    r.confirmedAt = Math.floor(bookedAt);
    r.bookingReference = this.bookingReference(r.id);
    r.valueCents = bookingValueCents(rng);
    const departureDay =
      Math.floor(r.confirmedAt / MS.DAY) + Math.round(Math.min(Math.max(Math.exp(Math.log(45) + 0.7 * rng.normal()), 7), 360));
    const departureMs = departureDay * MS.DAY;
    r.departure = isoDate(departureMs);
    const cancelledAt = rng.chance(0.06) ? r.confirmedAt + Math.floor(rng.next() * (departureMs - r.confirmedAt)) : Infinity;

    // 3. Approval: auto-approval within seconds for clean ones (when enabled), else an admin.
    const auto = !flagged && rng.chance(0.3);
    const decidedAt =
      r.confirmedAt +
      Math.floor(
        auto
          ? 1000 + rng.int(29_000)
          : flagged
            ? MS.HOUR + rng.exp(3 * MS.DAY)
            : Math.min(Math.max(rng.exp(30 * MS.HOUR), 10 * 60_000), 14 * MS.DAY),
      );
    const rejects = !auto && rng.chance(flagged ? 0.35 : 0.025);
    if (Math.min(decidedAt, cancelledAt) > now) return this.settle(r, 'pending_approval');
    if (cancelledAt < decidedAt) {
      r.revokedAt = Math.floor(cancelledAt);
      return this.settle(r, 'revoked');
    }
    if (rejects) return this.adminReject(r, decidedAt);
    r.approvedAt = decidedAt;
    r.approvedBy = auto ? 'system:auto-approve' : ADMINS.pick(rng);

    // 4. The reward hold (until departure, at least REWARD_HOLD_DAYS), then the payout.
    const holdEnds = Math.max(r.approvedAt + settings.rewardHoldDays * MS.DAY, departureMs);
    if (cancelledAt <= holdEnds) {
      if (cancelledAt > now) return this.settle(r, 'approved');
      r.revokedAt = Math.max(Math.floor(cancelledAt), r.approvedAt);
      return this.settle(r, 'revoked');
    }
    const paidAt = holdEnds + 1000 + rng.int(15 * 60_000);
    if (paidAt > now) return this.settle(r, 'approved');
    r.paidAt = paidAt;
    return this.settle(r, 'paid');
  }

  private settle(r: Referral, status: ReferralStatus): Referral {
    r.status = status;
    if (!r.email.includes('+') && status !== 'rejected') {
      // Someone else may refer this friend again later (and be rejected as already_referred).
      const ring = this.recent;
      ring.head = (ring.head + 1) & 255;
      ring.emails[ring.head] = r.email;
      ring.referrers[ring.head] = r.referrerIndex;
    }
    return r;
  }

  private adminReject(r: Referral, at: number): Referral {
    r.status = 'rejected';
    r.rejectedAt = Math.floor(at);
    r.rejectedBy = ADMINS.pick(this.rng);
    r.rejectionReason = ADMIN_REASONS.pick(this.rng);
    return r;
  }

  /** A rule's reason, with the email that breaks the rule; falls back when that cannot be arranged. */
  private ruleRejection(index: number, known: number, referrerIndex: number): RejectionReason {
    const r = this.r;
    const reason = RULE_REJECTIONS.pick(this.rng);
    if (reason === 'self_referral' && !this.selfReferred[referrerIndex]) {
      this.selfReferred[referrerIndex] = 1;
      r.email = this.customers.make(referrerIndex).email;
      return reason;
    }
    if (reason === 'already_customer') {
      const target = alreadyCustomerTarget(this.alreadyCustomerCursor);
      if (target < known && target !== referrerIndex) {
        this.alreadyCustomerCursor++;
        r.email = this.customers.make(target).email;
        return reason;
      }
    }
    if (reason === 'already_referred') {
      const ring = this.recent;
      for (let back = 0; back < 32; back++) {
        const slot = (ring.head - back) & 255;
        if (ring.emails[slot] && ring.referrers[slot] !== referrerIndex) {
          r.email = ring.emails[slot];
          ring.emails[slot] = ''; // used once: (referrer, email) stays unique
          return reason;
        }
      }
    }
    r.email = this.friendEmail(r.id);
    if (reason === 'booking_reference_required') return reason;
    return 'referral_limit_reached';
  }

  /** A friend's address: a name at a Dutch provider, made unique by the referral's id. */
  private friendEmail(id: number): string {
    return `${mailLocal(this.rng, pickName(this.rng))}.${id}@${pickDomain(this.rng)}`;
  }

  private bookingReference(id: number): string {
    return BOOKING_REFERENCE_PREFIX + this.bookingRefs.codeFor(id);
  }

  /**
   * Who refers: half of the customers now and then, one in fifty often, one in two thousand
   * (the "influencers") a lot, so the leaderboard has a long tail. Only customers that exist by
   * the submission (index < known) can refer.
   */
  private pickReferrer(known: number): { index: number; power: boolean } {
    const x = this.rng.next();
    if (x < 0.08) {
      const index = memberOf(this.rng, known, 2000, 0x50);
      if (index >= 0) return { index, power: true };
    }
    if (x < 0.35) {
      const index = memberOf(this.rng, known, 50, 0x51);
      if (index >= 0) return { index, power: false };
    }
    const index = memberOf(this.rng, known, 2, 0x52);
    return { index: index >= 0 ? index : this.rng.int(known), power: false };
  }
}

/** A random member, below `known`, of the group "one customer in every block of `size`". */
function memberOf(rng: Rng, known: number, size: number, salt: number): number {
  const blocks = Math.floor(known / size);
  if (blocks === 0) return -1;
  const block = rng.int(blocks);
  const index = block * size + (hash32(block, salt) % size);
  return index < known ? index : -1;
}

/** A permutation of the customers in blocks of 4096: each is "already a customer" target at most once. */
function alreadyCustomerTarget(cursor: number): number {
  const block = Math.floor(cursor / 4096);
  return block * 4096 + (((cursor & 4095) * 2731 + (hash32(block, 0x53) & 4095)) & 4095);
}

/** A trip for the family: median about EUR 1,100, from a city break to a long-haul journey. */
function bookingValueCents(rng: Rng): number {
  let euros = Math.round(Math.min(Math.max(Math.exp(Math.log(1100) + 0.55 * rng.normal()), 149), 14_999));
  if (rng.chance(0.5)) euros = euros - (euros % 10) + 9;
  return euros * 100;
}

function ts(ms: number): string {
  return ms > 0 ? iso(ms) : NULL;
}

function blank(): Referral {
  return {
    id: 0,
    referrerIndex: 0,
    email: '',
    bookingReference: null,
    status: 'submitted',
    valueCents: 0,
    departure: null,
    flagReasons: [],
    rejectionReason: null,
    submittedAt: 0,
    awaitingAt: 0,
    confirmedAt: 0,
    approvedAt: 0,
    approvedBy: null,
    paidAt: 0,
    rejectedAt: 0,
    rejectedBy: null,
    expiredAt: 0,
    revokedAt: 0,
  };
}

function reset(r: Referral): Referral {
  r.email = '';
  r.bookingReference = null;
  r.valueCents = 0;
  r.departure = null;
  r.flagReasons.length = 0;
  r.rejectionReason = null;
  r.awaitingAt = r.confirmedAt = r.approvedAt = r.paidAt = r.rejectedAt = r.expiredAt = r.revokedAt = 0;
  r.approvedBy = r.rejectedBy = null;
  return r;
}
