import { createHash, hash as oneShotHash } from 'node:crypto';
import { Encoder } from 'cbor-x';
import { TxLogEventError, TxLogRecordError } from './errors';

/** Record payload format version: the first element of every record array. */
export const RECORD_FORMAT_VERSION = 1;
export const HASH_LENGTH = 32;
/** prevHash of record 0. */
export const GENESIS_HASH: Uint8Array = new Uint8Array(HASH_LENGTH);

export type PendingOutcome = 'completed' | 'not-charged' | 'unknown';
export type IntentOp = 'debit' | 'undebit' | 'reload';
export const INTENT_OPS: readonly IntentOp[] = ['debit', 'undebit', 'reload'];
export const PENDING_OUTCOMES: readonly PendingOutcome[] = ['completed', 'not-charged', 'unknown'];

/** Time is integer milliseconds since the Unix epoch (UTC) in every record. */
export interface SaleEvent {
  type: 'sale';
  time: number;
  terminalSeq: number;
  /** 16 decimal digits. */
  cardNumber: string;
  amountCents: number;
  billRef: string;
  serviceCode: string;
  /** The card's debit proof exactly as the card returned it (opaque here). */
  cardProof: Uint8Array;
  /** The card's 230-byte v2 certificate (PK.card verifies the proof), so anyone holding the log can verify the proof. */
  cardCertificate: Uint8Array;
}

/** A sale whose card proof was obtained by tear recovery rather than from the debit response. */
export interface RecoveredSaleEvent extends Omit<SaleEvent, 'type'> {
  type: 'recovered-sale';
}

/** Undebit: money returned to the card for an earlier sale. */
export interface CancelEvent {
  type: 'cancel';
  time: number;
  terminalSeq: number;
  /** terminalSeq of the sale being cancelled. */
  originalTerminalSeq: number;
  cardNumber: string;
  amountCents: number;
  billRef: string;
  cardProof: Uint8Array;
  cardCertificate: Uint8Array;
}

export interface ReloadEvent {
  type: 'reload';
  time: number;
  terminalSeq: number;
  cardNumber: string;
  amountCents: number;
  reference: string;
  cardProof: Uint8Array;
  cardCertificate: Uint8Array;
}

export interface CardBlockedEvent {
  type: 'card-blocked';
  time: number;
  cardNumber: string;
  reason: string;
}

export interface ShiftOpenEvent {
  type: 'shift-open';
  time: number;
  shiftId: string;
  operatorId: string;
}

export interface ShiftCloseEvent {
  type: 'shift-close';
  time: number;
  shiftId: string;
  saleCount: number;
  saleTotalCents: number;
}

/** Journalled BEFORE the debit command is sent to the card. */
export interface PendingDebitEvent {
  type: 'pending-debit';
  time: number;
  terminalSeq: number;
  cardNumber: string;
  amountCents: number;
  billRef: string;
}

/**
 * A value command the terminal is about to send to a card, made durable BEFORE it is sent: the
 * card counter the command is bound to (SPEC.md §10.4 compare-and-swap) lets recovery ask the card
 * what became of it. Closed by the sale / recovered-sale / cancel / reload record with the same
 * terminalSeq, or by a pending-resolved record (not-charged).
 */
export interface IntentEvent {
  type: 'intent';
  time: number;
  op: IntentOp;
  terminalSeq: number;
  cardNumber: string;
  /** The card counter the command is bound to (for an undebit: the sale's counter). */
  expectedCounter: number;
  amountCents: number;
  /** Bill reference (sale, cancel) or reload reference. */
  billRef: string;
  serviceCode: number;
  /** terminalSeq of the sale an undebit cancels; 0 for a debit or a reload. */
  originalTerminalSeq: number;
}

export interface PendingResolvedEvent {
  type: 'pending-resolved';
  time: number;
  terminalSeq: number;
  outcome: PendingOutcome;
}

