import { open, stat, statfs, truncate } from 'node:fs/promises';
import { TxLogError } from '@huduma/txlog';
import { cashierText } from './cashier-messages';
import { type RefusalParams, TransactionRefusedError } from './errors';

/**
 * Bytes kept on disk in a reserve file (real bytes, fsynced, so the blocks are allocated): far
 * more than the records of one sale (~1 KiB with its card proof and certificate) and its
 * recovery. When the sale's record after the DEBIT finds the disk full, the reserve is released
 * and the write retried, so a charged card is always on the log.
 */
export const RESERVE_BYTES = 256 * 1024;
/** Free space below which no new sale starts (with the reserve whole, this is only a guard). */
export const MIN_FREE_BYTES = 16 * 1024;

/** True when `err` (or one of its causes) is a full disk or an exhausted quota. */
export function isDiskFull(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 8; depth++) {
    if (e.code === 'ENOSPC' || e.code === 'EDQUOT') return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** One line for a storage failure outside a transaction (CLI), or undefined when `err` is not one. */
export function storageFailureLine(err: unknown): string | undefined {
  const e = err as { name?: unknown; code?: unknown; syscall?: unknown; message?: unknown } | undefined;
  const isStorage =
    err instanceof TxLogError || (err instanceof Error && typeof e?.syscall === 'string') || isDiskFull(err);
  if (!isStorage) return undefined;
  const message = String(e?.message ?? err).split('\n')[0];
  return isDiskFull(err)
    ? `the terminal's storage is full (${message}): free space, then run the command again`
    : `the terminal could not use its storage (${message}): call support`;
}

/**
 * What the cashier is told when storage fails. `charged`: the card was already charged (the
 * pending record and the intent are on disk, so the next tap of the card completes the record).
 */
export function storageRefusal(
  err: unknown,
  stage: 'before-charge' | 'charged' | 'settle',
  params: RefusalParams = {},
): TransactionRefusedError {
  const reason = isDiskFull(err) ? 'storage-full' : 'storage-failed';
  const key = stage === 'before-charge' ? reason : (`${reason}-${stage}` as const);
  return new TransactionRefusedError(reason, cashierText(key), {
    cause: err,
    detail: err instanceof Error ? err.message : String(err),
    params: { ...params, stage },
  });
}

/**
 * The disk room a sale needs, set aside before any card is charged. The reserve file is grown
 * (and fsynced) at start and before each sale; if that fails the sale is refused before the
 * DEBIT. After an emergency release the reserve is short until space is back, so sales stay
 * refused until then.
 */
export class StorageReserve {
  constructor(
    private readonly path: string,
    private readonly dir: string,
  ) {}

  /** Known whole since it was last grown or checked (only this engine releases it). */
  private whole = false;

  /** Makes sure the reserve is whole and the disk has working room; throws the fs error if not. */
  async ensure(): Promise<void> {
    if (!this.whole) {
      const size = await stat(this.path).then(
        (s) => s.size,
        () => 0,
      );
      if (size < RESERVE_BYTES) await this.grow(size);
      this.whole = true;
    }
    const fs = await statfs(this.dir);
    if (fs.bavail * fs.bsize < MIN_FREE_BYTES)
      throw Object.assign(new Error(`only ${fs.bavail * fs.bsize} bytes free in ${this.dir}`), {
        code: 'ENOSPC',
      });
  }

  /** Frees the reserve's blocks for an append that must not fail. */
  async release(): Promise<void> {
    this.whole = false;
    await truncate(this.path, 0).catch(() => {});
  }

  private async grow(from: number): Promise<void> {
    const fh = await open(this.path, from === 0 ? 'w' : 'r+');
    try {
      // Real bytes, not a sparse file: a sparse file holds no blocks and would reserve nothing.
      const chunk = Buffer.alloc(64 * 1024, 0x5a);
      for (let at = from; at < RESERVE_BYTES; at += chunk.length) {
        const n = Math.min(chunk.length, RESERVE_BYTES - at);
        await fh.write(chunk, 0, n, at);
      }
      await fh.sync();
    } catch (err) {
      // A half-grown reserve is still counted as short: the next ensure() tries again.
      await fh.truncate(from).catch(() => {});
      throw err;
    } finally {
      await fh.close();
    }
  }
}
