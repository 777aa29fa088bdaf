import type { Db } from '../../db/knex.js';

/** A search box's input and what kind of value it is (for the per-kind figures). */
export interface SearchTerm {
  text: string;
  kind: string;
}

/**
 * What admins type into the search boxes, drawn from the seeded rows themselves so that every
 * term finds something: a whole email, the part before the @, a surname, a full name, a
 * customer number, a referral code (customers); a friend's email, its local part, a booking
 * reference, a referrer code, a referral id (referrals). Deterministic: the same rows each run.
 */
export async function customerSearchTerms(db: Db, count: number): Promise<SearchTerm[]> {
  const rows: { name: string; email: string; bebsy_customer_id: string; referral_code: string }[] = await db('customers')
    .select('name', 'email', 'bebsy_customer_id', 'referral_code')
    .whereRaw('id % 997 = 0')
    .orderBy('id')
    .limit(count);
  return rows.map((row, i) => {
    switch (i % 6) {
      case 0:
        return { text: row.email, kind: 'email' };
      case 1:
        return { text: row.email.split('@')[0], kind: 'local part' };
      case 2:
        return { text: row.name.split(' ').at(-1)!, kind: 'surname' };
      case 3:
        return { text: row.name, kind: 'full name' };
      case 4:
        return { text: row.bebsy_customer_id, kind: 'customer number' };
      default:
        return { text: row.referral_code, kind: 'referral code' };
    }
  });
}

export async function referralSearchTerms(db: Db, count: number): Promise<SearchTerm[]> {
  const rows: { id: string; new_customer_email: string; booking_reference: string | null; referral_code: string }[] = await db(
    'referrals as r',
  )
    .join('customers as c', 'c.id', 'r.referrer_id')
    .select('r.id', 'r.new_customer_email', 'r.booking_reference', 'c.referral_code')
    .whereRaw('r.id % 1999 = 0')
    .orderBy('r.id')
    .limit(count);
  return rows.map((row, i) => {
    switch (i % 5) {
      case 0:
        return { text: row.new_customer_email, kind: "friend's email" };
      case 1:
        return { text: row.new_customer_email.split('@')[0], kind: "friend's local part" };
      case 2:
        return row.booking_reference
          ? { text: row.booking_reference, kind: 'booking reference' }
          : { text: row.new_customer_email, kind: "friend's email" };
      case 3:
        return { text: row.referral_code, kind: 'referrer code' };
      default:
        return { text: String(row.id), kind: 'referral id' };
    }
  });
}
