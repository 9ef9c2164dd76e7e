import { ApduEncodeError, TlvDecodeError } from './errors';

/**
 * One BER-TLV data object. `tag` is the big-endian integer of the tag bytes (e.g. `0x9F02`,
 * `0x7F21`, `0x6F`); `constructed` mirrors bit b6 of the first tag byte. For constructed objects
 * `value` holds the raw contents and `children` the parsed objects inside it.
 */
export interface Tlv {
  tag: number;
  constructed: boolean;
  value: Uint8Array;
  children?: Tlv[];
}

/** Options for {@link parseTlv}. */
export interface ParseTlvOptions {
  /** How many levels of constructed objects to descend into before failing (default 32). */
  maxDepth?: number;
}

const MAX_TAG_BYTES = 4;
const MAX_LENGTH_BYTES = 4;
const DEFAULT_MAX_DEPTH = 32;

function isPadding(byte: number): boolean {
  return byte === 0x00 || byte === 0xff;
}

function hex2(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}

function parseLevel(bytes: Uint8Array, start: number, end: number, depth: number, maxDepth: number): Tlv[] {
  const out: Tlv[] = [];
  let at = start;
  while (at < end) {
    const first = bytes[at]!;
    if (isPadding(first)) {
      at++;
      continue;
    }
    const tagStart = at;
    let tag = first;
    at++;
    if ((first & 0x1f) === 0x1f) {
      // Multi-byte tag: subsequent bytes follow while b8 is set.
      for (;;) {
        if (at >= end) {
          throw new TlvDecodeError(
            'ERR_TLV_TRUNCATED',
            `tag starting at offset ${tagStart} is cut off at offset ${at} (end of data)`,
            at,
          );
        }
        const b = bytes[at]!;
        at++;
        if (at - tagStart > MAX_TAG_BYTES) {
          throw new TlvDecodeError(
            'ERR_TLV_TAG_TOO_LONG',
            `tag starting at offset ${tagStart} is longer than ${MAX_TAG_BYTES} bytes`,
            tagStart,
          );
        }
        // Multiplication, not shifts: a 4-byte tag would overflow signed 32-bit bit arithmetic.
        tag = tag * 256 + b;
        if ((b & 0x80) === 0) break;
      }
    }
    const constructed = (first & 0x20) !== 0;

    if (at >= end) {
      throw new TlvDecodeError(
        'ERR_TLV_TRUNCATED',
        `tag ${tag.toString(16).toUpperCase()} at offset ${tagStart} has no length byte (end of data at offset ${at})`,
        at,
      );
    }
    const lengthOffset = at;
    const l0 = bytes[at]!;
    at++;
    let length: number;
    if (l0 < 0x80) {
      length = l0;
    } else if (l0 === 0x80) {
      throw new TlvDecodeError(
        'ERR_TLV_INDEFINITE_LENGTH',
        `indefinite length (80) at offset ${lengthOffset} is not allowed in ISO 7816 BER-TLV`,
        lengthOffset,
      );
    } else {
      const count = l0 & 0x7f;
      if (count > MAX_LENGTH_BYTES) {
        throw new TlvDecodeError(
          'ERR_TLV_BAD_LENGTH',
          `length byte ${hex2(l0)} at offset ${lengthOffset} announces ${count} length bytes; at most ${MAX_LENGTH_BYTES} are supported`,
          lengthOffset,
        );
      }
      if (at + count > end) {
        throw new TlvDecodeError(
          'ERR_TLV_TRUNCATED',
          `length at offset ${lengthOffset} needs ${count} more bytes but only ${end - at} remain`,
          at,
        );
      }
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + bytes[at + i]!;
      at += count;
    }
    if (length > end - at) {
      throw new TlvDecodeError(
        'ERR_TLV_TRUNCATED',
        `tag ${tag.toString(16).toUpperCase()} at offset ${tagStart} has length ${length} but only ${end - at} bytes remain after offset ${at}`,
        at,
      );
    }
    const valueStart = at;
    const valueEnd = at + length;
    const tlv: Tlv = { tag, constructed, value: bytes.slice(valueStart, valueEnd) };
    if (constructed) {
      if (depth >= maxDepth) {
        throw new TlvDecodeError(
          'ERR_TLV_TOO_DEEP',
          `constructed tag ${tag.toString(16).toUpperCase()} at offset ${tagStart} is nested deeper than ${maxDepth} levels`,
          tagStart,
        );
      }
      tlv.children = parseLevel(bytes, valueStart, valueEnd, depth + 1, maxDepth);
    }
    out.push(tlv);
    at = valueEnd;
  }
  return out;
}

