import { Model } from 'objection';

/**
 * Thin objection models: table, relations, jsonSchema. Queries live in the repositories,
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
  referrals?: ReferralModel[];

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

  static get relationMappings() {
    return {
      referrals: {
        relation: Model.HasManyRelation,
        modelClass: ReferralModel,
        join: { from: 'customers.id', to: 'referrals.referrer_id' },
      },
    };
  }
}

export class ReferralModel extends Model {
  static tableName = 'referrals';
  id!: string;
  referrer_id!: string;
  new_customer_email!: string;
  booking_reference!: string | null;
  status!: string;
  workflow_id!: string;

  static get relationMappings() {
    return {
      referrer: {
        relation: Model.BelongsToOneRelation,
        modelClass: CustomerModel,
        join: { from: 'referrals.referrer_id', to: 'customers.id' },
      },
    };
  }
}

export class AdminUserModel extends Model {
  static tableName = 'admin_users';
  id!: string;
  username!: string;
  password_hash!: string;
  role!: 'admin' | 'viewer';
  must_change_password!: boolean;
  last_login_at!: Date | null;

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
