import { type FileHandle, open as openFile } from 'node:fs/promises';
import { bytesEqual as equalBytes } from '@huduma/card-applet-spec';
import { TxLogCorruptError, TxLogIoError, TxLogNotFoundError } from './errors';
import { FILE_HEADER, type Frame, FrameScanner, readFileHeader, type TornTail } from './frame';
import {
  type CardProofRecord,
  decodeRecord,
  GENESIS_HASH,
  type LogRecord,
  RECORD_TYPES,
  type RecordType,
  recordHash,
} from './records';
import { checkpointVerifier } from './signer';

export interface VerifyOptions {
  /** 65-byte uncompressed P-256 terminal key. Without it checkpoint signatures are not checked. */
  terminalPublicKey?: Uint8Array;
  /** Card-proof check for sale, recovered-sale, cancel and reload records: true, or false / a reason. */
  verifyCardProof?: (entry: CardProofRecord) => boolean | string;
}

export type VerifyErrorKind =
  | 'frame-corrupt'
  | 'record-invalid'
  | 'seq-mismatch'
  | 'chain-broken'
  | 'checkpoint-invalid'
  | 'checkpoint-signature'
  | 'terminal-id-mismatch'
  | 'card-proof';

export interface VerifyError {
  /** seq the bad record has (or should have had, for undecodable frames). */
  seq: number;
  /** Byte offset of its frame in the file. */
  offset: number;
  kind: VerifyErrorKind;
  reason: string;
}

export interface LogTotals {
  saleCents: number;
  recoveredSaleCents: number;
  cancelCents: number;
  reloadCents: number;
  /** sale + recovered-sale - cancel. */
  netSalesCents: number;
}

export interface LogSummary {
  /** No error found (a torn tail alone is not an error: it was never acknowledged). */
  ok: boolean;
  /** Records verified (all records before firstError). */
  records: number;
  checkpoints: number;
  /** seq of the last checkpoint record, null if none. */
  lastCheckpointSeq: number | null;
  /** Records after the last checkpoint: chained, but not covered by a terminal signature yet. */
  unsignedTail: number;
  checkpointSignatures: 'verified' | 'not-checked';
  cardProofs: 'verified' | 'not-checked';
  /** terminalId named by the checkpoints, null if there are none. */
  terminalId: string | null;
  /** Hash of the last verified record (head of the chain). */
  headHash: string;
  byType: Record<RecordType, number>;
  totals: LogTotals;
  /** terminalSeq of pending debits (pending-debit records, debit intents) with neither a sale record nor a pending-resolved record. */
  unresolvedPendingDebits: number[];
  tornTail?: TornTail;
  firstError?: VerifyError;
}

/**
 * Verify a log file end to end without modifying it: frame CRCs, record decoding, seq order, the
 * hash chain, every checkpoint (and its signature if a key is given) and card proofs if a verifier
 * is given. Stops at the first bad record: nothing after a broken link can be trusted.
 */
