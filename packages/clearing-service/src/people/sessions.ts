/**
 * Server-side sessions. The cookie holds 32 random bytes; the row holds their SHA-256, the
 * account, the CSRF token (synchronizer pattern: the page reads it from GET /v1/session and sends
 * it back in X-CSRF-Token on every state-changing request) and an absolute expiry.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/types';
import type { Account, Role } from './accounts';

export const SESSION_COOKIE = 'huduma_session';
export const SESSION_TTL_MS = 8 * 3600_000; // one working shift
export const CSRF_HEADER = 'x-csrf-token';

export interface Session extends Account {
  csrfToken: string;
  expiresMs: number;
}

const tokenHash = (token: string) => createHash('sha256').update(token, 'utf8').digest();

export async function createSession(
  q: Queryable,
  account: Account,
  nowMs: number,
): Promise<{ token: string; session: Session }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const expiresMs = nowMs + SESSION_TTL_MS;
  // Expired rows are swept on each login, so the table stays the size of the working staff.
  await q.query('DELETE FROM sessions WHERE expires_ms < $1', [nowMs]);
  await q.query(
    'INSERT INTO sessions (token_hash, account_id, csrf_token, expires_ms) VALUES ($1, $2, $3, $4)',
    [tokenHash(token), account.accountId, csrfToken, expiresMs],
  );
  return { token, session: { ...account, csrfToken, expiresMs } };
}

export async function loadSession(q: Queryable, token: string, nowMs: number): Promise<Session | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const rows = await q.query<{
    account_id: number;
    username: string;
    role: Role;
    merchant_id: string | null;
    csrf_token: string;
    expires_ms: number;
  }>(
    `SELECT a.account_id, a.username, a.role, a.merchant_id, s.csrf_token, s.expires_ms
     FROM sessions s JOIN accounts a USING (account_id)
     WHERE s.token_hash = $1 AND s.expires_ms > $2 AND NOT a.disabled`,
    [tokenHash(token), nowMs],
  );
  const r = rows[0];
  return (
    r && {
      accountId: r.account_id,
      username: r.username,
      role: r.role,
      merchantId: r.merchant_id,
      csrfToken: r.csrf_token,
      expiresMs: r.expires_ms,
    }
  );
}

export async function deleteSession(q: Queryable, token: string): Promise<void> {
  await q.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash(token)]);
}