/**
 * Written only by TransactionLog.checkpoint(). The signature covers
 * checkpointMessage(terminalId, coveredSeq, headHash); see signer.ts.
 */
export interface CheckpointBody {
  type: 'checkpoint';
  time: number;
  terminalId: string;
  /** seq of the last record covered (this checkpoint's own seq - 1). */
  coveredSeq: number;
  /** Hash of the record at coveredSeq (equals this record's prevHash). */
  headHash: Uint8Array;
  /** Number of records covered (coveredSeq + 1). */
  count: number;
  /** Raw r||s P-256 signature, 64 bytes. */
  signature: Uint8Array;
}

/** What callers append. Checkpoints are made by checkpoint(), not append(). */
export type LogEvent =
  | SaleEvent
  | RecoveredSaleEvent
  | CancelEvent
  | ReloadEvent
  | CardBlockedEvent
  | ShiftOpenEvent
  | ShiftCloseEvent
  | PendingDebitEvent
  | IntentEvent
  | PendingResolvedEvent;

export type RecordBody = LogEvent | CheckpointBody;
export type RecordType = RecordBody['type'];

/** A decoded record: the event plus its chain position. */
export type LogRecord = RecordBody & {
  seq: number;
  /** SHA-256 of the previous record's payload bytes (GENESIS_HASH for seq 0). */
  prevHash: Uint8Array;
};

/** Records that carry a card proof, i.e. what verifyCardProof is called with. */
export type CardProofRecord = Extract<LogRecord, { cardProof: Uint8Array }>;

type FieldKind = 'uint' | 'cardNumber' | 'text' | 'bytes' | 'hash' | 'outcome' | 'terminalId' | 'intentOp';
type Field = readonly [name: string, kind: FieldKind];

/**
 * Field order is part of the format: a record is a CBOR array
 * [version, seq, prevHash, type, time, ...fields in this order].
 * Arrays (not maps) so that key order can never vary between encoders.
 */
export const RECORD_FIELDS: { readonly [T in RecordType]: readonly Field[] } = {
  sale: [
    ['terminalSeq', 'uint'],
    ['cardNumber', 'cardNumber'],
    ['amountCents', 'uint'],
    ['billRef', 'text'],
    ['serviceCode', 'text'],
    ['cardProof', 'bytes'],
    ['cardCertificate', 'bytes'],
  ],
  'recovered-sale': [
    ['terminalSeq', 'uint'],
    ['cardNumber', 'cardNumber'],
    ['amountCents', 'uint'],
    ['billRef', 'text'],
    ['serviceCode', 'text'],
    ['cardProof', 'bytes'],
    ['cardCertificate', 'bytes'],
  ],
  cancel: [
    ['terminalSeq', 'uint'],
    ['originalTerminalSeq', 'uint'],
    ['cardNumber', 'cardNumber'],
    ['amountCents', 'uint'],
    ['billRef', 'text'],
    ['cardProof', 'bytes'],
    ['cardCertificate', 'bytes'],
  ],
  reload: [
    ['terminalSeq', 'uint'],
    ['cardNumber', 'cardNumber'],
    ['amountCents', 'uint'],
    ['reference', 'text'],
    ['cardProof', 'bytes'],
    ['cardCertificate', 'bytes'],
  ],
  'card-blocked': [
    ['cardNumber', 'cardNumber'],
    ['reason', 'text'],
  ],
  'shift-open': [
    ['shiftId', 'text'],
    ['operatorId', 'text'],
  ],
  'shift-close': [
    ['shiftId', 'text'],
    ['saleCount', 'uint'],
    ['saleTotalCents', 'uint'],
  ],
  'pending-debit': [
    ['terminalSeq', 'uint'],
    ['cardNumber', 'cardNumber'],
    ['amountCents', 'uint'],
    ['billRef', 'text'],
  ],
  intent: [
    ['op', 'intentOp'],
    ['terminalSeq', 'uint'],
    ['cardNumber', 'cardNumber'],
    ['expectedCounter', 'uint'],
    ['amountCents', 'uint'],
    ['billRef', 'text'],
    ['serviceCode', 'uint'],
    ['originalTerminalSeq', 'uint'],
  ],
  'pending-resolved': [
    ['terminalSeq', 'uint'],
    ['outcome', 'outcome'],
  ],
  checkpoint: [
    ['terminalId', 'terminalId'],
    ['coveredSeq', 'uint'],
    ['headHash', 'hash'],
    ['count', 'uint'],
    ['signature', 'bytes'],
  ],
};

