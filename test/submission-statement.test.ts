import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDb } from '../db/knex.js';
import { createCustomer } from '../db/repositories/customers.js';
import { insertOrGetReferral } from '../db/repositories/referrals.js';
import { withEmptyDatabase } from './support/system.js';

describe("the submission's prepared insert", () => {
  it('is planned once per connection and keeps working after a migration adds a column to referrals', async () => {
    await withEmptyDatabase(async (url) => {
      // one connection, so the second submission meets the statement the first one prepared
      const db = createDb(url, { pool: { min: 1, max: 1, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 } });
      try {
        const created = await createCustomer(db, {
          bebsy_customer_id: 'PREP-1',
          name: 'Anna de Vries',
          email: 'anna@example.nl',
          locale: 'nl',
        });
        assert.equal(created.kind, 'created');
        const referrerCode = created.kind === 'created' ? created.customer.referral_code : '';
        const submit = (friend: string) =>
          insertOrGetReferral(db, { referrerCode, newCustomerEmail: friend, bookingReference: null, rewardAmountCents: 2500 });

        const first = await submit('friend1@example.nl');
        assert.equal(first.kind, 'created');
        const prepared = await db.raw<{ rows: { name: string }[] }>('SELECT name FROM pg_prepared_statements');
        assert.deepEqual(
          prepared.rows.map((row) => row.name),
          ['submit-referral-booking_reference'],
        );

        // what a deploy's migration does while the running API keeps its connections
        await db.raw('ALTER TABLE referrals ADD COLUMN campaign text');
        const second = await submit('friend2@example.nl');
        assert.equal(second.kind, 'created', 'no "cached plan must not change result type"');
        assert.deepEqual(
          Object.keys(second.kind === 'created' ? second.referral : {}).sort(),
          Object.keys(first.kind === 'created' ? first.referral : {}).sort(),
        );

        const again = await submit('friend2@example.nl');
        assert.equal(again.kind, 'existing');
        assert.equal(again.kind === 'existing' && again.referral.id, second.kind === 'created' && second.referral.id);
      } finally {
        await db.destroy();
      }
    });
  });
});
