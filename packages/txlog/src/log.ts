import { constants as fsConstants } from 'node:fs';
import { type FileHandle, open as openFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  TxLogClosedError,
  TxLogCorruptError,
  TxLogEmptyError,
  TxLogError,
  TxLogEventError,
  TxLogIoError,
  TxLogNoSignerError,
  TxLogNotFoundError,
  TxLogPoisonedError,
  TxLogRecordError,
  TxLogSignError,
} from './errors';
import { encodeFrame, FILE_HEADER, FrameScanner, readFileHeader, type TornTail } from './frame';
import {
  type CheckpointBody,
  decodeRecord,
  encodeRecord,
  GENESIS_HASH,
  type LogEvent,
  type LogRecord,
  type RecordBody,
  recordHash,
  validateBody,
} from './records';
import { checkpointMessage, type LogSigner } from './signer';

/**
 * The three file operations whose failure matters for durability. Injectable so tests can
 * simulate a full disk or a failing fsync; the default is node:fs.
 */
export interface LogFileIo {
  /** Write all of `data` at `position` (may throw part way through). */
  write(fh: FileHandle, data: Uint8Array, position: number): Promise<void>;
  datasync(fh: FileHandle): Promise<void>;
  truncate(fh: FileHandle, length: number): Promise<void>;
}

export const nodeFileIo: LogFileIo = {
  async write(fh, data, position) {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
      done += bytesWritten;
    }
  },
  datasync: (fh) => fh.datasync(),
  truncate: (fh, length) => fh.truncate(length),
};

export interface OpenOptions {
  /** Needed for checkpoint(). */
  signer?: LogSigner;
  /** Create the file if it does not exist (default false: a missing log is an error). */
  create?: boolean;
  /** Most appends that share one write + fdatasync (group commit). 1 disables grouping. Default 64. */
  maxBatch?: number;
  /** Fault injection / alternative I/O. */
  io?: LogFileIo;
}

/** What open() found and repaired. */
export interface OpenRecovery {
  /** Bytes cut from the end of the file (torn tail of an unacknowledged write); 0 if none. */
  bytesCut: number;
  /** Why the tail was cut, e.g. "frame runs past end of file" or "CRC mismatch". */
  reason?: string;
  /** Offset the file was cut back to. */
  offset?: number;
}

export interface AppendedRecord {
  seq: number;
  /** SHA-256 of `bytes`. */
  hash: Uint8Array;
  /** The record payload exactly as stored (CBOR). */
  bytes: Uint8Array;
  /** Offset of the record's frame in the file. */
  offset: number;
}

export interface StoredRecord extends AppendedRecord {
  record: LogRecord;
}

export interface LogHead {
  /** Number of records; the next record gets seq = count. */
  count: number;
  /** Hash of the last record (GENESIS_HASH, 32 zero bytes, when empty). */
  hash: Uint8Array;
  /** File length in bytes up to the last acknowledged record. */
  length: number;
}

export interface AppendOptions {
  /**
   * true (default): resolve only after fdatasync. false: write the record now and acknowledge it
   * without an fdatasync of its own; it becomes durable with the next durable commit (a durable
   * append, a checkpoint, flush() or close()), which syncs the whole file. Readers of the log
   * (records(), checkpoints) flush first, so nothing leaves the terminal before it is durable.
   * For records whose loss a crash recovery can re-derive (e.g. from a card's own proof).
   */
  durable?: boolean;
}

type Pending =
  | {
      kind: 'event';
      event: LogEvent;
      durable: boolean;
      resolve: (r: AppendedRecord) => void;
      reject: (e: unknown) => void;
    }
  | { kind: 'checkpoint'; time: number; resolve: (r: AppendedRecord) => void; reject: (e: unknown) => void }
  | { kind: 'flush'; resolve: (r: AppendedRecord) => void; reject: (e: unknown) => void };