/**
 * Parses a buffer of BER-TLV objects (ISO 7816-4 / X.690 subset). Constructed objects (tag bit b6
 * set) are parsed recursively into `children`; the whole buffer must be consumed; `00`/`FF`
 * padding between objects is skipped at every level.
 *
 * Supports tags up to 4 bytes and definite lengths in short form or 81/82/83/84 long form. Throws
 * {@link TlvDecodeError} with `code` and `offset` on anything else, including nesting deeper than
 * `opts.maxDepth` (default 32) so hostile input cannot exhaust the stack.
 */
export function parseTlv(bytes: Uint8Array, opts?: ParseTlvOptions): Tlv[] {
  const maxDepth = opts?.maxDepth ?? DEFAULT_MAX_DEPTH;
  return parseLevel(bytes, 0, bytes.length, 0, maxDepth);
}

/** Returns the bytes of `tag` after checking they form one valid BER tag. */
function tagBytes(tag: number): number[] {
  if (!Number.isInteger(tag) || tag <= 0 || tag > 0xffffffff) {
    throw new ApduEncodeError(
      'ERR_TLV_BAD_TAG',
      `tag must be a positive integer of at most 4 bytes, got ${tag}`,
    );
  }
  const out: number[] = [];
  let rest = tag;
  while (rest > 0) {
    out.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  }
  const first = out[0]!;
  const multiByte = (first & 0x1f) === 0x1f;
  const wellFormed =
    !isPadding(first) &&
    (multiByte
      ? out.length > 1 &&
        out.slice(1, -1).every((b) => (b & 0x80) !== 0) &&
        (out[out.length - 1]! & 0x80) === 0
      : out.length === 1);
  if (!wellFormed) {
    throw new ApduEncodeError(
      'ERR_TLV_BAD_TAG',
      `tag ${tag.toString(16).toUpperCase()} is not a valid BER tag (a first byte with low bits 1F must be followed by bytes with b8 set, ending with one with b8 clear; other first bytes stand alone; 00 and FF are padding)`,
    );
  }
  return out;
}

function lengthBytes(length: number): number[] {
  if (length < 0x80) return [length];
  if (length > 0xffffffff) {
    throw new ApduEncodeError(
      'ERR_TLV_VALUE_TOO_LONG',
      `TLV value of ${length} bytes exceeds 4 length bytes`,
    );
  }
  const out: number[] = [];
  let rest = length;
  while (rest > 0) {
    out.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  }
  return [0x80 | out.length, ...out];
}

function encodeOne(tlv: Tlv, parts: Uint8Array[], depth: number): number {
  if (depth > 1000) {
    throw new ApduEncodeError('ERR_TLV_BAD_TAG', 'TLV tree nested deeper than 1000 levels (cycle?)');
  }
  const tag = tagBytes(tlv.tag);
  let value: Uint8Array;
  if (tlv.children) {
    if ((tag[0]! & 0x20) === 0) {
      throw new ApduEncodeError(
        'ERR_TLV_BAD_TAG',
        `tag ${tlv.tag.toString(16).toUpperCase()} is primitive (b6 of its first byte clear) but has children`,
      );
    }
    const childParts: Uint8Array[] = [];
    let size = 0;
    for (const child of tlv.children) size += encodeOne(child, childParts, depth + 1);
    value = concat(childParts, size);
  } else {
    value = tlv.value;
  }
  const header = Uint8Array.from([...tag, ...lengthBytes(value.length)]);
  parts.push(header, value);
  return header.length + value.length;
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Encodes one TLV object or a sequence of them. A constructed object's `children` are encoded if
 * present (its `value` is then ignored); otherwise `value` is written as is. Lengths use the
 * shortest form. Throws {@link ApduEncodeError} (`ERR_TLV_BAD_TAG`) for a tag that is not a valid
 * BER tag or a primitive tag with children.
 */
export function encodeTlv(tlv: Tlv | Tlv[]): Uint8Array {
  const list = Array.isArray(tlv) ? tlv : [tlv];
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const item of list) size += encodeOne(item, parts, 0);
  return concat(parts, size);
}

/** Finds the first object with `tag`, searching depth-first (an object before its children, children before later siblings). */
export function findTlv(tlvs: Tlv[], tag: number): Tlv | undefined {
  for (const tlv of tlvs) {
    if (tlv.tag === tag) return tlv;
    if (tlv.children) {
      const found = findTlv(tlv.children, tag);
      if (found) return found;
    }
  }
  return undefined;
}
