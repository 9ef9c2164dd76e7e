import { ByteReader, concatBytes } from './bytes';
import { Limits, Size } from './constants';
import { assertPublicKey, keyIdOf } from './crypto';
import { SpecCodecError } from './errors';

/**
 * PIN and PUK blocks (SPEC.md §2.4), 8 bytes: the ASCII digits, right-padded with 0xFF.
 * PINs have 4-8 digits, PUKs exactly 8.
 */
export function encodePinBlock(pin: string, kind: 'PIN' | 'PUK' = 'PIN'): Uint8Array {
  const ok =
    kind === 'PIN'
      ? new RegExp(`^\\d{${Limits.PIN_MIN_DIGITS},${Limits.PIN_MAX_DIGITS}}$`).test(pin)
      : new RegExp(`^\\d{${Limits.PUK_DIGITS}}$`).test(pin);
  if (!ok) {
    const rule =
      kind === 'PIN'
        ? `${Limits.PIN_MIN_DIGITS}-${Limits.PIN_MAX_DIGITS} digits`
        : `${Limits.PUK_DIGITS} digits`;
    throw new SpecCodecError('ERR_PIN_FORMAT', `${kind} must be ${rule}`);
  }
  const out = new Uint8Array(Size.PIN_BLOCK).fill(0xff);
  for (let i = 0; i < pin.length; i++) out[i] = pin.charCodeAt(i);
  return out;
}

/** True when bytes are a well-formed PIN (or PUK) block. */
export function isValidPinBlock(block: Uint8Array, kind: 'PIN' | 'PUK' = 'PIN'): boolean {
  if (block.length !== Size.PIN_BLOCK) return false;
  let digits = 0;
  while (digits < block.length && block[digits]! >= 0x30 && block[digits]! <= 0x39) digits++;
  for (let i = digits; i < block.length; i++) if (block[i] !== 0xff) return false;
  return kind === 'PIN'
    ? digits >= Limits.PIN_MIN_DIGITS && digits <= Limits.PIN_MAX_DIGITS
    : digits === Limits.PUK_DIGITS;
}

/** STORE DATA trusted key entry, 74 bytes: usage 1 ‖ key id 8 ‖ public key 65. */
export interface TrustedKey {
  usage: number;
  keyId: Uint8Array;
  publicKey: Uint8Array;
}

export function encodeTrustedKey(key: { usage: number; publicKey: Uint8Array }): Uint8Array {
  assertPublicKey(key.publicKey, 'trusted key');
  return concatBytes(new Uint8Array([key.usage]), keyIdOf(key.publicKey), key.publicKey);
}

export function decodeTrustedKey(bytes: Uint8Array): TrustedKey {
  const r = new ByteReader(bytes, 'trusted key');
  const key = {
    usage: r.u8('usage'),
    keyId: r.take(8, 'keyId').slice(),
    publicKey: r.take(65, 'publicKey').slice(),
  };
  r.end();
  assertPublicKey(key.publicKey, 'trusted key');
  const id = keyIdOf(key.publicKey);
  if (id.some((b, i) => b !== key.keyId[i]))
    throw new SpecCodecError('ERR_KEY_ID', 'key id is not SHA-256(public key)[0..8]', 1);
  return key;
}
