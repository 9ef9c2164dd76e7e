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
 * - the terminal request signature of every terminal route, uploads included (headers
 *   X-Huduma-Certificate, X-Huduma-Timestamp, X-Huduma-Nonce, X-Huduma-Content-SHA256,
 *   X-Huduma-Signature) over `"HUDUMA-CLEARING/TERMINAL-REQUEST/v2" 0x00 | u8 len | METHOD |
 *   u16 len | path?query | u64 timestampMs | nonce(16) | u64 Content-Length | SHA-256(body)`;
 * - the signed deny-list delta the service publishes (`denyListMessage`).
 */
import { createHash, sign as nodeSign, randomBytes } from 'node:crypto';
import { p256PrivateKeyObject } from '@huduma/pki';
import { Decoder, Encoder } from 'cbor-x';
import { type CborLimits, cborHeadLength, MAX_RECORD_LENGTH, scanCbor } from './cbor-limits';
import { TxLogError } from './errors';

export const BATCH_FORMAT_VERSION = 1;
/** Records per upload; a terminal with more splits them (each part ending with a checkpoint). */
export const MAX_BATCH_RECORDS = 10_000;
/** Length of a terminal certificate (card-applet-spec SPEC.md §5). */
export const TERMINAL_CERTIFICATE_LENGTH = 165;
/** Length of a batch seal: a raw r‖s P-256 signature. */
export const BATCH_SEAL_LENGTH = 64;

/**
 * Room for map keys besides v, terminalCertificate and records (an optional `seal`: a 64-byte
 * terminal signature) and their values, in the body-size and item bounds below.
 */
const BATCH_EXTRA_KEYS = 1;
const BATCH_EXTRA_BYTES = 256;

/**
 * The largest legal upload body: the map of v, terminalCertificate and MAX_BATCH_RECORDS records
 * of MAX_RECORD_LENGTH each (≈ 26.8 MB), plus BATCH_EXTRA_BYTES. The service's body limit for the
 * upload route; anything longer cannot be a batch.
 */
export const MAX_UPLOAD_BATCH_BYTES: number =
  1 + // map head
  (1 + 1) + // "v"
  1 + // 1
  (1 + 'terminalCertificate'.length) +
  cborHeadLength(TERMINAL_CERTIFICATE_LENGTH) +
  TERMINAL_CERTIFICATE_LENGTH +
  (1 + 'records'.length) +
  cborHeadLength(MAX_BATCH_RECORDS) +
  MAX_BATCH_RECORDS * (cborHeadLength(MAX_RECORD_LENGTH) + MAX_RECORD_LENGTH) +
  BATCH_EXTRA_BYTES;

/**
 * What the pre-scan lets cbor-x see: a map (depth 1) holding the records array (depth 2) of byte
 * strings; one item for the map, two per key, one per record.
 */
export const UPLOAD_BATCH_CBOR_LIMITS: CborLimits = {
  maxDepth: 2,
  maxItems: 1 + 2 * (3 + BATCH_EXTRA_KEYS) + MAX_BATCH_RECORDS,
  maxStringBytes: MAX_RECORD_LENGTH,
};

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
  const overLimit = scanCbor(body, UPLOAD_BATCH_CBOR_LIMITS);
  if (overLimit !== undefined)
    throw new UploadBatchFormatError('ERR_BATCH_CBOR', `upload body: ${overLimit}`);
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

export const TERMINAL_REQUEST_DOMAIN = 'HUDUMA-CLEARING/TERMINAL-REQUEST/v2';
/** How far the request timestamp may be from the service clock. */
export const MAX_REQUEST_CLOCK_SKEW_MS = 5 * 60 * 1000;
/** Random bytes of X-Huduma-Nonce; the service refuses a (terminal, nonce) pair it has seen. */
export const TERMINAL_REQUEST_NONCE_LENGTH = 16;

/** What a terminal request signature covers besides the domain. */
export interface TerminalRequestParts {
  method: string;
  /** Path with query string, exactly as sent. */
  path: string;
  timestampMs: number;
  /** TERMINAL_REQUEST_NONCE_LENGTH random bytes (X-Huduma-Nonce, hex). */
  nonce: Uint8Array;
  /** The Content-Length the request declares (0 without a body). */
  contentLength: number;
  /** SHA-256 of the body bytes (X-Huduma-Content-SHA256, hex); of nothing without a body. */
  bodySha256: Uint8Array;
}

/**
 * The bytes a terminal request signature covers (SHA-256 is applied by the signature):
 * `domain 0x00 | u8 len | METHOD | u16 len | path?query | u64 timestampMs | nonce(16) |
 * u64 contentLength | SHA-256(body)(32)`. The body enters only through its declared length and
 * hash, so the service can check the signature from the headers, before reading any body byte.
 */
