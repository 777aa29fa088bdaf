import { randomInt } from 'node:crypto';
import { isEmail, normaliseEmail } from '../../domain/email.js';
import { generateReferralCode, isReferralCode, normaliseReferralCode } from '../../domain/referral-code.js';
import type { Knex } from 'knex';
import type { Db } from '../knex.js';
import { CustomerModel } from '../models.js';
import { uniqueViolation } from '../pg-errors.js';
import { keysetPage, type KeysetPage } from './keyset.js';

export interface CustomerRow {
  id: string;
  bebsy_customer_id: string;
  name: string;
  email: string;
  referral_code: string;
  locale: 'nl' | 'en';
  created_at: Date;
  updated_at: Date;
}

export interface NewCustomer {
  bebsy_customer_id: string;
  name: string;
  email: string;
  locale: 'nl' | 'en';
}

export type CreateCustomerResult = { kind: 'created'; customer: CustomerRow } | { kind: 'conflict'; field: 'bebsy_customer_id' | 'email' };

const CODE_ATTEMPTS = 5;

/** Inserts a customer with a fresh referral code; a taken id or email is a conflict, not an error. */
export async function createCustomer(db: Db, customer: NewCustomer): Promise<CreateCustomerResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      const row = await CustomerModel.query(db)
        .insert({ ...customer, referral_code: generateReferralCode(randomInt) })
        .returning('*');
      return { kind: 'created', customer: row as unknown as CustomerRow };
    } catch (error) {
      const constraint = uniqueViolation(error);
      if (constraint === 'customers_bebsy_customer_id_key') return { kind: 'conflict', field: 'bebsy_customer_id' };
      if (constraint === 'customers_email_key') return { kind: 'conflict', field: 'email' };
      if (constraint === 'customers_referral_code_key' && attempt < CODE_ATTEMPTS) continue;
      throw error;
    }
  }
}

/** The filters the customer list and the customer export share. */
export interface CustomerFilters {
  search?: string;
}

export interface ListQuery extends CustomerFilters {
  page: number;
  limit: number;
  cursor?: string;
}

/**
 * Customers that match the filters; no columns or order yet. A search is a BitmapOr of the
 * trigram indexes on name and email and the unique indexes on customer id and referral code
 * (or, for a very common term, a walk down the created_at index that stops after one page).
 */
export function filteredCustomers(db: Db, filters: CustomerFilters) {
  return applyCustomerFilters(db('customers'), filters);
}

function applyCustomerFilters(q: Knex.QueryBuilder, filters: CustomerFilters) {
  const search = filters.search?.trim();
  if (search) {
    const term = `%${escapeLike(search)}%`;
    q.where((w) => {
      w.whereILike('name', term).orWhere('bebsy_customer_id', search);
      // A whole address is looked up as one (its trigrams, '@gmail.com' among them, would make
      // the index read a large share of all rows); an email has no spaces.
      if (isEmail(normaliseEmail(search))) w.orWhereRaw('lower(email) = ?', [normaliseEmail(search)]);
      else if (!/\s/.test(search)) w.orWhereILike('email', term);
      if (isReferralCode(normaliseReferralCode(search))) w.orWhere('referral_code', normaliseReferralCode(search));
    });
  }
  return q;
}

/** One page of customers, newest first, keyset-paged through the (created_at, id) index. */
export async function listCustomers(db: Db, query: ListQuery): Promise<KeysetPage<CustomerRow>> {
  return keysetPage<CustomerRow>(
    db,
    {
      table: () => db('customers'),
      filter: (q) => applyCustomerFilters(q, query),
      searching: Boolean(query.search?.trim()),
      timeColumn: 'customers.created_at',
      idColumn: 'customers.id',
      columns: ['customers.*'],
    },
    { limit: query.limit, page: query.page, cursor: query.cursor, order: 'desc' },
  );
}

export async function getCustomer(db: Db, id: string): Promise<CustomerRow | undefined> {
  return db('customers').where({ id }).first();
}

export async function findCustomerByReferralCode(db: Db, code: string): Promise<CustomerRow | undefined> {
  return db('customers').where({ referral_code: code }).first();
}

export function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}
