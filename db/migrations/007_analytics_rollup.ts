import type { Knex } from 'knex';

/**
 * The analytics rollups, kept exact by Postgres itself: statement-level triggers with
 * transition tables on `referrals` and `rewards` fold every write (lifecycle activities, admin
 * decisions, COPY from seed:large, imports, deletes) into the rollups in the same transaction,
 * aggregated per statement, so a COPY of millions of rows costs one grouped upsert.
 *
 * `analytics_daily` (day = calendar day in Europe/Amsterdam):
 * - metric `submitted`, status S: referrals submitted that day that are now in status S
 *   (count; amount_cents = their reward amounts, for the pending rewards);
 * - metric `converted`: referrals submitted that day whose booking was confirmed;
 * - metric `booked`: bookings confirmed that day (count; amount_cents = known booking values;
 *   unvalued_count = bookings without a value, priced at AVERAGE_BOOKING_VALUE when read);
 * - metric `paid` / `clawback`: rewards paid / marked for clawback that day (count, amount).
 *
 * `referrer_stats`: per referrer, all time: referrals, converted, paid and the rewards paid.
 * A period's leaderboard scores its candidate referrers from `referrals_referrer_period_idx`
 * (index-only); it replaces `referrals_referrer_idx`, same key order (scanned backwards for
 * newest first), so a referral write maintains no more indexes than before.
 *
 * Every new referral adds to today's `submitted` row, and every transition moves a count between
 * two of a recent day's rows: under concurrent submissions those rows would serialise the
 * writers (a row lock is held until commit). So each (day, metric, status) is spread over
 * SHARDS rows, picked by the writing backend's pid; reads add the shards up. Upserts run in key
 * order, so writers that do meet wait on each other instead of deadlocking.
 */

const SHARDS = 8;

const DAY = (column: string) => `(${column} AT TIME ZONE 'Europe/Amsterdam')::date`;

/** A statement's rows with a sign: +1 for the rows now there, -1 for the rows that were. */
const SIGNED_ROWS = {
  INSERT: 'SELECT 1 AS sign, n.* FROM new_rows n',
  UPDATE: 'SELECT 1 AS sign, n.* FROM new_rows n UNION ALL SELECT -1 AS sign, o.* FROM old_rows o',
  DELETE: 'SELECT -1 AS sign, o.* FROM old_rows o',
} as const;
type Operation = keyof typeof SIGNED_ROWS;

/** Adds the daily facts of signed rows (`facts`: VALUES of day, metric, status, count, cents, unvalued). */
const upsertDaily = (rows: string, facts: string) => `
  INSERT INTO analytics_daily AS a (day, metric, status, shard, count, amount_cents, unvalued_count)
  SELECT f.day, f.metric, f.status, pg_backend_pid() % ${SHARDS}, sum(r.sign * f.n), sum(r.sign * f.cents), sum(r.sign * f.unvalued)
    FROM (${rows}) r
   CROSS JOIN LATERAL (VALUES ${facts}) f (day, metric, status, n, cents, unvalued)
   WHERE f.day IS NOT NULL AND f.n <> 0
   GROUP BY 1, 2, 3
  HAVING sum(r.sign * f.n) <> 0 OR sum(r.sign * f.cents) <> 0 OR sum(r.sign * f.unvalued) <> 0
   ORDER BY 1, 2, 3
  ON CONFLICT (day, metric, status, shard) DO UPDATE
     SET count = a.count + excluded.count, amount_cents = a.amount_cents + excluded.amount_cents,
         unvalued_count = a.unvalued_count + excluded.unvalued_count`;

const REFERRAL_FACTS = `
  (${DAY('r.submitted_at')}, 'submitted', r.status, 1, r.reward_amount_cents::bigint, 0),
  (${DAY('r.submitted_at')}, 'converted', '', (r.booking_confirmed_at IS NOT NULL)::int, 0::bigint, 0),
  (${DAY('r.booking_confirmed_at')}, 'booked', '', 1, coalesce(r.booking_value_cents, 0)::bigint, (r.booking_value_cents IS NULL)::int)`;

const REWARD_FACTS = `
  (${DAY('r.paid_at')}, 'paid', '', 1, r.amount_cents::bigint, 0),
  (${DAY('r.clawback_at')}, 'clawback', '', 1, r.amount_cents::bigint, 0)`;

