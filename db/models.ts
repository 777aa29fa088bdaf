import { Model } from 'objection';

/**
 * Thin objection models: table and jsonSchema. Queries live in the repositories,
 * and reporting, upserts and COPY use knex or SQL directly (docs/architecture.md, Layers).
 */

export class CustomerModel extends Model {
  static tableName = 'customers';
  id!: string;
  bebsy_customer_id!: string;
  name!: string;
  email!: string;
  referral_code!: string;
  locale!: 'nl' | 'en';
  created_at!: Date;
  updated_at!: Date;

  static jsonSchema = {
    type: 'object',
    required: ['bebsy_customer_id', 'name', 'email', 'referral_code'],
    properties: {
      bebsy_customer_id: { type: 'string', minLength: 1, maxLength: 64 },
      name: { type: 'string', minLength: 1, maxLength: 200 },
      email: { type: 'string', maxLength: 254 },
      referral_code: { type: 'string', minLength: 8, maxLength: 8 },
      locale: { type: 'string', enum: ['nl', 'en'] },
    },
  };
}

export class AdminUserModel extends Model {
  static tableName = 'admin_users';
  id!: string;
  username!: string;
  password_hash!: string;
  role!: 'admin' | 'viewer';
  must_change_password!: boolean;
  last_login_at!: Date | null;
  /** Tokens carry the version they were issued under; signing out, a new password or disabling adds one. */
  token_version!: number;
  /** Set: the account no longer signs in, and its tokens are refused. */
  disabled_at!: Date | null;

  static jsonSchema = {
    type: 'object',
    required: ['username', 'password_hash'],
    properties: {
      username: { type: 'string', minLength: 1, maxLength: 100 },
      password_hash: { type: 'string' },
      role: { type: 'string', enum: ['admin', 'viewer'] },
      must_change_password: { type: 'boolean' },
    },
  };
}