export function terminalRequestMessage(parts: TerminalRequestParts): Uint8Array {
  const m = Buffer.from(parts.method.toUpperCase(), 'ascii');
  const p = Buffer.from(parts.path, 'utf8');
  if (m.length > 0xff) throw new RangeError(`HTTP method ${parts.method} is longer than 255 bytes`);
  if (p.length > 0xffff) throw new RangeError(`request path is longer than 65535 bytes (${p.length})`);
  if (!Number.isSafeInteger(parts.timestampMs) || parts.timestampMs < 0)
    throw new RangeError(`timestamp ${parts.timestampMs} must be non-negative integer milliseconds`);
  if (parts.nonce.length !== TERMINAL_REQUEST_NONCE_LENGTH)
    throw new RangeError(`nonce must be ${TERMINAL_REQUEST_NONCE_LENGTH} bytes`);
  if (!Number.isSafeInteger(parts.contentLength) || parts.contentLength < 0)
    throw new RangeError(`content length ${parts.contentLength} must be a non-negative integer`);
  if (parts.bodySha256.length !== 32) throw new RangeError('body SHA-256 must be 32 bytes');
  const domain = Buffer.from(TERMINAL_REQUEST_DOMAIN, 'ascii');
  const out = Buffer.alloc(domain.length + 1 + 1 + m.length + 2 + p.length + 8 + 16 + 8 + 32);
  let at = domain.copy(out, 0);
  at = out.writeUInt8(0, at);
  at = out.writeUInt8(m.length, at);
  at += m.copy(out, at);
  at = out.writeUInt16BE(p.length, at);
  at += p.copy(out, at);
  at = out.writeBigUInt64BE(BigInt(parts.timestampMs), at);
  at += Buffer.from(parts.nonce).copy(out, at);
  at = out.writeBigUInt64BE(BigInt(parts.contentLength), at);
  Buffer.from(parts.bodySha256).copy(out, at);
  return new Uint8Array(out);
}

export interface TerminalRequestSigningInput {
  method: string;
  /** Path with query string, exactly as sent (e.g. `/v1/terminals/T-0001/state`). */
  path: string;
  /** Sent as is, with `Content-Length: body.length`. */
  body?: Uint8Array | string;
  /** The 165-byte terminal certificate. */
  certificate: Uint8Array;
  /** Raw 32-byte P-256 private key of the terminal. */
  privateKey: Uint8Array;
  /** 65-byte uncompressed public key matching `privateKey`. */
  publicKey: Uint8Array;
  timestampMs?: number;
  /** Default: 16 fresh random bytes. Never reuse one: the service refuses a replayed nonce. */
  nonce?: Uint8Array;
}

/**
 * The X-Huduma-* headers (lower-case names) for one request, signed with the terminal key:
 * certificate, timestamp, nonce, content SHA-256 and signature. The request must be sent with
 * `Content-Length` equal to the body length (fetch and inject do so for a byte or string body).
 */
export function signTerminalRequest(args: TerminalRequestSigningInput): Record<string, string> {
  if (args.privateKey.length !== 32) throw new RangeError('terminal private key must be 32 bytes');
  if (args.publicKey.length !== 65 || args.publicKey[0] !== 0x04)
    throw new RangeError('terminal public key must be a 65-byte uncompressed P-256 point');
  const timestampMs = args.timestampMs ?? Date.now();
  const nonce = args.nonce ?? new Uint8Array(randomBytes(TERMINAL_REQUEST_NONCE_LENGTH));
  const body =
    typeof args.body === 'string' ? Buffer.from(args.body, 'utf8') : (args.body ?? new Uint8Array());
  const bodySha256 = new Uint8Array(createHash('sha256').update(body).digest());
  const key = p256PrivateKeyObject(args.privateKey, args.publicKey);
  const message = terminalRequestMessage({
    method: args.method,
    path: args.path,
    timestampMs,
    nonce,
    contentLength: body.length,
    bodySha256,
  });
  const signature = nodeSign('sha256', message, { key, dsaEncoding: 'ieee-p1363' });
  return {
    'x-huduma-certificate': Buffer.from(args.certificate).toString('base64'),
    'x-huduma-timestamp': String(timestampMs),
    'x-huduma-nonce': Buffer.from(nonce).toString('hex'),
    'x-huduma-content-sha256': Buffer.from(bodySha256).toString('hex'),
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
 * What the service key signs for `GET /v1/terminals/:terminalId/deny-list?since=V`:
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
