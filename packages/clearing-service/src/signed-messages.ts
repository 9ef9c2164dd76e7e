/**
 * Canonical byte encodings of everything the clearing service signs. Each starts with an ASCII
 * domain tag and a 0x00 byte, so a signature over one kind of message can never be replayed as
 * another. Integers are unsigned big-endian. Signatures: ECDSA P-256 over SHA-256 of these bytes,
 * raw r||s (64 bytes), verifiable with the service public key (see signer.ts).
 *
 * Deny-list response (GET /v1/terminals/:terminalId/deny-list):
 *   "HUDUMA-CLEARING/DENY-LIST/v1" 0x00
 *   u64 since_version | u64 version | u64 issued_at_ms | u32 entry_count
 *   entry_count × ( u64 version | 8-byte card number as packed BCD, 16 digits | u8 action )
 *   action: 0x01 = add (deny), 0x02 = remove
 *
 * Tree head (Merkle checkpoint):
 *   "HUDUMA-CLEARING/TREE-HEAD/v1" 0x00
 *   u64 tree_size | 32-byte RFC 6962 root hash | u64 timestamp_ms
 */

import { denyListMessage } from '@huduma/txlog';
import { InputError } from './errors';
import type { DenyListEntry } from './store';

export { DENY_LIST_DOMAIN } from '@huduma/txlog';
export const TREE_HEAD_DOMAIN = 'HUDUMA-CLEARING/TREE-HEAD/v1';

/**
 * Appends big-endian fields to one growing buffer. A batch receipt has two u64 per record (about
 * 2,000 fields per upload): a buffer and a BigInt per field was ~2 % of ingest CPU.
 */
class ByteWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private length = 0;
  private room(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, at + n));
      grown.set(this.buf.subarray(0, at));
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length = at + n;
    return at;
  }
  // Each writer takes its room first: room() may replace buf and view, so they are read after it.
  bytes(b: Uint8Array): this {
    const at = this.room(b.length);
    this.buf.set(b, at);
    return this;
  }
  domain(tag: string): this {
    return this.bytes(new TextEncoder().encode(tag)).u8(0);
  }
  u8(v: number): this {
    const at = this.room(1);
    this.view.setUint8(at, v);
    return this;
  }
  u32(v: number): this {
    const at = this.room(4);
    this.view.setUint32(at, v);
    return this;
  }
  u64(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new InputError('ERR_ENCODE_U64', `${v} is not a u64 value`);
    const at = this.room(8);
    this.view.setUint32(at, Math.floor(v / 0x1_0000_0000));
    this.view.setUint32(at + 4, v >>> 0);
    return this;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export function packCardNumberBcd(cardNumber: string): Uint8Array {
  if (!/^[0-9]{16}$/.test(cardNumber)) {
    throw new InputError(
      'ERR_CARD_NUMBER',
      `card number must be 16 digits, got ${JSON.stringify(cardNumber)}`,
    );
  }
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) {
    out[i] = (Number(cardNumber[2 * i]) << 4) | Number(cardNumber[2 * i + 1]);
  }
  return out;
}

export interface DenyListDelta {
  sinceVersion: number;
  version: number;
  issuedAtMs: number;
  entries: readonly DenyListEntry[];
}

/** The deny-list bytes are part of the terminal protocol, so their one encoder lives in txlog. */
export function encodeDenyListDelta(delta: DenyListDelta): Uint8Array {
  // A bad card number is the caller's input error here, typed as such, before any encoding.
  for (const e of delta.entries) packCardNumberBcd(e.cardNumber);
  return denyListMessage(delta);
}

export interface SignedTreeHeadBody {
  treeSize: number;
  rootHash: Uint8Array;
  timestampMs: number;
}

export function encodeTreeHead(head: SignedTreeHeadBody): Uint8Array {
  if (head.rootHash.length !== 32)
    throw new InputError('ERR_ENCODE_ROOT', 'tree head root hash must be 32 bytes');
  return new ByteWriter()
    .domain(TREE_HEAD_DOMAIN)
    .u64(head.treeSize)
    .bytes(head.rootHash)
    .u64(head.timestampMs)
    .finish();
}

// ---------------------------------------------------------------------------------------------
// Batch receipt

