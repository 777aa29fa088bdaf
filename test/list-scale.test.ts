import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { COUNT_CAP } from '../db/repositories/keyset.js';
import { listCustomers } from '../db/repositories/customers.js';
import { listReferrals } from '../db/repositories/referrals.js';
import { seedLarge } from '../scripts/seed-large/seed.js';
import { assertError, bearer } from './support/http.js';
import { adminToken, startTestSystem, withEmptyDatabase, type TestSystem } from './support/system.js';

/**
 * The big lists on a database of their own, seeded by the generator (20k customers, 40k
 * referrals): keyset pages are complete and in order in both directions (ties on the
 * timestamp included), the seed's page numbers still work, totals are exact up to COUNT_CAP,
 * and the query plans use the indexes the lists are built on.
 */
describe('customer and referral lists at scale', () => {
  let system: TestSystem;
  let token: string;
  let dropDatabase: () => void;
  let databaseReady: Promise<void>;

  before(async () => {
    const ready = new Promise<string>((resolve) => {
      databaseReady = withEmptyDatabase(async (url) => {
        resolve(url);
        await new Promise<void>((release) => (dropDatabase = release));
      });
    });
    const databaseUrl = await ready;
    await seedLarge({ databaseUrl, customers: 20_000, referrals: 40_000, seed: 11, now: new Date('2026-06-01T10:00:00Z'), log: () => {} });
    system = await startTestSystem({}, { worker: false, databaseUrl });
    token = await adminToken(system.app);
    // Ties: 30 customers and 30 pending referrals share one timestamp; only the id orders them.
    await system.db.raw(
      `UPDATE customers SET created_at = '2026-05-01T12:00:00Z' WHERE id IN (SELECT id FROM customers ORDER BY id LIMIT 30)`,
    );
    await system.db.raw(
      `UPDATE referrals SET submitted_at = '2026-05-01T12:00:00Z', status = 'pending_approval' WHERE id IN (SELECT id FROM referrals ORDER BY id LIMIT 30)`,
    );
    await system.db.raw('ANALYZE customers, referrals');
  });
  after(async () => {
    await system?.close();
    dropDatabase?.();
    await databaseReady;
  });

  const get = async (url: string) => {
    const res = await system.app.inject({ method: 'GET', url, headers: bearer(token) });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as {
      data: { id: string }[];
      pagination: { page: number; total: number; total_exact: boolean; next_cursor: string | null; prev_cursor: string | null };
    };
  };

  /** Follows one cursor from the first page until it runs out; the pages' ids and page numbers. */
  async function walk(base: string, start: string | null, direction: 'next_cursor' | 'prev_cursor') {
    const pages: { ids: string[]; page: number }[] = [];
    let cursor = start;
    let url = base;
    for (;;) {
      const body = await get(cursor ? `${base}&cursor=${cursor}` : url);
      pages.push({ ids: body.data.map((row) => row.id), page: body.pagination.page });
      cursor = body.pagination[direction];
      if (!cursor) return pages;
      url = '';
    }
  }

  it('pages through pending referrals with cursors, forwards and back, without gaps or repeats', async () => {
    const expected = (
      await system
        .db('referrals')
        .where({ status: 'pending_approval' })
        .orderBy([
          { column: 'submitted_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .pluck('id')
    ).map(String);
    assert.ok(expected.length > 40 && expected.length <= COUNT_CAP, `${expected.length} pending referrals`);
    const base = '/api/referrals?status=pending_approval&limit=7';
    const forwards = await walk(base, null, 'next_cursor');
    assert.deepEqual(
      forwards.flatMap((p) => p.ids),
      expected,
    );
    assert.deepEqual(
      forwards.map((p) => p.page),
      forwards.map((_, i) => i + 1),
    );

    const lastPage = await get(`${base}&page=${forwards.length}`);
    assert.deepEqual(
      lastPage.data.map((r) => r.id),
      forwards.at(-1)!.ids,
      'the seed page numbers give the same pages',
    );
    assert.equal(lastPage.pagination.next_cursor, null);
    const backwards = await walk(base, lastPage.pagination.prev_cursor, 'prev_cursor');
    assert.deepEqual(
      [...backwards].reverse().flatMap((p) => p.ids),
      expected.slice(0, -lastPage.data.length),
    );
    assert.equal(backwards.at(-1)!.page, 1);
    assert.equal(lastPage.pagination.total, expected.length);
    assert.equal(lastPage.pagination.total_exact, true);
  });

  it('pages oldest first with the same guarantees', async () => {
    const expected = (
      await system
        .db('referrals')
        .where({ status: 'pending_approval' })
        .orderBy([{ column: 'submitted_at' }, { column: 'id' }])
        .pluck('id')
    ).map(String);
    const forwards = await walk('/api/referrals?status=pending_approval&sort=oldest&limit=9', null, 'next_cursor');
    assert.deepEqual(
      forwards.flatMap((p) => p.ids),
      expected,
    );
  });

  it('pages customers, ties included, and estimates totals beyond the count cap', async () => {
    const expected = (
      await system
        .db('customers')
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(120)
        .pluck('id')
    ).map(String);
    const pages = [];
    let body = await get('/api/customers?limit=40');
    pages.push(...body.data.map((c) => c.id));
    for (let i = 0; i < 2; i++) {
      body = await get(`/api/customers?limit=40&cursor=${body.pagination.next_cursor}`);
      pages.push(...body.data.map((c) => c.id));
    }
    assert.deepEqual(pages, expected);
    assert.equal(body.pagination.total_exact, false);
    const actual = Number((await system.db('customers').count({ n: '*' }))[0].n);
    assert.ok(Math.abs(body.pagination.total - actual) / actual < 0.1, `estimate ${body.pagination.total} vs ${actual}`);
  });

  it('pages search results the same whether a term matches a few rows or more than the count cap', async () => {
    const rare = (await system.db('customers').orderBy('id').first()).email.split('@')[0];
    for (const [term, exact] of [
      [rare, true],
      ['a', false],
    ] as const) {
      const like = `%${term}%`;
      const expected = (
        await system
          .db('customers')
          .whereILike('name', like)
          .orWhereILike('email', like)
          .orderBy([
            { column: 'created_at', order: 'desc' },
            { column: 'id', order: 'desc' },
          ])
          .limit(150)
          .pluck('id')
      ).map(String);
      const base = `/api/customers?limit=50&search=${encodeURIComponent(term)}`;
      const first = await get(base);
      assert.equal(first.pagination.total_exact, exact, term);
      if (exact) assert.equal(first.pagination.total, expected.length);
      const pages = [first.data.map((c) => c.id)];
      let cursor = first.pagination.next_cursor;
      while (cursor && pages.length < 3) {
        const next = await get(`${base}&cursor=${cursor}`);
        pages.push(next.data.map((c) => c.id));
        cursor = next.pagination.next_cursor;
      }
      assert.deepEqual(pages.flat(), expected, term);
    }
  });

  it("counts a big referrer's referrals exactly on the customer's page, beyond the count cap", async () => {
    const referrer = await system.db('customers').orderBy('id').first();
    await system.db.raw(
      "INSERT INTO referrals (referrer_id, new_customer_email, reward_amount_cents, workflow_id) SELECT ?, 'cap-' || n || '@example.nl', 2500, 'count-cap-' || n FROM generate_series(1, ?) n",
      [referrer.id, COUNT_CAP + 50],
    );
    const exact = Number((await system.db('referrals').where({ referrer_id: referrer.id }).count({ n: '*' }))[0].n);
    assert.ok(exact > COUNT_CAP);
    const detail = await system.app.inject({ method: 'GET', url: `/api/customers/${referrer.id}`, headers: bearer(token) });
    assert.equal(detail.statusCode, 200, detail.body);
    assert.equal(detail.json().referral_count, exact);
  });

  it('answers 400 for a cursor that was changed or belongs to the other sort order', async () => {
    const inject = (url: string) => system.app.inject({ method: 'GET', url, headers: bearer(token) });
    assertError(await inject('/api/referrals?cursor=not-a-cursor'), 400, 'invalid_cursor', /cursor is not valid/);
    const newest = await get('/api/referrals?limit=5');
    assertError(await inject(`/api/referrals?sort=oldest&cursor=${newest.pagination.next_cursor}`), 400, 'invalid_cursor', /sort order/);
  });

  describe('query plans', () => {
    /**
     * The SQL a list call sends, each statement EXPLAINed: the names of the scans and indexes used.
     * `seqScanOff`: for the searches. At 20k rows reading the whole table is as cheap to the
     * planner as a bitmap of a long pattern's trigrams (at a million it is not); with sequential
     * scans priced out, the plan shows that every branch of the search CAN use an index, which
     * is what a query that wraps a column in a function would break.
     */
    async function plansOf(call: () => Promise<unknown>, { seqScanOff = false } = {}): Promise<{ sql: string; nodes: string[] }[]> {
      const sent: { sql: string; bindings: readonly unknown[] }[] = [];
      const listener = (query: Knex.Sql) => sent.push({ sql: query.sql, bindings: query.bindings });
      system.db.on('query', listener);
      try {
        await call();
      } finally {
        system.db.off('query', listener);
      }
      return Promise.all(
        sent
          .filter((q) => /^select/i.test(q.sql))
          .map(async ({ sql, bindings }) => {
            const { rows } = await system.db.transaction(
              async (tx): Promise<{ rows: { 'QUERY PLAN': [{ Plan: Record<string, unknown> }] }[] }> => {
                if (seqScanOff) await tx.raw('SET LOCAL enable_seqscan = off');
                return tx.raw(`EXPLAIN (FORMAT JSON) ${sql.replace(/\$\d+/g, '?')}`, bindings as Knex.RawBinding[]);
              },
            );
            const nodes: string[] = [];
            const visit = (node: Record<string, unknown>) => {
              nodes.push([node['Node Type'], node['Index Name'] ?? node['Relation Name']].filter(Boolean).join(' '));
              for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) visit(child);
            };
            visit(rows[0]['QUERY PLAN'][0].Plan);
            return { sql, nodes };
          }),
      );
    }
    const pageQuery = (plans: { sql: string; nodes: string[] }[]) => plans.find((p) => /order by/i.test(p.sql))!;
    /** A search's first query: the ids of its matches, up to the count cap. */
    const matchQuery = (plans: { sql: string; nodes: string[] }[]) => plans.find((p) => !/order by/i.test(p.sql) && /limit/i.test(p.sql))!;
    const noFullScan = (plans: { sql: string; nodes: string[] }[]) => {
      for (const plan of plans)
        assert.ok(!plan.nodes.some((n) => /^Seq Scan (customers|referrals)$/.test(n)), `${plan.sql}\n${plan.nodes.join(' > ')}`);
    };
    const search = (call: () => Promise<unknown>) => plansOf(call, { seqScanOff: true });

    it('walks the newest-first indexes for unfiltered and status pages, and seeks from a cursor', async () => {
      const first = await listReferrals(system.db, { page: 1, limit: 20 });
      const plans = [
        ...(await plansOf(() => listReferrals(system.db, { page: 1, limit: 20 }))),
        ...(await plansOf(() => listReferrals(system.db, { page: 1, limit: 20, cursor: first.nextCursor! }))),
      ];
      for (const plan of plans.filter((p) => /order by/i.test(p.sql)))
        assert.ok(
          plan.nodes.some((n) => n.includes('referrals_submitted_idx')),
          plan.nodes.join(' > '),
        );
      assert.ok(
        pageQuery(await plansOf(() => listReferrals(system.db, { page: 1, limit: 20, status: 'pending_approval' }))).nodes.some((n) =>
          n.includes('referrals_status_submitted_idx'),
        ),
      );
      assert.ok(
        pageQuery(await plansOf(() => listCustomers(system.db, { page: 1, limit: 20 }))).nodes.some((n) =>
          n.includes('customers_created_at_idx'),
        ),
      );
    });

    it('finds a rare search term through the trigram and unique indexes, never by reading the whole table', async () => {
      const customer = await system.db('customers').orderBy('id', 'desc').first();
      const referral = await system.db('referrals').whereNotNull('booking_reference').orderBy('id', 'desc').first();
      const customerPlans = await search(() => listCustomers(system.db, { page: 1, limit: 20, search: customer.email.split('@')[0] }));
      noFullScan(customerPlans);
      for (const index of ['customers_name_trgm_idx', 'customers_email_trgm_idx', 'customers_bebsy_customer_id_key']) {
        assert.ok(
          matchQuery(customerPlans).nodes.some((n) => n.includes(index)),
          `${index}: ${matchQuery(customerPlans).nodes.join(' > ')}`,
        );
      }
      const referralPlans = await search(() =>
        listReferrals(system.db, { page: 1, limit: 20, search: referral.new_customer_email.split('@')[0] }),
      );
      noFullScan(referralPlans);
      assert.ok(
        matchQuery(referralPlans).nodes.some((n) => n.includes('referrals_new_customer_email_trgm_idx')),
        matchQuery(referralPlans).nodes.join(' > '),
      );
      const byReference = await search(() => listReferrals(system.db, { page: 1, limit: 20, search: referral.booking_reference }));
      noFullScan(byReference);
      assert.ok(
        matchQuery(byReference).nodes.some((n) => n.includes('referrals_booking_reference_key')),
        matchQuery(byReference).nodes.join(' > '),
      );
      const byCode = await search(() => listCustomers(system.db, { page: 1, limit: 20, search: customer.referral_code }));
      assert.ok(
        matchQuery(byCode).nodes.some((n) => n.includes('customers_referral_code_key')),
        matchQuery(byCode).nodes.join(' > '),
      );
    });
  });
});
