import type { Db } from '../../db/knex.js';

/**
 * What admins type into the search boxes, drawn from the seeded rows themselves so that every
 * term finds something: a whole email, the part before the @, a surname, a full name, a
 * customer number, a referral code (customers); a friend's email, its local part, a booking
 * reference, a referrer code, a referral id (referrals). Deterministic: the same rows each run.
 */
export async function customerSearchTerms(db: Db, count: number): Promise<string[]> {
  const rows: { name: string; email: string; bebsy_customer_id: string; referral_code: string }[] = await db('customers')
    .select('name', 'email', 'bebsy_customer_id', 'referral_code')
    .whereRaw('id % 997 = 0')
    .orderBy('id')
    .limit(count);
  return rows.map((row, i) => {
    switch (i % 6) {
      case 0:
        return row.email;
      case 1:
        return row.email.split('@')[0];
      case 2:
        return row.name.split(' ').at(-1)!;
      case 3:
        return row.name;
      case 4:
        return row.bebsy_customer_id;
      default:
        return row.referral_code;
    }
  });
}

export async function referralSearchTerms(db: Db, count: number): Promise<string[]> {
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
        return row.new_customer_email;
      case 1:
        return row.new_customer_email.split('@')[0];
      case 2:
        return row.booking_reference ?? row.new_customer_email;
      case 3:
        return row.referral_code;
      default:
        return String(row.id);
    }
  });
}
