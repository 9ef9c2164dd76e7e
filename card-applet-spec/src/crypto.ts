import { p256 } from '@noble/curves/p256';
import { sha256 as nobleSha256 } from '@noble/hashes/sha256';
import { asciiField } from './bytes';
import { Size } from './constants';
import { SpecCodecError } from './errors';

/** SHA-256 of bytes. */
export function sha256(bytes: Uint8Array): Uint8Array {
  return nobleSha256(bytes);
}

/** The 16-byte domain tag that prefixes a signed message: ASCII right-padded with 0x00. */
export function domainTag(tag: string): Uint8Array {
  return asciiField(tag, Size.DOMAIN, 0x00, 'domain tag');
}

/** A fresh P-256 private key (32 bytes). */
export function generatePrivateKey(): Uint8Array {
  return p256.utils.randomPrivateKey();
}

/** The uncompressed SEC1 public key (65 bytes, 0x04 || X || Y) of a private key. */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  return p256.getPublicKey(privateKey, false);
}

/** Key identifier used in certificates and on the card: the first 8 bytes of SHA-256(public key). */
export function keyIdOf(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey).subarray(0, Size.KEY_ID);
}

/**
 * ECDSA P-256 over SHA-256(message); the signature is raw r || s (64 bytes). Deterministic
 * (RFC 6979), so test vectors are reproducible; a card's own signatures use a random k and only
 * need to verify.
 */
export function signMessage(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
  return p256.sign(sha256(message), privateKey).toCompactRawBytes();
}

/**
 * A P-256 verification primitive: raw r || s over SHA-256(message), high-S accepted, false for
 * malformed keys or signatures. {@link verifyMessage} (pure JS) is the default everywhere; hosts
 * with OpenSSL pass a faster one (see `nodeCryptoVerify` in @huduma/sdk/node) where it matters.
 */
export type SignatureVerify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

/**
 * Verifies a raw r || s signature over SHA-256(message). High-S signatures are accepted: Java
 * Card and OpenSSL do not normalise s. Malformed keys or signatures verify as false.
 */
export function verifyMessage(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== Size.SIGNATURE || publicKey.length !== Size.PUBLIC_KEY) return false;
  try {
    return p256.verify(signature, sha256(message), publicKey, { lowS: false });
  } catch {
    return false;
  }
}

/** Checks that bytes are an uncompressed P-256 point on the curve. */
export function assertPublicKey(publicKey: Uint8Array, what: string): void {
  if (publicKey.length !== Size.PUBLIC_KEY || publicKey[0] !== 0x04) {
    throw new SpecCodecError('ERR_PUBLIC_KEY', `${what}: not a 65-byte uncompressed P-256 key`);
  }
  try {
    p256.ProjectivePoint.fromHex(publicKey).assertValidity();
  } catch {
    throw new SpecCodecError('ERR_PUBLIC_KEY', `${what}: point is not on P-256`);
  }
}
