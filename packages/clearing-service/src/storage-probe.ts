/**
 * Can storage take writes right now? /healthz asks this so a full disk shows as "degraded"
 * instead of "ok" while every upload fails. The probe really writes (a reader that only runs
 * SELECT 1 says ok on a full disk), so its answer is cached for a short while to keep health
 * checks cheap.
 *
 * - PGlite with a data directory: 64 KiB written to a file in that directory, fsynced, deleted.
 *   (No database write: PGlite runs no autovacuum, so the rolled-back rows below would pile up.)
 * - PostgreSQL: 64 KiB of incompressible bytes inserted into `storage_probe` in a transaction
 *   that is rolled back. The bytes go to the TOAST table, whose pages only ever hold dead rows
 *   of earlier probes (never reused before a vacuum, which then truncates the empty table), so
 *   the insert extends the file at once and a full disk or tablespace fails it with SQLSTATE
 *   53100. Nothing is kept; autovacuum clears the dead rows.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './db/types';
import { isStorageError } from './http/error-mapper';

export interface StorageHealth {
  writable: boolean;
  /** Why not, for operators: the error message of the failed probe. */
  detail?: string;
  checkedAtMs: number;
}

export interface StorageProbe {
  check(): Promise<StorageHealth>;
}

/** How long a probe's answer is reused. */
export const STORAGE_PROBE_TTL_MS = 2_000;
const PROBE_BYTES = 64 * 1024;

class Rollback extends Error {}

export class WriteStorageProbe implements StorageProbe {
  private cached: StorageHealth | undefined;
  private inflight: Promise<StorageHealth> | undefined;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = STORAGE_PROBE_TTL_MS,
  ) {}

  async check(): Promise<StorageHealth> {
    const t = this.now();
    if (this.cached && t - this.cached.checkedAtMs < this.ttlMs) return this.cached;
    this.inflight ??= this.probe().finally(() => {
      this.inflight = undefined;
    });
    this.cached = await this.inflight;
    return this.cached;
  }

  private async probe(): Promise<StorageHealth> {
    const checkedAtMs = this.now();
    try {
      if (this.db.dataDir !== undefined) writeProbeFile(this.db.dataDir);
      if (this.db.kind === 'postgres') await this.probeTable();
      return { writable: true, checkedAtMs };
    } catch (error) {
      // Full, read-only, or unreachable: in every case nothing can be stored now.
      const kind = isStorageError(error) ? 'storage' : 'database';
      return { writable: false, detail: `${kind}: ${(error as Error).message}`, checkedAtMs };
    }
  }

  private async probeTable(): Promise<void> {
    await this.db
      .transaction(async (tx) => {
        await tx.query('INSERT INTO storage_probe (filler) VALUES ($1)', [randomBytes(PROBE_BYTES)]);
        throw new Rollback();
      })
      .catch((error) => {
        if (!(error instanceof Rollback)) throw error;
      });
  }
}

function writeProbeFile(dir: string): void {
  const path = join(dir, '.huduma-storage-probe');
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, randomBytes(PROBE_BYTES));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
}
