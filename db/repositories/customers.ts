import { randomInt } from 'node:crypto';
import { generateReferralCode } from '../../domain/referral-code.js';
import type { Db } from '../knex.js';
import { CustomerModel } from '../models.js';
import { uniqueViolation } from '../pg-errors.js';

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

export type CreateCustomerResult =
  | { kind: 'created'; customer: CustomerRow }
  | { kind: 'conflict'; field: 'bebsy_customer_id' | 'email' };

const CODE_ATTEMPTS = 5;

/** Inserts a customer with a fresh referral code; a taken id or email is a conflict, not an error. */
export async function createCustomer(db: Db, customer: NewCustomer): Promise<CreateCustomerResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      const row = await CustomerModel.query(db).insert({ ...customer, referral_code: generateReferralCode(randomInt) }).returning('*');
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
}

/** Customers that match the filters; no columns or order yet. */
export function filteredCustomers(db: Db, filters: CustomerFilters) {
  const q = db('customers');
  if (filters.search) {
    const search = filters.search.trim();
    const term = `%${escapeLike(search)}%`;
    q.where((w) => w.whereILike('name', term).orWhereILike('email', term).orWhere('bebsy_customer_id', search).orWhere('referral_code', search.toUpperCase()));
  }
  return q;
}

export async function listCustomers(db: Db, query: ListQuery): Promise<{ rows: CustomerRow[]; total: number }> {
  const [rows, [{ count }]] = await Promise.all([
    filteredCustomers(db, query).select('*').orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(query.limit).offset((query.page - 1) * query.limit),
    filteredCustomers(db, query).count<{ count: string }[]>({ count: '*' }),
  ]);
  return { rows, total: Number(count) };
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
