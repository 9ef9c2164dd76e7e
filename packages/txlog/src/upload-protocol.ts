/**
 * The wire protocol between a terminal and the clearing service, kept here (upstream of both)
 * so the terminal never depends on the service package:
 *
 * - the upload batch of `POST /v1/terminals/:terminalId/batches` (application/cbor), a CBOR map
 *   with the text keys `{ "v": 1, "terminalCertificate": bstr(165), "records": [bstr…] }` and an
 *   optional fourth, `"seal": bstr(64)`. Records are txlog payloads exactly as stored (no frame
 *   header), consecutive seqs. The batch ends in a terminal signature over the chain head: either
 *   its last record is a checkpoint, or `seal` is the terminal's raw r‖s signature over
 *   `checkpointMessage(terminalId, seq of the last record, SHA-256 of the last record)`, made at
 *   upload time (so a log with no checkpoint for more than MAX_BATCH_RECORDS records can still be
 *   cut into batches without rewriting it);
 * - the terminal request signature of the JSON routes (headers X-Huduma-Certificate,
 *   X-Huduma-Timestamp, X-Huduma-Signature) over
 *   `"HUDUMA-CLEARING/TERMINAL-REQUEST/v1" 0x00 | u8 len | METHOD | u16 len | path?query | u64 timestampMs | SHA-256(body)`;
 * - the signed deny-list delta the service publishes (`denyListMessage`).
 */
import { createHash, createPrivateKey, sign as nodeSign } from 'node:crypto';
import { Decoder, Encoder } from 'cbor-x';
import { TxLogError } from './errors';

export const BATCH_FORMAT_VERSION = 1;
/** Records per upload; a terminal with more splits them (each part ending with a checkpoint). */
export const MAX_BATCH_RECORDS = 10_000;
/** Length of a terminal certificate (card-applet-spec SPEC.md §5). */
export const TERMINAL_CERTIFICATE_LENGTH = 165;
/** Length of a batch seal: a raw r‖s P-256 signature. */
export const BATCH_SEAL_LENGTH = 64;

export interface UploadBatch {
  terminalCertificate: Uint8Array;
  records: Uint8Array[];
  /**
   * Terminal signature over checkpointMessage(terminalId, last record's seq, SHA-256 of the last
   * record). Required by the service when the last record is not a checkpoint.
   */
  seal?: Uint8Array;
}

/** An upload body that is not CBOR (`ERR_BATCH_CBOR`) or not a well-formed batch (`ERR_BATCH_FORMAT`). */
export class UploadBatchFormatError extends TxLogError {
  override name = 'UploadBatchFormatError';
  constructor(
    override readonly code: 'ERR_BATCH_CBOR' | 'ERR_BATCH_FORMAT',
    message: string,
  ) {
    super(message);
  }
}

const decoder = new Decoder({ mapsAsObjects: true, useRecords: false });
// Plain CBOR: no record extension, no tags on byte strings, no string bundling, so the service
// (and any other CBOR decoder) reads exactly a map of three keys.
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
      ...(batch.seal ? { seal: batch.seal } : {}),
    }),
  );
}

