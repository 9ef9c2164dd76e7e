/**
 * Login throttling, per account and per client address, exponential: after a few free failures
 * each further failure doubles the lock (1 s, 2 s, 4 s … capped at 15 min). A locked subject is
 * refused before the password is even checked, so guessing gains nothing while locked. Counters
 * live in the database so several service processes share them.
 */
import type { Queryable } from '../db/types';

export const FREE_FAILURES = { account: 3, ip: 10 } as const;
export const MAX_LOCK_MS = 15 * 60_000;

export type ThrottleSubject = { kind: 'account' | 'ip'; id: string };

const key = (s: ThrottleSubject) => `${s.kind}:${s.id}`;

export function lockMsAfter(kind: ThrottleSubject['kind'], failures: number): number {
  const over = failures - FREE_FAILURES[kind];
  if (over <= 0) return 0;
  return Math.min(MAX_LOCK_MS, 1000 * 2 ** Math.min(over - 1, 20));
}

/** Milliseconds until the first of `subjects` may try again (0: not locked). */
export async function lockedFor(q: Queryable, subjects: ThrottleSubject[], nowMs: number): Promise<number> {
  const rows = await q.query<{ locked_until_ms: number }>(
    'SELECT locked_until_ms FROM login_failures WHERE subject = ANY($1::text[])',
    [subjects.map(key)],
  );
  return Math.max(0, ...rows.map((r) => r.locked_until_ms - nowMs));
}

export async function recordFailure(q: Queryable, subjects: ThrottleSubject[], nowMs: number): Promise<void> {
  for (const s of subjects) {
    const rows = await q.query<{ failures: number }>(
      `INSERT INTO login_failures (subject, failures, locked_until_ms) VALUES ($1, 1, 0)
       ON CONFLICT (subject) DO UPDATE SET failures = login_failures.failures + 1 RETURNING failures`,
      [key(s)],
    );
    const lock = lockMsAfter(s.kind, rows[0]!.failures);
    if (lock > 0) {
      await q.query('UPDATE login_failures SET locked_until_ms = $2 WHERE subject = $1', [
        key(s),
        nowMs + lock,
      ]);
    }
  }
}

/** A successful login clears the account's counter (not the address's: one address, many guesses). */
export async function clearFailures(q: Queryable, subject: ThrottleSubject): Promise<void> {
  await q.query('DELETE FROM login_failures WHERE subject = $1', [key(subject)]);
}