async function fsyncDirectory(path: string): Promise<void> {
  const dir = await openFile(dirname(path), fsConstants.O_RDONLY);
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * The terminal's append-only transaction log. One writer per file: open it once per process.
 * append() resolves only after the record is fdatasync'ed; appends are serialized in call order.
 */
export class TransactionLog {
  private queue: Pending[] = [];
  private writing = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
  private poisoned: unknown;
  private closed = false;
  /** Records were written and acknowledged without an fdatasync since the last one. */
  private dirty = false;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly io: LogFileIo,
    private readonly signer: LogSigner | undefined,
    private readonly maxBatch: number,
    private count: number,
    private headHash: Uint8Array,
    private length: number,
    /** What open() repaired. */
    readonly recovery: OpenRecovery,
  ) {}

  /**
   * Open (and recover) a log: scans every frame, cuts a torn tail back to the last whole record,
   * and refuses with TxLogCorruptError if damage is followed by intact records.
   */
  static async open(path: string, options: OpenOptions = {}): Promise<TransactionLog> {
    const io = options.io ?? nodeFileIo;
    const maxBatch = Math.max(1, Math.floor(options.maxBatch ?? 64));
    let fh: FileHandle;
    let created = false;
    try {
      fh = await openFile(path, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(`cannot open ${path}`, err);
      if (!options.create) throw new TxLogNotFoundError(`transaction log ${path} does not exist`);
      try {
        fh = await openFile(path, 'wx+');
        created = true;
      } catch (createErr) {
        throw ioError(`cannot create ${path}`, createErr);
      }
    }
    try {
      const recovery: OpenRecovery = { bytesCut: 0 };
      const size = (await fh.stat()).size;
      if (created || (await readFileHeader(fh, size, path)) === 'torn') {
        // Empty file or a crash during creation: (re)write the header before anything else.
        if (size > 0)
          Object.assign(recovery, { bytesCut: size, reason: 'incomplete file header', offset: 0 });
        await io.truncate(fh, 0);
        await io.write(fh, FILE_HEADER, 0);
        await io.datasync(fh);
        await fsyncDirectory(path);
        return new TransactionLog(
          path,
          fh,
          io,
          options.signer,
          maxBatch,
          0,
          GENESIS_HASH,
          FILE_HEADER.length,
          recovery,
        );
      }
      const scanner = new FrameScanner(fh, size);
      let last: { offset: number } | undefined;
      let lastPayload: Uint8Array | undefined;
      for await (const batch of scanner.batches()) {
        const frame = batch[batch.length - 1]!;
        last = frame;
        // Copy: the scanner reuses its buffer for the next batch.
        lastPayload = new Uint8Array(frame.payload);
      }
      const tail: TornTail | undefined = scanner.tail;
      if (tail) {
        await io.truncate(fh, tail.offset);
        await io.datasync(fh);
        Object.assign(recovery, { bytesCut: tail.bytes, reason: tail.reason, offset: tail.offset });
      }
      let headHash = GENESIS_HASH;
      if (lastPayload) {
        let record: LogRecord;
        try {
          record = decodeRecord(lastPayload);
        } catch (err) {
          throw new TxLogCorruptError(
            `last record (frame ${scanner.count - 1}) has a valid CRC but cannot be decoded: ${(err as Error).message}`,
            last!.offset,
            scanner.count - 1,
          );
        }
        if (record.seq !== scanner.count - 1) {
          throw new TxLogCorruptError(
            `last record carries seq ${record.seq} but is frame ${scanner.count - 1}`,
            last!.offset,
            scanner.count - 1,
          );
        }
        headHash = recordHash(lastPayload);
      }
      return new TransactionLog(
        path,
        fh,
        io,
        options.signer,
        maxBatch,
        scanner.count,
        headHash,
        scanner.endOffset,
        recovery,
      );
    } catch (err) {
      await fh.close().catch(() => {});
      if (err instanceof TxLogError) throw err;
      throw ioError(`cannot open ${path}`, err);
    }
  }

  get head(): LogHead {
    return { count: this.count, hash: this.headHash, length: this.length };
  }

  /**
   * Append one event. Resolves after the record is durable (fdatasync), or only written when
   * `{ durable: false }` (see AppendOptions); rejects with TxLogError.
   */
  append(event: LogEvent, options: AppendOptions = {}): Promise<AppendedRecord> {
    if ((event as RecordBody)?.type === 'checkpoint') {
      return Promise.reject(new TxLogEventError('checkpoints are written by checkpoint(), not append()'));
    }
    try {
      validateBody(event);
    } catch (err) {
      return Promise.reject(err);
    }
    const durable = options.durable ?? true;
    return this.enqueue((resolve, reject) => ({ kind: 'event', event, durable, resolve, reject }));
  }

  /**
   * Append a checkpoint signed by the terminal key over (terminalId, seq, hash) of the current
   * last record: after it resolves, every record up to here is covered by a terminal signature.
   */
  checkpoint(time: number = Date.now()): Promise<AppendedRecord> {
    if (!this.signer)
      return Promise.reject(new TxLogNoSignerError('checkpoint() needs a signer: open with { signer }'));
    return this.enqueue((resolve, reject) => ({ kind: 'checkpoint', time, resolve, reject }));
  }

  /** Makes every acknowledged record durable (one fdatasync, if any was written without one). */
  async flush(): Promise<void> {
    if (!this.dirty && !this.writing) return;
    await this.enqueue((resolve, reject) => ({ kind: 'flush', resolve, reject }));
  }

  /** Whether acknowledged records await an fdatasync (see AppendOptions). */
  get hasUnsyncedRecords(): boolean {
    return this.dirty;
  }

  /** Records in seq order from `fromSeq`, as acknowledged when iteration starts (made durable first). */
  async *records(fromSeq = 0): AsyncGenerator<StoredRecord> {
    this.assertUsable();
    await this.flush();
    const scanner = new FrameScanner(this.fh, this.length);
    for await (const batch of scanner.batches()) {
      for (const frame of batch) {
        if (frame.index < fromSeq) continue;
        const bytes = new Uint8Array(frame.payload);
        const record = decodeRecord(bytes);
        if (record.seq !== frame.index) {
          throw new TxLogRecordError(
            `record at offset ${frame.offset} carries seq ${record.seq}, expected ${frame.index}`,
          );
        }
        yield { seq: frame.index, hash: recordHash(bytes), bytes, offset: frame.offset, record };
      }
    }
  }

  /** Wait for queued appends, then close the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.idle;
    try {
      if (this.dirty && !this.poisoned) await this.io.datasync(this.fh);
      this.dirty = false;
    } finally {
      await this.fh.close();
    }
  }

  private assertUsable(): void {
    if (this.closed) throw new TxLogClosedError(`transaction log ${this.path} is closed`);
    if (this.poisoned) {
      throw new TxLogPoisonedError(
        `transaction log ${this.path} had an I/O error and must be reopened (which recovers it)`,
        { cause: this.poisoned },
      );
    }
  }

  private enqueue(
    make: (resolve: (r: AppendedRecord) => void, reject: (e: unknown) => void) => Pending,
  ): Promise<AppendedRecord> {
    try {
      this.assertUsable();
    } catch (err) {
      return Promise.reject(err);
    }
    const promise = new Promise<AppendedRecord>((resolve, reject) => this.queue.push(make(resolve, reject)));
    if (!this.writing) {
      this.writing = true;
      this.idle = new Promise((resolve) => (this.markIdle = resolve));
      void this.drain();
    }
    return promise;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        if (this.poisoned) {
          const error = new TxLogPoisonedError(
            `transaction log ${this.path} had an I/O error and must be reopened`,
            {
              cause: this.poisoned,
            },
          );
          for (const item of this.queue.splice(0)) item.reject(error);
          break;
        }
        await this.commit(this.queue.splice(0, this.maxBatch));
      }
    } finally {
      this.writing = false;
      this.markIdle();
    }
  }

  /** Encode a batch, write it with one write and one fdatasync, then acknowledge all of it. */
  private async commit(batch: Pending[]): Promise<void> {
    const startLength = this.length;
    let count = this.count;
    let headHash = this.headHash;
    let offset = startLength;
    const frames: Buffer[] = [];
    const accepted: { item: Pending; result: AppendedRecord }[] = [];
    const flushes: Pending[] = [];
    for (const item of batch) {
      let body: RecordBody;
      if (item.kind === 'flush') {
        flushes.push(item);
        continue;
      } else if (item.kind === 'checkpoint') {
        if (count === 0) {
          item.reject(new TxLogEmptyError('cannot checkpoint an empty log'));
          continue;
        }
        const signer = this.signer!;
        let signature: Uint8Array;
        try {
          signature = await signer.sign(checkpointMessage(signer.terminalId, count - 1, headHash));
          if (!(signature instanceof Uint8Array) || signature.length !== 64) {
            throw new Error(`signer returned ${signature?.length} bytes, expected 64`);
          }
        } catch (err) {
          item.reject(
            new TxLogSignError(`terminal signer failed: ${(err as Error).message}`, { cause: err }),
          );
          continue;
        }
        const checkpoint: CheckpointBody = {
          type: 'checkpoint',
          time: item.time,
          terminalId: signer.terminalId,
          coveredSeq: count - 1,
          headHash,
          count,
          signature,
        };
        try {
          validateBody(checkpoint);
        } catch (err) {
          item.reject(err);
          continue;
        }
        body = checkpoint;
      } else {
        body = item.event;
      }
      const bytes = encodeRecord(count, headHash, body);
      const frame = encodeFrame(bytes);
      const hash = recordHash(bytes);
      accepted.push({ item, result: { seq: count, hash, bytes, offset } });
      frames.push(frame);
      offset += frame.length;
      headHash = hash;
      count++;
    }
    if (accepted.length === 0 && flushes.length === 0) return;
    // One fdatasync covers this batch and every record acknowledged earlier without one.
    const sync = flushes.length > 0 || accepted.some(({ item }) => item.kind !== 'event' || item.durable);
    try {
      if (frames.length > 0) await this.io.write(this.fh, Buffer.concat(frames), startLength);
      if (sync && (frames.length > 0 || this.dirty)) await this.io.datasync(this.fh);
    } catch (err) {
      // Never retry an fsync: after a failure the page cache may claim data the disk lost.
      // Roll the file back to what was acknowledged, then refuse further use of this handle.
      this.poisoned = err;
      let restored = false;
      try {
        await this.io.truncate(this.fh, startLength);
        await this.io.datasync(this.fh);
        restored = true;
      } catch {
        restored = false;
      }
      const error = new TxLogIoError(
        `append to ${this.path} failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
          (restored
            ? 'the file was rolled back to its last acknowledged record; reopen the log'
            : 'rollback failed too; reopen the log to recover'),
        restored,
        { cause: err },
      );
      for (const { item } of accepted) item.reject(error);
      for (const item of flushes) item.reject(error);
      return;
    }
    this.dirty = !sync && (this.dirty || frames.length > 0);
    this.count = count;
    this.headHash = headHash;
    this.length = offset;
    for (const { item, result } of accepted) item.resolve(result);
    for (const item of flushes) item.resolve(undefined as unknown as AppendedRecord);
  }
}

function ioError(message: string, cause: unknown): TxLogIoError {
  const detail = (cause as NodeJS.ErrnoException)?.code ?? (cause as Error)?.message;
  return new TxLogIoError(`${message}: ${detail}`, false, { cause });
}
