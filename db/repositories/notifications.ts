import type { Locale } from '../../domain/locale.js';
import type { FlagReason } from '../../domain/referral-rules.js';
import type { Db } from '../knex.js';

/** What a referral's notifications say (activities/notifications.ts): the referral, its referrer and its voucher. */
export interface NotificationFacts {
  id: string;
  /** The referral's workflow id, as its row holds it: the emails' idempotency keys begin with it. */
  workflow_id: string;
  new_customer_email: string;
  new_customer_locale: Locale | null;
  flag_reasons: FlagReason[];
  reward_amount_cents: number;
  referrer_name: string;
  referrer_email: string;
  referrer_code: string;
  referrer_locale: Locale;
  voucher_code: string | null;
}

/** The facts of one referral for its notifications, in one query; undefined when it does not exist. */
export async function notificationFacts(db: Db, referralId: string): Promise<NotificationFacts | undefined> {
  return db('referrals as r')
    .join('customers as c', 'c.id', 'r.referrer_id')
    .leftJoin('rewards as w', 'w.referral_id', 'r.id')
    .where('r.id', referralId)
    .first(
      'r.id',
      'r.workflow_id',
      'r.new_customer_email',
      'r.new_customer_locale',
      'r.flag_reasons',
      'r.reward_amount_cents',
      'c.name as referrer_name',
      'c.email as referrer_email',
      'c.referral_code as referrer_code',
      'c.locale as referrer_locale',
      'w.voucher_code',
    );
}