export function decodeUploadBatch(body: Uint8Array): UploadBatch {
  let raw: unknown;
  try {
    raw = decoder.decode(body);
  } catch (error) {
    throw new UploadBatchFormatError(
      'ERR_BATCH_CBOR',
      `upload body is not valid CBOR: ${(error as Error).message}`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof Uint8Array) {
    throw new UploadBatchFormatError('ERR_BATCH_FORMAT', 'upload body must be a CBOR map');
  }
  const map = raw as Record<string, unknown>;
  const keys = Object.keys(map).sort();
  const known = keys.join(',');
  if (known !== 'records,terminalCertificate,v' && known !== 'records,seal,terminalCertificate,v') {
    throw new UploadBatchFormatError(
      'ERR_BATCH_FORMAT',
      `upload map must have the keys v, terminalCertificate, records and optionally seal; got ${keys.join(', ')}`,
    );
  }
  const seal = map.seal;
  if (seal !== undefined && (!(seal instanceof Uint8Array) || seal.length !== BATCH_SEAL_LENGTH)) {
    throw new UploadBatchFormatError('ERR_BATCH_FORMAT', 'seal must be a 64-byte byte string');
  }
  if (map.v !== BATCH_FORMAT_VERSION) {
    throw new UploadBatchFormatError('ERR_BATCH_FORMAT', `unsupported batch format version ${String(map.v)}`);
  }
  const cert = map.terminalCertificate;
  if (!(cert instanceof Uint8Array) || cert.length !== TERMINAL_CERTIFICATE_LENGTH) {
    throw new UploadBatchFormatError(
      'ERR_BATCH_FORMAT',
      'terminalCertificate must be a 165-byte byte string',
    );
  }
  const records = map.records;
  if (!Array.isArray(records) || records.length === 0) {
    throw new UploadBatchFormatError('ERR_BATCH_FORMAT', 'records must be a non-empty array of byte strings');
  }
  if (records.length > MAX_BATCH_RECORDS) {
    throw new UploadBatchFormatError(
      'ERR_BATCH_FORMAT',
      `a batch holds at most ${MAX_BATCH_RECORDS} records, got ${records.length}`,
    );
  }
  records.forEach((r, i) => {
    if (!(r instanceof Uint8Array)) {
      throw new UploadBatchFormatError('ERR_BATCH_FORMAT', `records[${i}] is not a byte string`);
    }
  });
  return {
    terminalCertificate: cert,
    records: records as Uint8Array[],
    ...(seal !== undefined ? { seal: seal as Uint8Array } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Terminal request signing

export const TERMINAL_REQUEST_DOMAIN = 'HUDUMA-CLEARING/TERMINAL-REQUEST/v1';
/** How far the request timestamp may be from the service clock. */
export const MAX_REQUEST_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** The bytes a terminal request signature covers (SHA-256 is applied by the signature). */
export function terminalRequestMessage(
  method: string,
  path: string,
  timestampMs: number,
  body: Uint8Array,
): Uint8Array {
  const m = Buffer.from(method.toUpperCase(), 'ascii');
  const p = Buffer.from(path, 'utf8');
  if (m.length > 0xff) throw new RangeError(`HTTP method ${method} is longer than 255 bytes`);
  if (p.length > 0xffff) throw new RangeError(`request path is longer than 65535 bytes (${p.length})`);
  if (!Number.isSafeInteger(timestampMs) || timestampMs < 0)
    throw new RangeError(`timestamp ${timestampMs} must be non-negative integer milliseconds`);
  const head = Buffer.alloc(1 + m.length + 2 + p.length + 8);
  let at = head.writeUInt8(m.length, 0);
  at += m.copy(head, at);
  at = head.writeUInt16BE(p.length, at);
  at += p.copy(head, at);
  head.writeBigUInt64BE(BigInt(timestampMs), at);
  return new Uint8Array(
    Buffer.concat([
      Buffer.from(TERMINAL_REQUEST_DOMAIN, 'ascii'),
      Buffer.of(0),
      head,
      createHash('sha256').update(body).digest(),
    ]),
  );
}

export interface TerminalRequestSigningInput {
  method: string;
  /** Path with query string, exactly as sent (e.g. `/v1/terminals/T-0001/state`). */
  path: string;
  body?: Uint8Array | string;
  /** The 165-byte terminal certificate. */
  certificate: Uint8Array;
  /** Raw 32-byte P-256 private key of the terminal. */
  privateKey: Uint8Array;
  /** 65-byte uncompressed public key matching `privateKey`. */
  publicKey: Uint8Array;
  timestampMs?: number;
}

/** The three X-Huduma-* headers (lower-case names) for one request, signed with the terminal key. */
export function signTerminalRequest(args: TerminalRequestSigningInput): Record<string, string> {
  if (args.privateKey.length !== 32) throw new RangeError('terminal private key must be 32 bytes');
  if (args.publicKey.length !== 65 || args.publicKey[0] !== 0x04)
    throw new RangeError('terminal public key must be a 65-byte uncompressed P-256 point');
  const timestampMs = args.timestampMs ?? Date.now();
  const body =
    typeof args.body === 'string' ? Buffer.from(args.body, 'utf8') : (args.body ?? new Uint8Array());
  const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  const key = createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      d: b64url(args.privateKey),
      x: b64url(args.publicKey.subarray(1, 33)),
      y: b64url(args.publicKey.subarray(33)),
    },
    format: 'jwk',
  });
  const signature = nodeSign('sha256', terminalRequestMessage(args.method, args.path, timestampMs, body), {
    key,
    dsaEncoding: 'ieee-p1363',
  });
  return {
    'x-huduma-certificate': Buffer.from(args.certificate).toString('base64'),
    'x-huduma-timestamp': String(timestampMs),
    'x-huduma-signature': signature.toString('base64'),
  };
}

// ---------------------------------------------------------------------------------------------
// Signed deny-list delta

export const DENY_LIST_DOMAIN = 'HUDUMA-CLEARING/DENY-LIST/v1';

export interface SignedDenyListBody {
  sinceVersion: number;
  version: number;
  issuedAtMs: number;
  entries: readonly { version: number; cardNumber: string; action: 'add' | 'remove' }[];
}

/**
 * What the service key signs for `GET /v1/deny-list?since=V`:
 * `"HUDUMA-CLEARING/DENY-LIST/v1" 0x00 | u64 sinceVersion | u64 version | u64 issuedAtMs | u32 count |
 *  count × (u64 version | 16-digit card number as 8 BCD bytes | u8 action: 1 add, 2 remove)`.
 */
export function denyListMessage(delta: SignedDenyListBody): Uint8Array {
  const domain = Buffer.from(DENY_LIST_DOMAIN, 'ascii');
  const out = Buffer.alloc(domain.length + 1 + 8 * 3 + 4 + delta.entries.length * 17);
  let at = domain.copy(out, 0);
  at = out.writeUInt8(0, at);
  at = out.writeBigUInt64BE(BigInt(delta.sinceVersion), at);
  at = out.writeBigUInt64BE(BigInt(delta.version), at);
  at = out.writeBigUInt64BE(BigInt(delta.issuedAtMs), at);
  at = out.writeUInt32BE(delta.entries.length, at);
  for (const e of delta.entries) {
    if (!/^[0-9]{16}$/.test(e.cardNumber))
      throw new RangeError(`deny-list card number must be 16 digits, got ${JSON.stringify(e.cardNumber)}`);
    at = out.writeBigUInt64BE(BigInt(e.version), at);
    for (let i = 0; i < 8; i++) {
      at = out.writeUInt8((Number(e.cardNumber[2 * i]) << 4) | Number(e.cardNumber[2 * i + 1]), at);
    }
    at = out.writeUInt8(e.action === 'add' ? 1 : 2, at);
  }
  return new Uint8Array(out);
}