export async function verifyLog(path: string, options: VerifyOptions = {}): Promise<LogSummary> {
  const verifyCheckpoint = options.terminalPublicKey
    ? checkpointVerifier(options.terminalPublicKey)
    : undefined;
  const verifyCardProof = options.verifyCardProof;
  const summary: LogSummary = {
    ok: true,
    records: 0,
    checkpoints: 0,
    lastCheckpointSeq: null,
    unsignedTail: 0,
    checkpointSignatures: verifyCheckpoint ? 'verified' : 'not-checked',
    cardProofs: verifyCardProof ? 'verified' : 'not-checked',
    terminalId: null,
    headHash: '',
    byType: Object.fromEntries(RECORD_TYPES.map((t) => [t, 0])) as Record<RecordType, number>,
    totals: { saleCents: 0, recoveredSaleCents: 0, cancelCents: 0, reloadCents: 0, netSalesCents: 0 },
    unresolvedPendingDebits: [],
  };
  const pending = new Set<number>();
  /** terminalSeq of debit intents (closed by their sale record, unlike legacy pending-debit records). */
  const debitIntents = new Set<number>();
  let prevHash = GENESIS_HASH;

  const fh = await openForRead(path);
  try {
    const size = (await fh.stat()).size;
    if ((await readFileHeader(fh, size, path)) === 'torn') {
      if (size > 0) summary.tornTail = { offset: 0, bytes: size, reason: 'incomplete file header' };
      return finish();
    }
    const scanner = new FrameScanner(fh, size, FILE_HEADER.length);
    const fail = (frame: Frame, kind: VerifyErrorKind, reason: string) => {
      summary.firstError = { seq: frame.index, offset: frame.offset, kind, reason };
    };
    try {
      outer: for await (const batch of scanner.batches()) {
        for (const frame of batch) {
          const payload = frame.payload;
          let record: LogRecord;
          try {
            record = decodeRecord(payload);
          } catch (err) {
            fail(frame, 'record-invalid', (err as Error).message);
            break outer;
          }
          if (record.seq !== frame.index) {
            fail(frame, 'seq-mismatch', `record carries seq ${record.seq}, expected ${frame.index}`);
            break outer;
          }
          if (!equalBytes(record.prevHash, prevHash)) {
            fail(frame, 'chain-broken', `prevHash does not match the hash of record ${frame.index - 1}`);
            break outer;
          }
          const problem = checkRecord(record);
          if (problem) {
            fail(frame, problem[0], problem[1]);
            break outer;
          }
          prevHash = recordHash(payload);
          summary.records++;
          summary.byType[record.type]++;
        }
      }
    } catch (err) {
      if (!(err instanceof TxLogCorruptError)) throw err;
      summary.firstError = {
        seq: err.frameIndex,
        offset: err.offset,
        kind: 'frame-corrupt',
        reason: err.message,
      };
    }
    if (scanner.tail && !summary.firstError) summary.tornTail = scanner.tail;
    return finish();
  } finally {
    await fh.close();
  }

  function checkRecord(record: LogRecord): [VerifyErrorKind, string] | undefined {
    switch (record.type) {
      case 'checkpoint': {
        if (record.coveredSeq !== record.seq - 1 || record.count !== record.seq) {
          return [
            'checkpoint-invalid',
            `checkpoint at seq ${record.seq} claims to cover seq ${record.coveredSeq}, count ${record.count}`,
          ];
        }
        if (!equalBytes(record.headHash, record.prevHash)) {
          return ['checkpoint-invalid', 'checkpoint head hash differs from the hash of the record it covers'];
        }
        if (summary.terminalId !== null && summary.terminalId !== record.terminalId) {
          return [
            'terminal-id-mismatch',
            `checkpoint names terminal ${record.terminalId}, earlier ones ${summary.terminalId}`,
          ];
        }
        if (
          verifyCheckpoint &&
          !verifyCheckpoint(record.terminalId, record.coveredSeq, record.headHash, record.signature)
        ) {
          return ['checkpoint-signature', `checkpoint signature does not verify under the terminal key`];
        }
        summary.terminalId = record.terminalId;
        summary.checkpoints++;
        summary.lastCheckpointSeq = record.seq;
        return undefined;
      }
      case 'sale':
      case 'recovered-sale':
      case 'cancel':
      case 'reload': {
        if (verifyCardProof) {
          let verdict: boolean | string;
          try {
            verdict = verifyCardProof(record);
          } catch (err) {
            verdict = `card proof verifier threw: ${(err as Error).message}`;
          }
          if (verdict !== true) {
            return ['card-proof', typeof verdict === 'string' ? verdict : 'card proof does not verify'];
          }
        }
        // A sale record settles the debit intent of its terminalSeq (no resolution record needed);
        // a legacy pending-debit record still needs its pending-resolved record.
        if (
          (record.type === 'sale' || record.type === 'recovered-sale') &&
          debitIntents.has(record.terminalSeq)
        )
          pending.delete(record.terminalSeq);
        const totals = summary.totals;
        if (record.type === 'sale') totals.saleCents += record.amountCents;
        else if (record.type === 'recovered-sale') totals.recoveredSaleCents += record.amountCents;
        else if (record.type === 'cancel') totals.cancelCents += record.amountCents;
        else totals.reloadCents += record.amountCents;
        return undefined;
      }
      case 'pending-debit':
        pending.add(record.terminalSeq);
        return undefined;
      case 'intent':
        if (record.op === 'debit') {
          pending.add(record.terminalSeq);
          debitIntents.add(record.terminalSeq);
        }
        return undefined;
      case 'pending-resolved':
        pending.delete(record.terminalSeq);
        return undefined;
      default:
        return undefined;
    }
  }

  function finish(): LogSummary {
    const t = summary.totals;
    t.netSalesCents = t.saleCents + t.recoveredSaleCents - t.cancelCents;
    summary.unsignedTail =
      summary.lastCheckpointSeq === null ? summary.records : summary.records - summary.lastCheckpointSeq - 1;
    summary.unresolvedPendingDebits = [...pending].sort((a, b) => a - b);
    summary.headHash = Buffer.from(prevHash).toString('hex');
    summary.ok = summary.firstError === undefined;
    return summary;
  }
}

export async function openForRead(path: string): Promise<FileHandle> {
  try {
    return await openFile(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TxLogNotFoundError(`transaction log ${path} does not exist`);
    }
    throw new TxLogIoError(`cannot open ${path}: ${(err as NodeJS.ErrnoException).code}`, false, {
      cause: err,
    });
  }
}
