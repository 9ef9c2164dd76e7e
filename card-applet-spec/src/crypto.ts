import { cbc, ecb } from '@noble/ciphers/aes';
import { p256 } from '@noble/curves/p256';
import { sha1 } from '@noble/hashes/legacy';
import { sha256 as nobleSha256 } from '@noble/hashes/sha256';
import { asciiField, concatBytes } from './bytes';
import { CryptoProfile, type CryptoProfileCode, Size } from './constants';
import { SpecCodecError } from './errors';

/** SHA-256 of bytes. */
export function sha256(bytes: Uint8Array): Uint8Array {
  return nobleSha256(bytes);
}

/** The 16-byte domain tag `T(x)` of §4.9: ASCII right-padded with 0x00. */
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

/** Key identifier (§4.2): the first 8 bytes of SHA-256(public key). */
export function keyIdOf(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey).subarray(0, Size.KEY_ID);
}

/**
 * ECDSA P-256 over SHA-256(message); the signature is raw r || s (64 bytes). Deterministic
 * (RFC 6979), so test vectors are reproducible; a card's own signatures need only verify.
 */
export function signMessage(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
  return p256.sign(sha256(message), privateKey).toCompactRawBytes();
}

/** A P-256 verification primitive: raw r || s over SHA-256(message), high-S accepted. */
export type SignatureVerify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

/** Verifies a raw r || s signature over SHA-256(message). High-S accepted; malformed input is false. */
export function verifyMessage(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== Size.SIGNATURE || publicKey.length !== Size.PUBLIC_KEY) return false;
  try {
    return p256.verify(signature, sha256(message), publicKey, { lowS: false });
  } catch {
    return false;
  }
}

/** True when bytes are an uncompressed P-256 point on the curve. */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== Size.PUBLIC_KEY || publicKey[0] !== 0x04) return false;
  try {
    p256.ProjectivePoint.fromHex(publicKey).assertValidity();
    return true;
  } catch {
    return false;
  }
}

/** Checks that bytes are an uncompressed P-256 point on the curve. */
export function assertPublicKey(publicKey: Uint8Array, what: string): void {
  if (publicKey.length !== Size.PUBLIC_KEY || publicKey[0] !== 0x04) {
    throw new SpecCodecError('ERR_PUBLIC_KEY', `${what}: not a 65-byte uncompressed P-256 key`);
  }
  if (!isValidPublicKey(publicKey))
    throw new SpecCodecError('ERR_PUBLIC_KEY', `${what}: point is not on P-256`);
}

/**
 * ECDH on P-256 as the card's crypto profile computes it (§4.6.3): profile 00 = the 32-byte
 * x-coordinate (`ALG_EC_SVDP_DH_PLAIN`), profile 01 = SHA-1 of it, 20 bytes (`ALG_EC_SVDP_DH`).
 * Throws SpecCodecError ERR_PUBLIC_KEY when the peer point is not on the curve.
 */
export function ecdh(
  privateKey: Uint8Array,
  peerPublicKey: Uint8Array,
  profile: CryptoProfileCode = CryptoProfile.PLAIN_X,
): Uint8Array {
  assertPublicKey(peerPublicKey, 'ECDH peer key');
  const x = p256.getSharedSecret(privateKey, peerPublicKey, true).subarray(1);
  return profile === CryptoProfile.SHA1_X ? sha1(x) : x.slice();
}

function checkKey(key: Uint8Array): void {
  if (key.length !== Size.AES_KEY) throw new SpecCodecError('ERR_AES_KEY', 'AES-128 key must be 16 bytes');
}

/** AES-128 of one 16-byte block (ECB, no padding). Used for IV.c / IV.r (§4.7.3). */
export function aesEncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  checkKey(key);
  if (block.length !== Size.AES_BLOCK)
    throw new SpecCodecError('ERR_AES_BLOCK', 'AES block must be 16 bytes');
  return ecb(key, { disablePadding: true }).encrypt(block);
}

/** AES-128-CBC without padding (the caller pads, §4.7.3). */
export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkKey(key);
  if (data.length % Size.AES_BLOCK !== 0)
    throw new SpecCodecError('ERR_AES_BLOCK', 'CBC data not block-aligned');
  return cbc(key, iv, { disablePadding: true }).encrypt(data);
}

export function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkKey(key);
  if (data.length % Size.AES_BLOCK !== 0)
    throw new SpecCodecError('ERR_AES_BLOCK', 'CBC data not block-aligned');
  return cbc(key, iv, { disablePadding: true }).decrypt(data);
}

/** Doubling in GF(2^128) used for the CMAC subkeys (RFC 4493 §2.3). */
function dbl(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = ((block[i]! << 1) | (i < 15 ? block[i + 1]! >>> 7 : 0)) & 0xff;
  if (block[0]! & 0x80) out[15]! ^= 0x87;
  return out;
}

/**
 * AES-CMAC with AES-128 (NIST SP 800-38B, RFC 4493): the 16-byte tag. Computed as CBC-MAC with
 * a zero IV over the message whose last block is masked with K1 (complete) or padded and masked
 * with K2 (SP 800-38B §6.2) — the fallback construction of §13.1.
 */
export function cmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  checkKey(key);
  const k1 = dbl(ecb(key, { disablePadding: true }).encrypt(new Uint8Array(16)));
  const k2 = dbl(k1);
  const n = Math.max(1, Math.ceil(message.length / 16));
  const complete = message.length > 0 && message.length % 16 === 0;
  const m = new Uint8Array(n * 16);
  m.set(message);
  if (!complete) m[message.length] = 0x80;
  const sub = complete ? k1 : k2;
  for (let i = 0; i < 16; i++) m[(n - 1) * 16 + i]! ^= sub[i]!;
  const out = cbc(key, new Uint8Array(16), { disablePadding: true }).encrypt(m);
  return out.slice(out.length - 16);
}

/** `CMAC8`: the first 8 bytes of the CMAC (§1). */
export function cmac8(key: Uint8Array, message: Uint8Array): Uint8Array {
  return cmac(key, message).subarray(0, Size.MAC);
}

/** `Extract(salt, Z) = CMAC(salt, Z)` (SP 800-56C Rev. 2 §5.1 extraction step, §4.6.1). */
export function kdfExtract(salt: Uint8Array, z: Uint8Array): Uint8Array {
  return cmac(salt, z);
}

/**
 * One block of the SP 800-108 Rev. 1 §4.1 KDF in counter mode with PRF = AES-CMAC-128, an 8-bit
 * counter before the fixed input (i = 1): `CMAC(K, 01 ‖ fixedInput)`. Checked against the NIST
 * CAVP KDFCTR vectors (CMAC_AES128, BEFORE_FIXED, RLEN 8, L 128).
 */
export function kdfCounterBlock(key: Uint8Array, fixedInput: Uint8Array): Uint8Array {
  return cmac(key, concatBytes(new Uint8Array([0x01]), fixedInput));
}

/**
 * `Expand(K, label, context) = CMAC(K, 01 ‖ label(16) ‖ 00 ‖ context ‖ 00 80)`: SP 800-108 Rev. 1
 * §4.1 counter mode, PRF AES-CMAC-128, r = 8, L = 128, one iteration (§4.6.1). `label` is a
 * domain tag name (§4.9).
 */
export function kdfExpand(key: Uint8Array, label: string, context: Uint8Array): Uint8Array {
  return kdfCounterBlock(
    key,
    concatBytes(domainTag(label), new Uint8Array([0x00]), context, new Uint8Array([0x00, 0x80])),
  );
}

/** Equality of two MACs without an early exit (§13.1). */
export function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
