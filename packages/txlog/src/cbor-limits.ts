/**
 * A bounded pre-scan of CBOR bytes, run before a general decoder (cbor-x) materialises anything.
 *
 * cbor-x decodes whatever it is given: 64 MiB of empty byte strings (0x40) becomes 67 million
 * Uint8Array objects and the heap fills before any schema check can look at the count. This scan
 * walks the encoding iteratively with a fixed-size stack and allocates nothing per item, so a
 * hostile body costs one pass over its bytes and is refused at the first item past a limit.
 *
 * What it refuses (each reported with the byte offset of the offending item):
 * - indefinite lengths (and the break byte): a batch never needs them and they defeat counting;
 * - lengths that run past the end of the buffer (truncation), reserved additional-info values;
 * - nesting deeper than `maxDepth` containers, more than `maxItems` data items in all;
 * - byte or text strings longer than `maxStringBytes`;
 * - tags (a batch is plain CBOR: a tag could ask the decoder to build a typed array, a Date, …);
 * - anything after the first complete item (trailing bytes).
 */
import {
  HASH_LENGTH,
  INTENT_OPS,
  MAX_BYTES_FIELD,
  MAX_TEXT_BYTES,
  PENDING_OUTCOMES,
  RECORD_FIELDS,
} from './records';

export interface CborLimits {
  /** Most nested arrays/maps open at once (a top-level map holding arrays of byte strings: 2). */
  maxDepth: number;
  /** Most data items in all, containers and map keys included. */
  maxItems: number;
  /** Longest byte or text string. */
  maxStringBytes: number;
}

/** Deepest nesting the scan supports; its stack is allocated once for the module. */
export const CBOR_SCAN_MAX_DEPTH = 32;
const remaining = new Float64Array(CBOR_SCAN_MAX_DEPTH + 1);

/**
 * Returns undefined when `bytes` is exactly one well-formed CBOR item within `limits`, else a
 * message naming the offset of the first problem. Never throws for any input.
 */
export function scanCbor(bytes: Uint8Array, limits: CborLimits): string | undefined {
  const maxDepth = Math.min(limits.maxDepth, CBOR_SCAN_MAX_DEPTH);
  const length = bytes.length;
  let pos = 0;
  let depth = 0;
  let items = 0;
  remaining[0] = 1;
  for (;;) {
    while (depth > 0 && remaining[depth] === 0) depth--;
    if (remaining[depth] === 0) break;
    remaining[depth]!--;
    const start = pos;
    if (pos >= length) return `CBOR ends early at offset ${start}: an item is missing`;
    if (++items > limits.maxItems) return `more than ${limits.maxItems} CBOR items (offset ${start})`;
    const initial = bytes[pos++]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    let arg: number;
    if (info < 24) {
      arg = info;
    } else if (info <= 27) {
      const size = 1 << (info - 24);
      if (length - pos < size) return `CBOR ends early at offset ${start}: truncated item head`;
      arg = 0;
      // Past 2^53 the value loses precision, but every such length is past the end anyway.
      for (let i = 0; i < size; i++) arg = arg * 256 + bytes[pos + i]!;
      pos += size;
    } else if (info === 31) {
      return `indefinite-length CBOR item at offset ${start} is not accepted`;
    } else {
      return `reserved CBOR additional information ${info} at offset ${start}`;
    }
    switch (major) {
      case 0:
      case 1:
      case 7:
        break; // integers, simple values and floats: the head is the whole item
      case 2:
      case 3:
        if (arg > limits.maxStringBytes)
          return `CBOR string of ${arg} bytes at offset ${start} exceeds ${limits.maxStringBytes}`;
        if (arg > length - pos) return `CBOR string at offset ${start} runs past the end of the body`;
        pos += arg;
        break;
      case 4:
      case 5: {
        if (depth + 1 > maxDepth) return `CBOR nested deeper than ${maxDepth} at offset ${start}`;
        const count = major === 5 ? arg * 2 : arg;
        // Every item takes at least one byte: a count past the bytes left is a truncated body.
        if (count > length - pos) return `CBOR container at offset ${start} runs past the end of the body`;
        if (items + count > limits.maxItems)
          return `more than ${limits.maxItems} CBOR items (container at offset ${start})`;
        remaining[++depth] = count;
        break;
      }
      default:
        return `CBOR tag at offset ${start} is not accepted`;
    }
  }
  if (pos !== length) return `${length - pos} trailing bytes after the CBOR item at offset ${pos}`;
  return undefined;
}

/** Length of a CBOR head carrying `n`. */
function headLength(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n <= 0xffff_ffff ? 5 : 9;
}

const MAX_UINT_LENGTH = 9;
const textLength = (bytes: number) => headLength(bytes) + bytes;

/** Largest encoding of one field of each kind that `validateBody` lets through. */
const FIELD_MAX: Record<(typeof RECORD_FIELDS)[keyof typeof RECORD_FIELDS][number][1], number> = {
  uint: MAX_UINT_LENGTH,
  cardNumber: textLength(16),
  text: textLength(MAX_TEXT_BYTES),
  bytes: textLength(MAX_BYTES_FIELD),
  hash: textLength(HASH_LENGTH),
  outcome: Math.max(...PENDING_OUTCOMES.map((o) => textLength(o.length))),
  terminalId: textLength(8),
  intentOp: Math.max(...INTENT_OPS.map((o) => textLength(o.length))),
};

/**
 * The longest record payload a terminal can legally write, from txlog's record layout: the array
 * head, version, seq, prevHash, type, time and every field of the type at its maximum size.
 * (2,676 bytes today: a recovered-sale with 256-byte texts and 1 KiB proof and certificate.)
 */
export const MAX_RECORD_LENGTH: number = Math.max(
  ...Object.entries(RECORD_FIELDS).map(
    ([type, fields]) =>
      headLength(5 + fields.length) +
      1 + // format version
      MAX_UINT_LENGTH + // seq
      textLength(HASH_LENGTH) + // prevHash
      textLength(type.length) +
      MAX_UINT_LENGTH + // time
      fields.reduce((sum, [, kind]) => sum + FIELD_MAX[kind], 0),
  ),
);

export { headLength as cborHeadLength };
