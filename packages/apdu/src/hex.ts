import { HexDecodeError } from './errors';

const HEX_DIGITS = '0123456789ABCDEF';

/**
 * Formats bytes as upper-case hex without separators, e.g. `00A40400`.
 * Upper case because that is how APDUs are written in ISO 7816 and EMV documents and traces.
 */
export function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    out += HEX_DIGITS[byte >> 4]! + HEX_DIGITS[byte & 0x0f]!;
  }
  return out;
}

function nibble(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

/**
 * Parses hex into bytes. Case-insensitive; whitespace (spaces, tabs, newlines) is ignored anywhere, so
 * `fromHex('00 A4 04 00')` works. Throws {@link HexDecodeError} (`ERR_HEX_INVALID`) on any other
 * character or an odd number of digits.
 */
export function fromHex(s: string): Uint8Array {
  const out = new Uint8Array(s.length >> 1);
  let length = 0;
  let high = -1;
  let highIndex = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d) continue;
    const value = nibble(code);
    if (value < 0) {
      throw new HexDecodeError(`invalid hex character ${JSON.stringify(s[i])} at index ${i}`, i);
    }
    if (high < 0) {
      high = value;
      highIndex = i;
    } else {
      out[length++] = (high << 4) | value;
      high = -1;
    }
  }
  if (high >= 0) {
    throw new HexDecodeError(`odd number of hex digits: digit at index ${highIndex} has no pair`, highIndex);
  }
  return out.slice(0, length);
}