const upsertReferrerStats = (rows: string) => `
  INSERT INTO referrer_stats AS s (customer_id, referrals, converted, paid, rewards_cents)
  SELECT r.referrer_id, sum(r.sign), sum(r.sign * (r.booking_confirmed_at IS NOT NULL)::int),
         sum(r.sign * (r.status = 'paid')::int), sum(r.sign * CASE WHEN r.status = 'paid' THEN r.reward_amount_cents ELSE 0 END)
    FROM (${rows}) r
   GROUP BY 1
  HAVING sum(r.sign) <> 0 OR sum(r.sign * (r.booking_confirmed_at IS NOT NULL)::int) <> 0
      OR sum(r.sign * CASE WHEN r.status = 'paid' THEN r.reward_amount_cents + 1 ELSE 0 END) <> 0
   ORDER BY 1
  ON CONFLICT (customer_id) DO UPDATE
     SET referrals = s.referrals + excluded.referrals, converted = s.converted + excluded.converted,
         paid = s.paid + excluded.paid, rewards_cents = s.rewards_cents + excluded.rewards_cents`;

const ROLLUPS: Record<'referrals' | 'rewards', (rows: string) => string[]> = {
  referrals: (rows) => [upsertDaily(rows, REFERRAL_FACTS), upsertReferrerStats(rows)],
  rewards: (rows) => [upsertDaily(rows, REWARD_FACTS)],
};

const REFERENCING: Record<Operation, string> = {
  INSERT: 'REFERENCING NEW TABLE AS new_rows',
  UPDATE: 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows',
  DELETE: 'REFERENCING OLD TABLE AS old_rows',
};

function triggers(table: keyof typeof ROLLUPS): string {
  return (Object.keys(SIGNED_ROWS) as Operation[])
    .map((op) => {
      const name = `analytics_${table}_${op.toLowerCase()}`;
      return `
        CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          ${ROLLUPS[table](SIGNED_ROWS[op]).join(';\n')};
          RETURN NULL;
        END $fn$;
        CREATE TRIGGER ${name} AFTER ${op} ON ${table} ${REFERENCING[op]} FOR EACH STATEMENT EXECUTE FUNCTION ${name}();`;
    })
    .join('\n');
}

export async function up(db: Knex): Promise<void> {
  await db.raw(`
    CREATE TABLE analytics_daily (
      day date NOT NULL,
      metric text NOT NULL CHECK (metric IN ('submitted', 'converted', 'booked', 'paid', 'clawback')),
      status text NOT NULL DEFAULT '',
      shard smallint NOT NULL CHECK (shard BETWEEN 0 AND ${SHARDS - 1}),
      count bigint NOT NULL DEFAULT 0,
      amount_cents bigint NOT NULL DEFAULT 0,
      unvalued_count bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (day, metric, status, shard)
    );
    -- The pending rewards add up one (metric, status) over all days. Key columns only: the
    -- trigger upserts change no indexed column, so they stay HOT updates.
    CREATE INDEX analytics_daily_metric_idx ON analytics_daily (metric, status);
    CREATE TABLE referrer_stats (
      customer_id bigint PRIMARY KEY,
      referrals integer NOT NULL DEFAULT 0,
      converted integer NOT NULL DEFAULT 0,
      paid integer NOT NULL DEFAULT 0,
      rewards_cents bigint NOT NULL DEFAULT 0
    );
    CREATE INDEX referrer_stats_leaderboard_idx ON referrer_stats (converted DESC, referrals DESC, customer_id);
    CREATE INDEX referrals_referrer_period_idx ON referrals (referrer_id, submitted_at) INCLUDE (booking_confirmed_at, status, reward_amount_cents);
    DROP INDEX referrals_referrer_idx;
    LOCK TABLE referrals, rewards IN SHARE MODE;
    ${ROLLUPS.referrals('SELECT 1 AS sign, r.* FROM referrals r').join(';\n')};
    ${ROLLUPS.rewards('SELECT 1 AS sign, r.* FROM rewards r').join(';\n')};
    ${triggers('referrals')}
    ${triggers('rewards')}
    ANALYZE analytics_daily, referrer_stats;
  `);
}

export async function down(db: Knex): Promise<void> {
  const drops = (['referrals', 'rewards'] as const).flatMap((table) =>
    (Object.keys(SIGNED_ROWS) as Operation[]).map((op) => {
      const name = `analytics_${table}_${op.toLowerCase()}`;
      return `DROP TRIGGER ${name} ON ${table}; DROP FUNCTION ${name}();`;
    }),
  );
  await db.raw(`${drops.join('\n')} DROP TABLE analytics_daily, referrer_stats;
    CREATE INDEX referrals_referrer_idx ON referrals (referrer_id, submitted_at DESC);
    DROP INDEX referrals_referrer_period_idx;`);
}
