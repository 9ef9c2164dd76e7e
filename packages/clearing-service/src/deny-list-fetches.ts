/**
 * Which deny-list version each terminal last fetched, and when (table terminal_deny_list_fetches,
 * migration 12). Written by the terminal-signed deny-list route once its answer is built; read by
 * the operator routes and the console to show the terminals still holding an older list.
 */
import type { Queryable } from './db/types';
import { currentDenyListVersion } from './store';

/** Records that `terminalId` was handed deny-list `version` at `fetchedAtMs` (its last fetch wins). */
export async function recordDenyListFetch(
  q: Queryable,
  fetch: { terminalId: string; version: number; fetchedAtMs: number },
): Promise<void> {
  await q.query(
    `INSERT INTO terminal_deny_list_fetches (terminal_id, version, fetched_at) VALUES ($1, $2, $3)
     ON CONFLICT (terminal_id) DO UPDATE SET version = excluded.version, fetched_at = excluded.fetched_at`,
    [fetch.terminalId, fetch.version, new Date(fetch.fetchedAtMs)],
  );
}

export interface TerminalDenyListState {
  terminalId: string;
  /** Null: the terminal never fetched the deny list from this service. */
  versionHeld: number | null;
  fetchedAt: string | null;
  /** Current version minus the version held (a terminal that never fetched is behind by all of it). */
  versionsBehind: number;
}

export interface DenyListFleet {
  version: number;
  /** Terminals counted: every active terminal the service knows (uploaded or fetched). */
  terminalCount: number;
  /** How many of them hold the current version. */
  holdingCurrent: number;
  /** The others, most behind first (then the oldest fetch, then terminal id). */
  behind: TerminalDenyListState[];
}

/**
 * Every terminal the service knows of — it uploaded (terminals) or fetched the deny list — with
 * the version it last fetched. Revoked terminals are left out: they can no longer fetch, so they
 * would stay "behind" for ever and hide the ones that matter.
 */
export async function terminalDenyListStates(
  q: Queryable,
): Promise<{ version: number; terminals: TerminalDenyListState[] }> {
  const version = await currentDenyListVersion(q);
  const rows = await q.query<{ terminal_id: string; version: number | null; fetched_at: Date | null }>(
    `SELECT k.terminal_id, f.version, f.fetched_at
     FROM (SELECT terminal_id FROM terminals UNION SELECT terminal_id FROM terminal_deny_list_fetches) k
     LEFT JOIN terminal_deny_list_fetches f ON f.terminal_id = k.terminal_id
     WHERE NOT EXISTS (SELECT 1 FROM revoked_terminals r WHERE r.terminal_id = k.terminal_id)
       AND NOT EXISTS (SELECT 1 FROM terminals t WHERE t.terminal_id = k.terminal_id AND t.status = 'revoked')
     ORDER BY k.terminal_id LIMIT 10000`,
  );
  const terminals = rows.map((r) => ({
    terminalId: r.terminal_id,
    versionHeld: r.version === null ? null : Number(r.version),
    fetchedAt: r.fetched_at?.toISOString() ?? null,
    // A terminal can hold a version newer than the head only after the service was rebuilt
    // from an older backup; it is not behind then (its next fetch replaces its list).
    versionsBehind: Math.max(0, version - Number(r.version ?? 0)),
  }));
  return { version, terminals };
}

export async function denyListFleet(q: Queryable): Promise<DenyListFleet> {
  const { version, terminals } = await terminalDenyListStates(q);
  const behind = terminals
    .filter((t) => t.versionsBehind > 0 || t.versionHeld === null)
    .sort(
      (a, b) =>
        b.versionsBehind - a.versionsBehind ||
        (a.fetchedAt ?? '').localeCompare(b.fetchedAt ?? '') ||
        a.terminalId.localeCompare(b.terminalId),
    );
  return {
    version,
    terminalCount: terminals.length,
    holdingCurrent: terminals.length - behind.length,
    behind,
  };
}
