import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { describe, it } from 'node:test';
import { canonicalMailbox, isEmail } from '../domain/email.js';
import { REFERRAL_CODE_ALPHABET, generateReferralCode, isReferralCode, normaliseReferralCode } from '../domain/referral-code.js';
import { evaluateReferralRules, type ReferralFacts } from '../domain/referral-rules.js';
import { endOfDepartureDay, rewardHoldEnds } from '../domain/reward-hold.js';
import { referralWorkflowId, uniqueWorkflowIdPart } from '../domain/workflow-ids.js';

describe('referral codes', () => {
  it('are 8 characters without look-alikes', () => {
    for (const ch of '01OIL') assert.ok(!REFERRAL_CODE_ALPHABET.includes(ch), ch);
    for (let i = 0; i < 1000; i++) assert.ok(isReferralCode(generateReferralCode(randomInt)));
  });
  it('accept what people type: lower case, spaces and dashes', () => {
    assert.equal(normaliseReferralCode(' abc2-3456 '), 'ABC23456');
    assert.ok(!isReferralCode('ABC1O456'));
  });
});

describe('workflow ids', () => {
  it("carry the row's number and 8 random characters without look-alikes, each of the 32 equally often", () => {
    const counts = new Map<string, number>();
    const parts = new Set<string>();
    for (let i = 0; i < 32_000; i++) {
      const part = uniqueWorkflowIdPart();
      assert.match(part, /^[a-km-np-z2-9]{8}$/);
      parts.add(part);
      for (const ch of part) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    assert.equal(parts.size, 32_000, 'no repeats among 32,000 (40 bits)');
    assert.equal(counts.size, 32);
    // 8,000 expected per character; a skewed bit (a fixed UUID digit taken for a random one) would halve or double some
    for (const [ch, n] of counts) assert.ok(n > 7_400 && n < 8_600, `${ch}: ${n}`);
    assert.equal(referralWorkflowId(42, 'abcdefgh'), 'referral-42-abcdefgh');
  });
});

describe('emails', () => {
  it('validate pragmatically', () => {
    assert.ok(isEmail('jan.de.vries@bebsy.nl'));
    for (const bad of ['jan', 'jan@', '@bebsy.nl', 'jan de vries@bebsy.nl', 'jan@bebsy']) assert.ok(!isEmail(bad), bad);
  });
  it('reduce to the mailbox that receives them', () => {
    assert.equal(canonicalMailbox('J.an+vriend@GoogleMail.com'), 'jan@gmail.com');
    assert.equal(canonicalMailbox('j.an+x@bebsy.nl'), 'j.an@bebsy.nl');
  });
});

describe('referral rules', () => {
  const facts: ReferralFacts = {
    referrerEmail: 'anna@example.nl',
    refereeEmail: 'piet@example.nl',
    bookingReference: 'BK1',
    bookingReferenceInUse: false,
    refereeIsCustomer: false,
    refereeReferredEarlier: false,
    referrerActiveReferrals: 0,
    referrerReferralsLastHour: 1,
  };
  const policy = { maxReferralsPerCustomer: 0, requireBookingReference: false };

  it('accepts a clean referral without flags', () => {
    assert.deepEqual(evaluateReferralRules(facts, policy), { verdict: 'accept', flags: [] });
  });
  it('rejects by each rule, first match wins', () => {
    const reject = (f: Partial<ReferralFacts>, p = policy) => evaluateReferralRules({ ...facts, ...f }, p);
    assert.deepEqual(reject({ referrerEmail: null }), { verdict: 'reject', reason: 'unknown_referrer' });
    assert.deepEqual(reject({ refereeEmail: 'ANNA@example.nl' }), { verdict: 'reject', reason: 'self_referral' });
    assert.deepEqual(reject({ bookingReference: null }, { ...policy, requireBookingReference: true }), {
      verdict: 'reject',
      reason: 'booking_reference_required',
    });
    assert.deepEqual(reject({ refereeIsCustomer: true }), { verdict: 'reject', reason: 'already_customer' });
    assert.deepEqual(reject({ refereeReferredEarlier: true }), { verdict: 'reject', reason: 'already_referred' });
    assert.deepEqual(reject({ referrerActiveReferrals: 5 }, { ...policy, maxReferralsPerCustomer: 5 }), {
      verdict: 'reject',
      reason: 'referral_limit_reached',
    });
    assert.deepEqual(reject({ referrerActiveReferrals: 5 }), { verdict: 'accept', flags: [] }, '0 means unlimited');
  });
  it('flags what needs a human', () => {
    const verdict = evaluateReferralRules(
      { ...facts, referrerEmail: 'anna@gmail.com', refereeEmail: 'a.n.n.a+1@gmail.com', referrerReferralsLastHour: 11 },
      policy,
    );
    assert.deepEqual(verdict, { verdict: 'accept', flags: ['similar_to_referrer_email', 'high_referral_velocity'] });
    assert.deepEqual(evaluateReferralRules({ ...facts, refereeEmail: 'x@mailinator.com' }, policy), {
      verdict: 'accept',
      flags: ['disposable_email_domain'],
    });
  });
});

describe('the reward hold', () => {
  it('lasts until the departure day is over in Amsterdam, summer and winter time alike', () => {
    assert.equal(new Date(endOfDepartureDay('2027-07-01')).toISOString(), '2027-07-01T22:00:00.000Z'); // 2 jul 00:00 CEST
    assert.equal(new Date(endOfDepartureDay('2027-01-15')).toISOString(), '2027-01-15T23:00:00.000Z'); // 16 jan 00:00 CET
    assert.equal(new Date(endOfDepartureDay('2027-03-27')).toISOString(), '2027-03-27T23:00:00.000Z', 'the night the clocks go forward');
    assert.equal(new Date(endOfDepartureDay('2027-03-28')).toISOString(), '2027-03-28T22:00:00.000Z');
    assert.equal(new Date(endOfDepartureDay('2027-10-30')).toISOString(), '2027-10-30T22:00:00.000Z', 'the night the clocks go back');
  });

  it('is the later of rewardHoldDays after approval and the end of the departure day', () => {
    const approvedAt = Date.parse('2027-06-01T10:00:00Z');
    assert.equal(rewardHoldEnds(approvedAt, 14, null), Date.parse('2027-06-15T10:00:00Z'));
    assert.equal(rewardHoldEnds(approvedAt, 14, '2027-07-01'), Date.parse('2027-07-01T22:00:00Z'));
    assert.equal(
      rewardHoldEnds(approvedAt, 14, '2027-06-02'),
      Date.parse('2027-06-15T10:00:00Z'),
      'a departure inside the hold changes nothing',
    );
    assert.equal(rewardHoldEnds(approvedAt, 0, '2020-01-01'), approvedAt, 'a past departure with no hold pays at once');
  });
});
