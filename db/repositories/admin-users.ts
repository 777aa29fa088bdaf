import argon2 from 'argon2';
import type { Db } from '../knex.js';
import { AdminUserModel } from '../models.js';

export interface AdminUser {
  id: string;
  username: string;
  role: 'admin' | 'viewer';
  must_change_password: boolean;
}

const publicColumns = ['id', 'username', 'role', 'must_change_password'];

/** Checks a login; answers the user, or null for an unknown name or a wrong password alike. */
export async function verifyAdminLogin(db: Db, username: string, password: string): Promise<AdminUser | null> {
  const row = await AdminUserModel.query(db).whereRaw('lower(username) = lower(?)', [username]).first();
  if (!row || !(await argon2.verify(row.password_hash, password))) return null;
  await db('admin_users').where({ id: row.id }).update({ last_login_at: db.fn.now() });
  return { id: row.id, username: row.username, role: row.role, must_change_password: row.must_change_password };
}

/** Whether the account still signs in with this password (no side effects: for start-up messages and checks). */
export async function adminHasPassword(db: Db, username: string, password: string): Promise<boolean> {
  const row = await AdminUserModel.query(db).whereRaw('lower(username) = lower(?)', [username]).first();
  return row ? argon2.verify(row.password_hash, password) : false;
}

/** Creates the first admin account when there is none (the quick start's `admin`). */
export async function ensureInitialAdmin(db: Db, username: string, password: string, mustChangePassword: boolean): Promise<void> {
  const [{ count }] = await db('admin_users').count<{ count: string }[]>({ count: '*' });
  if (Number(count) > 0) return;
  await db('admin_users')
    .insert({
      username,
      password_hash: await argon2.hash(password, { type: argon2.argon2id }),
      role: 'admin',
      must_change_password: mustChangePassword,
    })
    .onConflict(db.raw('(lower(username))'))
    .ignore();
}

export async function changeAdminPassword(db: Db, id: string, password: string): Promise<AdminUser | undefined> {
  const [row] = await db('admin_users')
    .where({ id })
    .update({ password_hash: await argon2.hash(password, { type: argon2.argon2id }), must_change_password: false })
    .returning(publicColumns);
  return row;
}