export const RECORD_TYPES = Object.keys(RECORD_FIELDS) as RecordType[];
const ENVELOPE_LENGTH = 5;
export const MAX_TEXT_BYTES = 256;
export const MAX_BYTES_FIELD = 1024;
const CARD_NUMBER = /^[0-9]{16}$/;
const TERMINAL_ID = /^[\x21-\x7e]{1,8}$/;

/**
 * Deterministic configuration: no record/structure extension, no string bundling, no typed-array
 * tags (a Uint8Array is a plain CBOR byte string). Integers above 2^32-1 are passed as BigInt
 * because cbor-x would otherwise write them as float64 (see encodeUint).
 */
const cbor = new Encoder({
  useRecords: false,
  structuredClone: false,
  bundleStrings: false,
  tagUint8Array: false,
  pack: false,
  mapsAsObjects: true,
});

function encodeUint(value: number): number | bigint {
  return value <= 0xffff_ffff ? value : BigInt(value);
}

export function isTerminalId(value: unknown): value is string {
  return typeof value === 'string' && TERMINAL_ID.test(value);
}

/** Validate an event field; returns an error message or undefined. */
function checkField(kind: FieldKind, value: unknown): string | undefined {
  switch (kind) {
    case 'uint':
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
        ? undefined
        : 'must be a non-negative safe integer';
    case 'cardNumber':
      return typeof value === 'string' && CARD_NUMBER.test(value) ? undefined : 'must be 16 decimal digits';
    case 'text':
      return typeof value === 'string' && Buffer.byteLength(value) <= MAX_TEXT_BYTES
        ? undefined
        : `must be a string of at most ${MAX_TEXT_BYTES} UTF-8 bytes`;
    case 'bytes':
      return value instanceof Uint8Array && value.length <= MAX_BYTES_FIELD
        ? undefined
        : `must be a Uint8Array of at most ${MAX_BYTES_FIELD} bytes`;
    case 'hash':
      return value instanceof Uint8Array && value.length === HASH_LENGTH ? undefined : 'must be 32 bytes';
    case 'outcome':
      return PENDING_OUTCOMES.includes(value as PendingOutcome)
        ? undefined
        : `must be one of ${PENDING_OUTCOMES.join(', ')}`;
    case 'terminalId':
      return isTerminalId(value) ? undefined : 'must be 1 to 8 printable ASCII characters without spaces';
    case 'intentOp':
      return INTENT_OPS.includes(value as IntentOp) ? undefined : `must be one of ${INTENT_OPS.join(', ')}`;
  }
}

/** Throws TxLogEventError if the body cannot be recorded as given. */
export function validateBody(body: RecordBody): void {
  const fields = RECORD_FIELDS[body?.type as RecordType];
  if (!fields) throw new TxLogEventError(`unknown record type ${JSON.stringify(body?.type)}`);
  const problem = checkField('uint', body.time);
  if (problem) throw new TxLogEventError(`${body.type}.time ${problem} (milliseconds since epoch)`);
  const values = body as unknown as Record<string, unknown>;
  for (const [name, kind] of fields) {
    const fieldProblem = checkField(kind, values[name]);
    if (fieldProblem) throw new TxLogEventError(`${body.type}.${name} ${fieldProblem}`);
  }
}

