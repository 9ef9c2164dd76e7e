import { ApduDecodeError, ApduEncodeError } from './errors';

/** A response APDU: the data field and the trailing status word (`sw = sw1 << 8 | sw2`). */
export interface ResponseApdu {
  data: Uint8Array;
  sw: number;
  sw1: number;
  sw2: number;
}

/**
 * Splits a response APDU into data and status word. Needs at least the 2 status bytes; throws
 * {@link ApduDecodeError} (`ERR_APDU_TOO_SHORT`) otherwise. `data` is a copy, not a view of `bytes`.
 */
export function decodeResponse(bytes: Uint8Array): ResponseApdu {
  const n = bytes.length;
  if (n < 2) {
    throw new ApduDecodeError(
      'ERR_APDU_TOO_SHORT',
      `response APDU needs at least the 2 status bytes SW1 SW2, got ${n} byte${n === 1 ? '' : 's'}`,
      n,
    );
  }
  const sw1 = bytes[n - 2]!;
  const sw2 = bytes[n - 1]!;
  return { data: bytes.slice(0, n - 2), sw: (sw1 << 8) | sw2, sw1, sw2 };
}

/**
 * Builds a response APDU: `data` followed by the two status bytes. Throws {@link ApduEncodeError}
 * (`ERR_APDU_BAD_FIELD`) if `sw` is not an integer 0..0xFFFF.
 */
export function encodeResponse(data: Uint8Array, sw: number): Uint8Array {
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) {
    throw new ApduEncodeError('ERR_APDU_BAD_FIELD', `sw must be an integer 0..0xFFFF, got ${sw}`);
  }
  const out = new Uint8Array(data.length + 2);
  out.set(data, 0);
  out[data.length] = sw >> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}
