/**
 * The upload body of `POST /v1/terminals/:terminalId/batches` (content-type application/cbor):
 *
 *   { "v": 1,
 *     "terminalCertificate": bstr(165),     the terminal's certificate (SPEC.md §5, type 02)
 *     "records": [ bstr, … ] }              exact txlog record payloads, consecutive seqs,
 *                                           the last one a checkpoint signed by the terminal
 *
 * A CBOR map with these three text keys (any order, no others). Record bytes are the txlog
 * payloads exactly as stored (no frame header): hashes are computed over them, never over a
 * re-encoding.
 */
import { Decoder, Encoder } from 'cbor-x';
import { ClearingError } from './errors';

export const BATCH_FORMAT_VERSION = 1;
/** Records per upload; a terminal with more splits them (each part ending with a checkpoint). */
export const MAX_BATCH_RECORDS = 10_000;

export interface UploadBatch {
  terminalCertificate: Uint8Array;
  records: Uint8Array[];
}

export class BatchFormatError extends ClearingError {
  override name = 'BatchFormatError';
  constructor(code: 'ERR_BATCH_CBOR' | 'ERR_BATCH_FORMAT', message: string) {
    super(code, message);
  }
}

const decoder = new Decoder({ mapsAsObjects: true, useRecords: false });
const encoder = new Encoder({
  useRecords: false,
  structuredClone: false,
  bundleStrings: false,
  tagUint8Array: false,
  pack: false,
  mapsAsObjects: true,
});

export function encodeUploadBatch(batch: UploadBatch): Uint8Array {
  return new Uint8Array(
    encoder.encode({
      v: BATCH_FORMAT_VERSION,
      terminalCertificate: batch.terminalCertificate,
      records: batch.records,
    }),
  );
}

export function decodeUploadBatch(body: Uint8Array): UploadBatch {
  let raw: unknown;
  try {
    raw = decoder.decode(body);
  } catch (error) {
    throw new BatchFormatError(
      'ERR_BATCH_CBOR',
      `upload body is not valid CBOR: ${(error as Error).message}`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof Uint8Array) {
    throw new BatchFormatError('ERR_BATCH_FORMAT', 'upload body must be a CBOR map');
  }
  const map = raw as Record<string, unknown>;
  const keys = Object.keys(map).sort();
  if (keys.join(',') !== 'records,terminalCertificate,v') {
    throw new BatchFormatError(
      'ERR_BATCH_FORMAT',
      `upload map must have exactly the keys v, terminalCertificate, records; got ${keys.join(', ')}`,
    );
  }
  if (map.v !== BATCH_FORMAT_VERSION) {
    throw new BatchFormatError('ERR_BATCH_FORMAT', `unsupported batch format version ${String(map.v)}`);
  }
  const cert = map.terminalCertificate;
  if (!(cert instanceof Uint8Array) || cert.length !== 165) {
    throw new BatchFormatError('ERR_BATCH_FORMAT', 'terminalCertificate must be a 165-byte byte string');
  }
  const records = map.records;
  if (!Array.isArray(records) || records.length === 0) {
    throw new BatchFormatError('ERR_BATCH_FORMAT', 'records must be a non-empty array of byte strings');
  }
  if (records.length > MAX_BATCH_RECORDS) {
    throw new BatchFormatError(
      'ERR_BATCH_FORMAT',
      `a batch holds at most ${MAX_BATCH_RECORDS} records, got ${records.length}`,
    );
  }
  records.forEach((r, i) => {
    if (!(r instanceof Uint8Array)) {
      throw new BatchFormatError('ERR_BATCH_FORMAT', `records[${i}] is not a byte string`);
    }
  });
  return { terminalCertificate: cert, records: records as Uint8Array[] };
}