/** Encode one record payload. The body must have passed validateBody. */
export function encodeRecord(seq: number, prevHash: Uint8Array, body: RecordBody): Uint8Array {
  const values = body as unknown as Record<string, unknown>;
  const array: unknown[] = [
    RECORD_FORMAT_VERSION,
    encodeUint(seq),
    prevHash,
    body.type,
    encodeUint(body.time),
  ];
  for (const [name, kind] of RECORD_FIELDS[body.type]) {
    const value = values[name];
    array.push(kind === 'uint' ? encodeUint(value as number) : value);
  }
  // cbor-x may hand back a view of its reusable buffer: copy so the caller owns the bytes.
  return new Uint8Array(cbor.encode(array));
}

function decodeUint(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === 'bigint')
    return value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
  return undefined;
}

/**
 * Decode record payload bytes (as stored in the log, or as uploaded) into a typed record.
 * Decoding is only for reading fields: hashes and signatures are always computed over the
 * given bytes, never over a re-encoding.
 *
 * Byte fields (prevHash, certificates, proofs, signatures) are copies, so a record kept does not
 * keep the buffer it came from. `{ views: true }` makes them views into `bytes` instead: for a
 * caller that holds `bytes` anyway (the clearing service's upload path, where three copies per
 * record were three ArrayBuffers for the garbage collector).
 */
export function decodeRecord(bytes: Uint8Array, options?: { views?: boolean }): LogRecord {
  const views = options?.views === true;
  let raw: unknown;
  try {
    // cbor-x caches a DataView on the object it decodes: give it a throwaway view, not the caller's array.
    raw = cbor.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
  } catch (err) {
    throw new TxLogRecordError(`record is not valid CBOR: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw)) throw new TxLogRecordError('record is not a CBOR array');
  if (raw[0] !== RECORD_FORMAT_VERSION) {
    throw new TxLogRecordError(`unsupported record format version ${String(raw[0])}`);
  }
  const type = raw[3];
  const fields = typeof type === 'string' ? RECORD_FIELDS[type as RecordType] : undefined;
  if (!fields || !Object.hasOwn(RECORD_FIELDS, type as string)) {
    throw new TxLogRecordError(`unknown record type ${JSON.stringify(type)}`);
  }
  if (raw.length !== ENVELOPE_LENGTH + fields.length) {
    throw new TxLogRecordError(
      `${type} record has ${raw.length} elements, expected ${ENVELOPE_LENGTH + fields.length}`,
    );
  }
  const seq = decodeUint(raw[1]);
  if (seq === undefined) throw new TxLogRecordError(`${type} record has an invalid seq`);
  const prevHash = raw[2];
  if (!(prevHash instanceof Uint8Array) || prevHash.length !== HASH_LENGTH) {
    throw new TxLogRecordError(`${type} record ${seq} has an invalid prevHash`);
  }
  const time = decodeUint(raw[4]);
  if (time === undefined) throw new TxLogRecordError(`${type} record ${seq} has an invalid time`);
  const record: Record<string, unknown> = {
    type,
    seq,
    prevHash: views ? prevHash : new Uint8Array(prevHash),
    time,
  };
  for (let i = 0; i < fields.length; i++) {
    const [name, kind] = fields[i]!;
    let value = raw[ENVELOPE_LENGTH + i];
    if (kind === 'uint') value = decodeUint(value);
    else if (value instanceof Uint8Array && !views) value = new Uint8Array(value);
    const problem = checkField(kind, value);
    if (problem) throw new TxLogRecordError(`${type} record ${seq}: ${name} ${problem}`);
    record[name] = value;
  }
  return record as unknown as LogRecord;
}

/** SHA-256 of record payload bytes: what the next record's prevHash and checkpoints refer to. */
export const recordHash: (bytes: Uint8Array) => Uint8Array =
  typeof oneShotHash === 'function'
    ? (bytes) => plainView(oneShotHash('sha256', bytes, 'buffer'))
    : (bytes) => plainView(createHash('sha256').update(bytes).digest());

/** A plain Uint8Array over a Buffer's bytes, without copying them into a new ArrayBuffer. */
function plainView(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}
