import type { Db } from '../knex.js';

/** The review queue as the daily digest tells it: how many referrals wait for approval, and the oldest ones. */
export interface PendingApprovals {
  count: number;
  oldest: Array<{ id: string; referrer_name: string; submitted_at: Date }>;
}

/** The referrals pending approval: their number and the `oldestLimit` oldest (submitted first, then by id). */
export async function pendingApprovals(db: Db, oldestLimit: number): Promise<PendingApprovals> {
  const [{ count }] = await db('referrals').where('status', 'pending_approval').count<{ count: string }[]>({ count: '*' });
  const oldest: PendingApprovals['oldest'] = await db('referrals as r')
    .join('customers as c', 'c.id', 'r.referrer_id')
    .where('r.status', 'pending_approval')
    .orderBy([
      { column: 'r.submitted_at', order: 'asc' },
      { column: 'r.id', order: 'asc' },
    ])
    .limit(oldestLimit)
    .select('r.id', 'c.name as referrer_name', 'r.submitted_at');
  return { count: Number(count), oldest };
}
