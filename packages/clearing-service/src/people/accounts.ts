/**
 * Accounts of the people who sign in. Passwords are hashed with argon2id (memory-hard, from
 * @node-rs/argon2, OWASP's minimum parameters: 19 MiB, 2 passes); the hash string carries its
 * own salt and parameters, so they can be raised later without a migration.
 */
import { hash, verify } from '@node-rs/argon2';
import type { Queryable } from '../db/types';
import { InputError } from '../errors';

export type Role = 'operator' | 'auditor' | 'merchant';
export const ROLES: readonly Role[] = ['operator', 'auditor', 'merchant'];

export const USERNAME_PATTERN = '^[a-z0-9._-]{3,64}$';
/** Long enough for passphrases, short enough that hashing an attacker's megabyte costs nothing. */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

export interface Account {
  accountId: number;
  username: string;
  role: Role;
  merchantId: string | null;
}

const ARGON2_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

// Verified against when the username is unknown, so a wrong name costs the same time as a wrong
// password and does not reveal which accounts exist.
let decoyHash: Promise<string> | undefined;

export async function checkPassword(storedHash: string | undefined, password: string): Promise<boolean> {
  decoyHash ??= hashPassword('decoy password never matches');
  const target = storedHash ?? (await decoyHash);
  try {
    const ok = await verify(target, password);
    return ok && storedHash !== undefined;
  } catch {
    return false;
  }
}

export interface NewAccount {
  username: string;
  role: Role;
  merchantId?: string;
  password: string;
}

/** Refuses, naming the field, anything that would make a bad account. */
export function checkNewAccount(a: NewAccount): void {
  if (!new RegExp(USERNAME_PATTERN).test(a.username)) {
    throw new InputError('ERR_ACCOUNT_USERNAME', 'username: 3-64 characters of a-z 0-9 . _ -');
  }
  if (!ROLES.includes(a.role)) throw new InputError('ERR_ACCOUNT_ROLE', `role: one of ${ROLES.join(', ')}`);
  if ((a.role === 'merchant') !== (a.merchantId !== undefined)) {
    throw new InputError('ERR_ACCOUNT_MERCHANT', 'merchant: required for role merchant, and only for it');
  }
  if (a.password.length < PASSWORD_MIN || a.password.length > PASSWORD_MAX) {
    throw new InputError('ERR_ACCOUNT_PASSWORD', `password: ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
  }
}

export async function createAccount(q: Queryable, a: NewAccount): Promise<Account> {
  checkNewAccount(a);
  if (a.merchantId !== undefined) {
    const m = await q.query('SELECT 1 FROM merchants WHERE merchant_id = $1', [a.merchantId]);
    if (m.length === 0) throw new InputError('ERR_ACCOUNT_MERCHANT', `merchant: no merchant ${a.merchantId}`);
  }
  const rows = await q.query<{ account_id: number }>(
    `INSERT INTO accounts (username, role, merchant_id, password_hash) VALUES ($1, $2, $3, $4)
     ON CONFLICT (username) DO NOTHING RETURNING account_id`,
    [a.username, a.role, a.merchantId ?? null, await hashPassword(a.password)],
  );
  if (!rows[0]) throw new InputError('ERR_ACCOUNT_EXISTS', `username: ${a.username} already exists`);
  return {
    accountId: rows[0].account_id,
    username: a.username,
    role: a.role,
    merchantId: a.merchantId ?? null,
  };
}

export async function findAccountForLogin(
  q: Queryable,
  username: string,
): Promise<(Account & { passwordHash: string }) | undefined> {
  const rows = await q.query<{
    account_id: number;
    username: string;
    role: Role;
    merchant_id: string | null;
    password_hash: string;
  }>(
    'SELECT account_id, username, role, merchant_id, password_hash FROM accounts WHERE username = $1 AND NOT disabled',
    [username],
  );
  const r = rows[0];
  return (
    r && {
      accountId: r.account_id,
      username: r.username,
      role: r.role,
      merchantId: r.merchant_id,
      passwordHash: r.password_hash,
    }
  );
}
