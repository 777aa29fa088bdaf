import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import type { Db } from '../knex.js';
import { AdminUserModel } from '../models.js';

export interface AdminUser {
  id: string;
  username: string;
  role: 'admin' | 'viewer';
  must_change_password: boolean;
}

/** An account as a session sees it: the user and the version its tokens must carry. */
export interface AdminSession extends AdminUser {
  token_version: number;
}

const sessionColumns = ['id', 'username', 'role', 'must_change_password', 'token_version'];

const hashPassword = (password: string) => argon2.hash(password, { type: argon2.argon2id });

/**
 * A hash of a random password nobody knows, made with the same parameters as the real ones: an
 * unknown username is checked against it, so that it costs the same time as a wrong password
 * (answering in 4 ms instead of 130 told which usernames exist).
 */
let dummyHash: Promise<string> | undefined;
export const prepareLoginTiming = (): Promise<string> => (dummyHash ??= hashPassword(randomBytes(32).toString('base64')));

const toSession = (row: AdminUserModel): AdminSession => ({
  id: row.id,
  username: row.username,
  role: row.role,
  must_change_password: row.must_change_password,
  token_version: row.token_version,
});

/**
 * Checks a login; answers the account, or null for an unknown name, a wrong password or a
 * disabled account alike, after the same amount of work (one argon2 verification) in each case.
 */
export async function verifyAdminLogin(db: Db, username: string, password: string): Promise<AdminSession | null> {
  const row = await AdminUserModel.query(db).whereRaw('lower(username) = lower(?)', [username]).first();
  const matches = await argon2.verify(row?.password_hash ?? (await prepareLoginTiming()), password);
  if (!row || !matches || row.disabled_at) return null;
  await db('admin_users').where({ id: row.id }).update({ last_login_at: db.fn.now() });
  return toSession(row);
}

/** Whether the account still signs in with this password (no side effects: for start-up messages and checks). */
export async function adminHasPassword(db: Db, username: string, password: string): Promise<boolean> {
  const row = await AdminUserModel.query(db).whereRaw('lower(username) = lower(?)', [username]).first();
  return row ? argon2.verify(row.password_hash, password) : false;
}

/** The usernames of the accounts (not disabled) that sign in with this password, in username order. */
export async function accountsWithPassword(db: Db, password: string): Promise<string[]> {
  const rows = await AdminUserModel.query(db).whereNull('disabled_at').orderBy('username');
  const matches = await Promise.all(rows.map((row) => argon2.verify(row.password_hash, password)));
  return rows.filter((_, i) => matches[i]).map((row) => row.username);
}

/** The account behind a token, or undefined when it does not exist (any more) or is disabled. */
export async function findAdminSession(db: Db, id: string): Promise<AdminSession | undefined> {
  if (!/^\d{1,18}$/.test(id)) return undefined;
  const row = await db('admin_users').where({ id }).whereNull('disabled_at').first(sessionColumns);
  return row;
}

/** Ends every session of the account: tokens issued so far carry an older version. */
export async function endAdminSessions(db: Db, id: string): Promise<void> {
  await db('admin_users')
    .where({ id })
    .update({ token_version: db.raw('token_version + 1') });
}

/** Disables the account: it no longer signs in, and its sessions end at once. */
export async function disableAdminUser(db: Db, id: string): Promise<void> {
  await db('admin_users')
    .where({ id })
    .update({ disabled_at: db.fn.now(), token_version: db.raw('token_version + 1') });
}

/** Creates the first admin account when there is none (the quick start's `admin`). */
export async function ensureInitialAdmin(db: Db, username: string, password: string, mustChangePassword: boolean): Promise<void> {
  const [{ count }] = await db('admin_users').count<{ count: string }[]>({ count: '*' });
  if (Number(count) > 0) return;
  await db('admin_users')
    .insert({
      username,
      password_hash: await hashPassword(password),
      role: 'admin',
      must_change_password: mustChangePassword,
    })
    .onConflict(db.raw('(lower(username))'))
    .ignore();
}

/** Sets a new password; the sessions issued before end (the caller signs the account in again with the answer). */
export async function changeAdminPassword(db: Db, id: string, password: string): Promise<AdminSession | undefined> {
  const [row] = await db('admin_users')
    .where({ id })
    .update({ password_hash: await hashPassword(password), must_change_password: false, token_version: db.raw('token_version + 1') })
    .returning(sessionColumns);
  return row;
}
