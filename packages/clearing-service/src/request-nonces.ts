/**
 * Replay protection of signed terminal requests: each (terminal, nonce) is accepted once while
 * its timestamp is within the clock-skew window. The table's primary key decides, so two service
 * processes sharing one PostgreSQL refuse the second copy of a request whichever gets it.
 */
import { MAX_REQUEST_CLOCK_SKEW_MS } from '@huduma/txlog';
import type { Queryable } from './db/types';

/** Prune expired nonces at most this often (per process). */
const PRUNE_INTERVAL_MS = 60_000;

export class RequestNonces {
  private lastPruneMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: Queryable,
    private readonly now: () => number,
  ) {}

  /**
   * Records the nonce of a request signed at `timestampMs`; false if this terminal already used
   * it (a replay). The nonce is kept until the timestamp leaves the window.
   */
  async claim(terminalId: string, nonce: Uint8Array, timestampMs: number): Promise<boolean> {
    await this.pruneNowAndThen();
    const rows = await this.db.query(
      `INSERT INTO terminal_request_nonces (terminal_id, nonce, expires_ms) VALUES ($1, $2, $3)
       ON CONFLICT (terminal_id, nonce) DO NOTHING RETURNING 1 AS claimed`,
      [terminalId, nonce, timestampMs + MAX_REQUEST_CLOCK_SKEW_MS],
    );
    return rows.length === 1;
  }

  /** Deletes nonces whose requests could no longer pass the timestamp check. */
  async prune(): Promise<number> {
    const rows = await this.db.query<{ n: number }>(
      `WITH gone AS (DELETE FROM terminal_request_nonces WHERE expires_ms < $1 RETURNING 1)
       SELECT COUNT(*) AS n FROM gone`,
      [this.now()],
    );
    return rows[0]!.n;
  }

  private async pruneNowAndThen(): Promise<void> {
    const nowMs = this.now();
    if (nowMs - this.lastPruneMs < PRUNE_INTERVAL_MS) return;
    this.lastPruneMs = nowMs;
    await this.prune();
  }
}