/**
 * Receipt for an accepted upload batch:
 *   "HUDUMA-CLEARING/BATCH-RECEIPT/v1" 0x00
 *   u8 len | terminalId (ASCII)
 *   u64 heldUpToSeq | 32-byte headHash    the service holds the terminal's log 0..heldUpToSeq,
 *                                         whose last record hashes to headHash
 *   u64 batchFirstSeq | u64 batchLastSeq | u32 newCount | u32 duplicateCount
 *   u8 typeCount × ( u8 len | type (ASCII) | u32 count | u64 amountCents )   new records, by txlog type, sorted
 *   u64 treeSize | 32-byte rootHash | u64 treeTimestampMs                    Merkle tree head after the batch
 *   u64 receivedAtMs
 *   u32 leafCount × ( u64 seq | u64 leafIndex )                             every record of the batch
 */
export const BATCH_RECEIPT_DOMAIN = 'HUDUMA-CLEARING/BATCH-RECEIPT/v1';

export interface BatchReceipt {
  terminalId: string;
  heldUpToSeq: number;
  headHash: Uint8Array;
  batchFirstSeq: number;
  batchLastSeq: number;
  newCount: number;
  duplicateCount: number;
  totals: Array<{ type: string; count: number; amountCents: number }>;
  treeSize: number;
  rootHash: Uint8Array;
  treeTimestampMs: number;
  receivedAtMs: number;
  leaves: Array<{ seq: number; leafIndex: number }>;
}

function shortAscii(w: ByteWriter, text: string): void {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > 255)
    throw new InputError('ERR_ENCODE_TEXT', `${text.slice(0, 20)}… is longer than 255 bytes`);
  w.u8(bytes.length).bytes(bytes);
}

export function encodeBatchReceipt(r: BatchReceipt): Uint8Array {
  const w = new ByteWriter().domain(BATCH_RECEIPT_DOMAIN);
  shortAscii(w, r.terminalId);
  w.u64(r.heldUpToSeq).bytes(r.headHash);
  w.u64(r.batchFirstSeq).u64(r.batchLastSeq).u32(r.newCount).u32(r.duplicateCount);
  const totals = [...r.totals].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  w.u8(totals.length);
  for (const t of totals) {
    shortAscii(w, t.type);
    w.u32(t.count).u64(t.amountCents);
  }
  w.u64(r.treeSize).bytes(r.rootHash).u64(r.treeTimestampMs).u64(r.receivedAtMs);
  w.u32(r.leaves.length);
  for (const l of r.leaves) w.u64(l.seq).u64(l.leafIndex);
  return w.finish();
}

/** Parses receipt bytes (as signed); throws InputError on anything malformed. */
export function decodeBatchReceipt(bytes: Uint8Array): BatchReceipt {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let at = 0;
  const need = (n: number) => {
    if (at + n > bytes.length) throw new InputError('ERR_RECEIPT_FORMAT', `receipt truncated at byte ${at}`);
  };
  const u8 = () => {
    need(1);
    return bytes[at++]!;
  };
  const u32 = () => {
    need(4);
    at += 4;
    return dv.getUint32(at - 4);
  };
  const u64 = () => {
    need(8);
    at += 8;
    const v = dv.getBigUint64(at - 8);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError('ERR_RECEIPT_FORMAT', 'u64 out of range');
    return Number(v);
  };
  const take = (n: number) => {
    need(n);
    at += n;
    return bytes.slice(at - n, at);
  };
  const text = () => new TextDecoder().decode(take(u8()));
  const domain = new TextDecoder().decode(take(BATCH_RECEIPT_DOMAIN.length));
  if (domain !== BATCH_RECEIPT_DOMAIN || u8() !== 0) {
    throw new InputError('ERR_RECEIPT_FORMAT', 'not a batch receipt (domain tag)');
  }
  const terminalId = text();
  const heldUpToSeq = u64();
  const headHash = take(32);
  const batchFirstSeq = u64();
  const batchLastSeq = u64();
  const newCount = u32();
  const duplicateCount = u32();
  const totals = Array.from({ length: u8() }, () => ({ type: text(), count: u32(), amountCents: u64() }));
  const treeSize = u64();
  const rootHash = take(32);
  const treeTimestampMs = u64();
  const receivedAtMs = u64();
  const leaves = Array.from({ length: u32() }, () => ({ seq: u64(), leafIndex: u64() }));
  if (at !== bytes.length) throw new InputError('ERR_RECEIPT_FORMAT', `${bytes.length - at} trailing bytes`);
  return {
    terminalId,
    heldUpToSeq,
    headHash,
    batchFirstSeq,
    batchLastSeq,
    newCount,
    duplicateCount,
    totals,
    treeSize,
    rootHash,
    treeTimestampMs,
    receivedAtMs,
    leaves,
  };
}
