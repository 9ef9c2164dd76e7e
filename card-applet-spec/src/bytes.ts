import { SpecCodecError } from './errors';

/** Concatenates byte arrays into one new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Constant-time-in-length comparison of two byte arrays. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** The two hex digits of every byte value: one table lookup per byte, no number formatting. */
const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/**
 * Lower-case hex of bytes. A table lookup per byte: an upload's JSON receipt hexes ~10 KB of
 * signed receipt, and formatting each byte (toString + padStart) was ~8 % of what the service
 * allocated per ingested record.
 */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX_PAIRS[bytes[i]!];
  return s;
}

/** Parses hex (whitespace ignored). Throws SpecCodecError on odd length or a non-hex digit. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0) throw new SpecCodecError('ERR_HEX', 'hex string has an odd number of digits');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) {
    const byte = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
    if (Number.isNaN(byte) || !/^[0-9a-fA-F]{2}$/.test(clean.slice(i * 2, i * 2 + 2))) {
      throw new SpecCodecError('ERR_HEX', `not a hex digit pair: "${clean.slice(i * 2, i * 2 + 2)}"`, i);
    }
    out[i] = byte;
  }
  return out;
}

/** Big-endian unsigned integer writer into a fixed-size field. */
export function u16(value: number): Uint8Array {
  checkUint(value, 0xffff, 'u16');
  return new Uint8Array([value >>> 8, value & 0xff]);
}

export function u32(value: number): Uint8Array {
  checkUint(value, 0xffffffff, 'u32');
  return new Uint8Array([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
}

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new SpecCodecError('ERR_RANGE', `${what} out of range: ${value}`);
  }
}

/** ASCII text in a fixed field, right-padded with `pad`. Rejects non-printable ASCII and overlong text. */
export function asciiField(text: string, size: number, pad: number, what: string): Uint8Array {
  if (text.length > size) throw new SpecCodecError('ERR_FIELD_TOO_LONG', `${what} longer than ${size} bytes`);
  const out = new Uint8Array(size).fill(pad);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e)
      throw new SpecCodecError('ERR_FIELD_CHARSET', `${what} has a non-printable character`);
    out[i] = c;
  }
  return out;
}

/** Reads a fixed ASCII field written by asciiField, dropping the padding. */
export function readAsciiField(bytes: Uint8Array, pad: number, what: string, offset = 0): string {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === pad) end--;
  let s = '';
  for (let i = 0; i < end; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c > 0x7e)
      throw new SpecCodecError('ERR_FIELD_CHARSET', `${what} has a non-printable byte`, offset + i);
    s += String.fromCharCode(c);
  }
  return s;
}

/**
 * A cursor over a fixed-layout structure. Every read checks bounds so a short input becomes a
 * SpecCodecError naming the structure and field, never a RangeError or `undefined`.
 */
export class ByteReader {
  private at = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly structure: string,
  ) {}

  get offset(): number {
    return this.at;
  }

  get remaining(): number {
    return this.bytes.length - this.at;
  }

  take(n: number, field: string): Uint8Array {
    if (this.at + n > this.bytes.length) {
      throw new SpecCodecError(
        'ERR_TRUNCATED',
        `${this.structure}: truncated in ${field} (need ${n} bytes, have ${this.remaining})`,
        this.at,
      );
    }
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  u8(field: string): number {
    return this.take(1, field)[0]!;
  }

  u16(field: string): number {
    const b = this.take(2, field);
    return (b[0]! << 8) | b[1]!;
  }

  u32(field: string): number {
    const b = this.take(4, field);
    return ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
  }

  /** Ensures the whole input was consumed: trailing bytes are an error, not silently ignored. */
  end(): void {
    if (this.at !== this.bytes.length) {
      throw new SpecCodecError(
        'ERR_TRAILING_BYTES',
        `${this.structure}: ${this.bytes.length - this.at} unexpected trailing bytes`,
        this.at,
      );
    }
  }
}
