/**
 * Steps 1-3 of an upload (see ingest.ts): the envelope, the terminal certificate, the chain, and
 * the one terminal signature over the batch's head. No database.
 */
import { bytesEqual as equal } from '@huduma/card-applet-spec';
import {
  checkpointMessage,
  decodeRecord,
  decodeUploadBatch,
  type LogRecord,
  UploadBatchFormatError,
} from '@huduma/txlog';
import { ClearingError } from './errors';
import { DigestSlab } from './sha256';
import type { raiseAlert } from './store';
import { CertificateError, type TrustStore, type VerifiedTerminalCertificate, verifyRaw } from './trust';

const GENESIS = new Uint8Array(32);

type AlertInput = Parameters<typeof raiseAlert>[1];

/** A refused upload: HTTP status, stable code, the seq of the bad record when there is one. */
export class UploadRejected extends ClearingError {
  override name = 'UploadRejected';
  override readonly statusCode: number;
  constructor(
    statusCode: number,
    code: string,
    message: string,
    readonly seq?: number,
    /** Raised after the rollback, so the alert survives the refused batch. */
    readonly alert?: AlertInput,
    /** The offending field, e.g. `records[12].time`. */
    field?: string,
  ) {
    super(code, message, field);
    this.statusCode = statusCode;
  }
}

/** Steps 1-3: envelope, certificate, decoding, chain and the terminal signature over the batch's head. */
export function checkBatchEnvelope(
  ctx: { trust: TrustStore; now: () => number },
  terminalId: string,
  body: Uint8Array,
  /** The certificate the upload request was signed under (http/terminal-request.ts). */
  signedWith?: Uint8Array,
) {
  let batch: ReturnType<typeof decodeUploadBatch>;
  try {
    batch = decodeUploadBatch(body);
  } catch (error) {
    if (error instanceof UploadBatchFormatError) throw new UploadRejected(400, error.code, error.message);
    throw error;
  }
  // The batch must carry the certificate that signed the request, so one terminal cannot
  // upload under another's certificate.
  if (
    signedWith !== undefined &&
    (signedWith.length !== batch.terminalCertificate.length ||
      Buffer.compare(signedWith, batch.terminalCertificate) !== 0)
  ) {
    throw new UploadRejected(
      403,
      'ERR_TERMINAL_CERTIFICATE_MISMATCH',
      'the batch carries a different terminal certificate from the one that signed the request',
    );
  }
  let terminal: VerifiedTerminalCertificate;
  try {
    terminal = ctx.trust.terminalCertificate(batch.terminalCertificate, Math.floor(ctx.now() / 1000));
  } catch (error) {
    if (error instanceof CertificateError) throw new UploadRejected(401, error.code, error.message);
    throw error;
  }
  if (terminal.cert.terminalId !== terminalId) {
    throw new UploadRejected(
      403,
      'ERR_TERMINAL_ID_MISMATCH',
      `the certificate is for terminal ${terminal.cert.terminalId}, the upload is for ${terminalId}`,
    );
  }

  const raws = batch.records;
  const decoded: LogRecord[] = [];
  const hashes: Uint8Array[] = [];
  // Each record's hash (txlog's recordHash: SHA-256 of its bytes), side by side in one slab.
  const slab = new DigestSlab(raws.length);
  for (let i = 0; i < raws.length; i++) {
    let record: LogRecord;
    try {
      // Views into the upload body, which the batch holds until it is stored anyway.
      record = decodeRecord(raws[i]!, { views: true });
    } catch (error) {
      const seq = i === 0 ? undefined : decoded[0]!.seq + i;
      throw new UploadRejected(
        422,
        'ERR_RECORD_INVALID',
        `record ${seq ?? `#${i}`}: ${(error as Error).message}`,
        seq,
        undefined,
        `records[${seq ?? i}]`,
      );
    }
    if (i > 0) {
      const expected = decoded[0]!.seq + i;
      if (record.seq !== expected) {
        throw new UploadRejected(
          422,
          'ERR_RECORD_SEQ',
          `record #${i} has seq ${record.seq}, expected ${expected}`,
          expected,
          undefined,
          `records[${expected}].seq`,
        );
      }
      if (!equal(record.prevHash, hashes[i - 1]!)) {
        throw new UploadRejected(
          422,
          'ERR_RECORD_CHAIN',
          `record ${record.seq}: prevHash is not the hash of record ${record.seq - 1} (altered or out of order)`,
          record.seq,
          undefined,
          `records[${record.seq}].prevHash`,
        );
      }
    } else if (record.seq === 0 && !equal(record.prevHash, GENESIS)) {
      throw new UploadRejected(422, 'ERR_RECORD_CHAIN', 'record 0: prevHash must be 32 zero bytes', 0);
    }
    decoded.push(record);
    hashes.push(slab.sha256(raws[i]!));
  }

  for (const record of decoded) {
    if (record.type !== 'checkpoint') continue;
    if (
      record.coveredSeq !== record.seq - 1 ||
      record.count !== record.seq ||
      !equal(record.headHash, record.prevHash)
    ) {
      throw new UploadRejected(
        422,
        'ERR_CHECKPOINT_INVALID',
        `checkpoint ${record.seq} does not cover the record before it (coveredSeq ${record.coveredSeq}, count ${record.count})`,
        record.seq,
      );
    }
    if (record.terminalId !== terminalId) {
      throw new UploadRejected(
        422,
        'ERR_CHECKPOINT_TERMINAL',
        `checkpoint ${record.seq} names terminal ${record.terminalId}, not ${terminalId}`,
        record.seq,
      );
    }
  }
  const last = decoded[decoded.length - 1]!;
  // Every batch ends in one terminal signature over its chain head, which through the chain
  // authenticates every record (intermediate checkpoints included): the last record's own
  // checkpoint signature, or else the seal the terminal made at upload time over the same
  // message for the last record (a log with no checkpoint in 10,000 records can still go up).
  let coveredSeq: number;
  let headHash: Uint8Array;
  let signature: Uint8Array;
  let what: string;
  if (batch.seal) {
    coveredSeq = last.seq;
    headHash = hashes[hashes.length - 1]!;
    signature = batch.seal;
    what = `seal over record ${last.seq}`;
  } else if (last.type === 'checkpoint') {
    coveredSeq = last.coveredSeq;
    headHash = last.headHash;
    signature = last.signature;
    what = `checkpoint ${last.seq}`;
  } else {
    throw new UploadRejected(
      422,
      'ERR_BATCH_UNSIGNED',
      `a batch must end with a checkpoint record or carry a seal; record ${last.seq} is a ${last.type} and there is no seal`,
      last.seq,
    );
  }
  if (!verifyRaw(terminal.key, checkpointMessage(terminalId, coveredSeq, headHash), signature)) {
    throw new UploadRejected(
      422,
      batch.seal ? 'ERR_BATCH_SEAL_SIGNATURE' : 'ERR_CHECKPOINT_SIGNATURE',
      `${what}: signature does not verify with the key of ${terminalId}'s certificate`,
      last.seq,
    );
  }

  return {
    decoded,
    hashes,
    raws,
    certificate: batch.terminalCertificate,
    publicKey: terminal.cert.keyAgreementKey,
    merchantId: terminal.cert.merchantId,
  };
}
