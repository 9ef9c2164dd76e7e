/**
 * Canonical byte encodings of everything the clearing service signs. Each starts with an ASCII
 * domain tag and a 0x00 byte, so a signature over one kind of message can never be replayed as
 * another. Integers are unsigned big-endian. Signatures: ECDSA P-256 over SHA-256 of these bytes,
 * raw r||s (64 bytes), verifiable with the service public key (see signer.ts).
 *
 * Deny-list response (GET /v1/deny-list):
 *   "HUDUMA-CLEARING/DENY-LIST/v1" 0x00
 *   u64 since_version | u64 version | u64 issued_at_ms | u32 entry_count
 *   entry_count × ( u64 version | 8-byte card number as packed BCD, 16 digits | u8 action )
 *   action: 0x01 = add (deny), 0x02 = remove
 *
 * Tree head (Merkle checkpoint):
 *   "HUDUMA-CLEARING/TREE-HEAD/v1" 0x00
 *   u64 tree_size | 32-byte RFC 6962 root hash | u64 timestamp_ms
 */

import { InputError } from './errors';
import type { DenyListEntry } from './store';

export const DENY_LIST_DOMAIN = 'HUDUMA-CLEARING/DENY-LIST/v1';
export const TREE_HEAD_DOMAIN = 'HUDUMA-CLEARING/TREE-HEAD/v1';

class ByteWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;
  bytes(b: Uint8Array): this {
    this.chunks.push(b);
    this.length += b.length;
    return this;
  }
  domain(tag: string): this {
    return this.bytes(new TextEncoder().encode(tag)).u8(0);
  }
  u8(v: number): this {
    return this.bytes(Uint8Array.of(v));
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v);
    return this.bytes(b);
  }
  u64(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new InputError('ERR_ENCODE_U64', `${v} is not a u64 value`);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v));
    return this.bytes(b);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
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

const ACTION_BYTE = { add: 0x01, remove: 0x02 } as const;

export function encodeDenyListDelta(delta: DenyListDelta): Uint8Array {
  const w = new ByteWriter()
    .domain(DENY_LIST_DOMAIN)
    .u64(delta.sinceVersion)
    .u64(delta.version)
    .u64(delta.issuedAtMs)
    .u32(delta.entries.length);
  for (const e of delta.entries) {
    w.u64(e.version).bytes(packCardNumberBcd(e.cardNumber)).u8(ACTION_BYTE[e.action]);
  }
  return w.finish();
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
