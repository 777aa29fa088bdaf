import type { Knex } from 'knex';

/**
 * Per-referrer rollups by submission date, for a period's leaderboard (`topReferrers()` in
 * db/repositories/analytics.ts): `referrer_stats` split by the Amsterdam calendar day (and month)
 * on which the referrals were submitted.
 *
 * - `referrer_daily` (day, customer_id): the referrals submitted that day and, of those, how many
 *   had their booking confirmed (at any time), how many are paid and their rewards. A period's
 *   figures per referrer are the sums over its days (the primary key's range).
 * - `referrer_monthly` (customer_id, month): of the referrals submitted that month, how many had
 *   their booking confirmed. Its only use is a bound: a referrer with F confirmed in a period
 *   spanning m calendar months has at least ceil(F / m) in one of them, and at most the sum of
 *   them (`referrer_monthly_converted_idx` finds the few referrers that can reach the top).
 *
 * Both are kept by the rollup trigger functions of migration 007 (`analytics_referrals_insert`,
 * `_update`, `_delete`): this migration appends its upserts to each of them, in the same
 * statement-level trigger and transaction as `analytics_daily` and `referrer_stats`, so the
 * rollups cannot drift apart (no separate trigger to miss, disable or reorder). The functions'
 * existing statements stay as they are deployed: the upserts go before their final
 * `RETURN NULL;` and `down` takes them out again. A COPY (seed:large) fills them like any insert.
 *
 * Writers meet on a row only for the same referrer and day (or month): no shards. Upserts run in
 * key order, so writers that do meet wait on each other instead of deadlocking. Rows that fall
 * back to zero (a referral deleted or moved to another day) stay, with zeros: readers skip them.
 */

const DAY = (column: string) => `(${column} AT TIME ZONE 'Europe/Amsterdam')::date`;

/** As in migration 007: a statement's rows with a sign, +1 for the rows now there, -1 for the rows that were. */
const SIGNED_ROWS = {
  insert: 'SELECT 1 AS sign, n.* FROM new_rows n',
  update: 'SELECT 1 AS sign, n.* FROM new_rows n UNION ALL SELECT -1 AS sign, o.* FROM old_rows o',
  delete: 'SELECT -1 AS sign, o.* FROM old_rows o',
} as const;

const upsertReferrerDaily = (rows: string) => `
  INSERT INTO referrer_daily AS d (day, customer_id, referrals, converted, paid, rewards_cents)
  SELECT ${DAY('r.submitted_at')}, r.referrer_id, sum(r.sign), sum(r.sign * (r.booking_confirmed_at IS NOT NULL)::int),
         sum(r.sign * (r.status = 'paid')::int), sum(r.sign * CASE WHEN r.status = 'paid' THEN r.reward_amount_cents ELSE 0 END)
    FROM (${rows}) r
   GROUP BY 1, 2
  HAVING sum(r.sign) <> 0 OR sum(r.sign * (r.booking_confirmed_at IS NOT NULL)::int) <> 0 OR sum(r.sign * (r.status = 'paid')::int) <> 0
      OR sum(r.sign * CASE WHEN r.status = 'paid' THEN r.reward_amount_cents ELSE 0 END) <> 0
   ORDER BY 1, 2
  ON CONFLICT (day, customer_id) DO UPDATE
     SET referrals = d.referrals + excluded.referrals, converted = d.converted + excluded.converted,
         paid = d.paid + excluded.paid, rewards_cents = d.rewards_cents + excluded.rewards_cents`;

/** The referrals' confirmed bookings per referrer and month of submission (the bound of a period's leaderboard). */
const upsertReferrerMonthly = (rows: string) => `
  INSERT INTO referrer_monthly AS m (customer_id, month, converted)
  SELECT r.referrer_id, date_trunc('month', ${DAY('r.submitted_at')})::date, sum(r.sign)
    FROM (${rows}) r
   WHERE r.booking_confirmed_at IS NOT NULL
   GROUP BY 1, 2
  HAVING sum(r.sign) <> 0
   ORDER BY 1, 2
  ON CONFLICT (customer_id, month) DO UPDATE SET converted = m.converted + excluded.converted`;

const upserts = (rows: string) => [upsertReferrerDaily(rows), upsertReferrerMonthly(rows)].join(';\n');

/** The statements this migration puts into a trigger function, marked so that `down` finds them again. */
const appended = (op: keyof typeof SIGNED_ROWS) =>
  `-- referrer_daily, referrer_monthly (migration 015)${upserts(SIGNED_ROWS[op])};\n  -- end of migration 015\n  `;
const FINAL = 'RETURN NULL;';

/** Rewrites the body of analytics_referrals_<op>() (a plpgsql function of migration 007) with `edit`. */
async function editTriggerFunction(db: Knex, op: keyof typeof SIGNED_ROWS, edit: (body: string) => string): Promise<void> {
  const name = `analytics_referrals_${op}`;
  const {
    rows: [fn],
  } = await db.raw<{ rows: { body: string }[] }>(`SELECT prosrc AS body FROM pg_proc WHERE oid = ?::regproc`, [name]);
  const body = edit(fn.body);
  await db.raw(`CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $fn$${body}$fn$`);
}

const occurrences = (text: string, part: string) => text.split(part).length - 1;

export async function up(db: Knex): Promise<void> {
  await db.raw(`
    CREATE TABLE referrer_daily (
      day date NOT NULL,
      customer_id bigint NOT NULL,
      referrals integer NOT NULL DEFAULT 0,
      converted integer NOT NULL DEFAULT 0,
      paid integer NOT NULL DEFAULT 0,
      rewards_cents bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (day, customer_id)
    );
    -- The day path of a period's leaderboard sums the period's rows with a confirmed booking.
    CREATE INDEX referrer_daily_converted_idx ON referrer_daily (day) INCLUDE (customer_id, converted) WHERE converted > 0;
    CREATE TABLE referrer_monthly (
      customer_id bigint NOT NULL,
      month date NOT NULL,
      converted integer NOT NULL DEFAULT 0,
      -- converted included: a referrer's months are summed index-only (its upserts are not HOT
      -- anyway, converted being a key of referrer_monthly_converted_idx).
      PRIMARY KEY (customer_id, month) INCLUDE (converted)
    );
    CREATE INDEX referrer_monthly_converted_idx ON referrer_monthly (month, converted) INCLUDE (customer_id);
    LOCK TABLE referrals IN SHARE MODE;
    ${upserts('SELECT 1 AS sign, r.* FROM referrals r')};
  `);
  for (const op of Object.keys(SIGNED_ROWS) as (keyof typeof SIGNED_ROWS)[])
    await editTriggerFunction(db, op, (body) => {
      if (body.includes('referrer_daily') || occurrences(body, FINAL) !== 1)
        throw new Error(`analytics_referrals_${op}() is not the function migration 007 created (one ${FINAL}, no referrer_daily)`);
      return body.replace(FINAL, `${appended(op)}${FINAL}`);
    });
  await db.raw('ANALYZE referrer_daily, referrer_monthly');
}

export async function down(db: Knex): Promise<void> {
  for (const op of Object.keys(SIGNED_ROWS) as (keyof typeof SIGNED_ROWS)[])
    await editTriggerFunction(db, op, (body) => {
      if (occurrences(body, appended(op)) !== 1) throw new Error(`analytics_referrals_${op}() lacks the statements migration 015 added`);
      return body.replace(appended(op), '');
    });
  await db.raw('DROP TABLE referrer_daily, referrer_monthly');
}
