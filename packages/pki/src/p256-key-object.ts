import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { PkiError } from './errors';

/**
 * The one place that turns raw P-256 keys (SEC1 uncompressed points, 32-byte scalars) into
 * node:crypto KeyObjects, so OpenSSL can sign and verify with them. Through JWK because that is
 * the one import form node accepts for a bare point or scalar without hand-built DER.
 */

const b64url = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url');

function checkPoint(publicKey: Uint8Array): void {
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) {
    throw new PkiError(
      'ERR_PKI_P256_POINT',
      `not a 65-byte uncompressed P-256 public key (got ${publicKey.length} bytes)`,
    );
  }
}

// P-256 field prime and curve coefficient b (SEC 2 §2.4.2; a = -3).
const P256_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const P256_B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

/**
 * True when `publicKey` is a 65-byte uncompressed point on P-256 (y² = x³ − 3x + b mod p, both
 * coordinates below p). The same points OpenSSL imports (P-256 has cofactor 1, and an
 * uncompressed encoding cannot be the point at infinity), in ~3 µs of BigInt arithmetic where
 * importing a KeyObject costs as much as a signature verification (~100 µs): a verifier that
 * only needs to know a key is valid, not use it, checks it here.
 */
export function isP256Point(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) return false;
  const hex = Buffer.from(publicKey.buffer, publicKey.byteOffset, 65).toString('hex');
  const x = BigInt(`0x${hex.slice(2, 66)}`);
  const y = BigInt(`0x${hex.slice(66)}`);
  if (x >= P256_P || y >= P256_P) return false;
  const rhs = (((((x * x) % P256_P) * x - 3n * x + P256_B) % P256_P) + P256_P) % P256_P;
  return (y * y) % P256_P === rhs;
}

/**
 * A new P-256 private key. Generated already encoded (PKCS#8 DER) and imported again, never taken
 * straight from generateKeyPairSync: on Node 20 exporting such a key can hang the thread for good
 * when a garbage collection runs mid-export and finalises the generation job, whose finaliser
 * takes the key's lock that the export holds (seen once in a few runs of bench:clearing, which
 * makes 4,000 keys; gdb: ExportJWKEcKey → GC → ~KeyGenJob → mutex wait).
 */
export function generateP256PrivateKey(): KeyObject {
  const { privateKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  return createPrivateKey({ key: privateKey, format: 'der', type: 'pkcs8' });
}

/** KeyObject of a raw uncompressed P-256 point (0x04 || X || Y); PkiError off the curve. */
export function p256PublicKeyObject(publicKey: Uint8Array): KeyObject {
  checkPoint(publicKey);
  try {
    return createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: b64url(publicKey.subarray(1, 33)),
        y: b64url(publicKey.subarray(33)),
      },
      format: 'jwk',
    });
  } catch (error) {
    throw new PkiError('ERR_PKI_P256_POINT', `not a point on P-256: ${(error as Error).message}`);
  }
}

/** KeyObject of a 32-byte P-256 private scalar with its public point; PkiError if they do not fit. */
export function p256PrivateKeyObject(privateKey: Uint8Array, publicKey: Uint8Array): KeyObject {
  if (privateKey.length !== 32) {
    throw new PkiError('ERR_PKI_P256_SCALAR', `P-256 private key must be 32 bytes, got ${privateKey.length}`);
  }
  checkPoint(publicKey);
  try {
    return createPrivateKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        d: b64url(privateKey),
        x: b64url(publicKey.subarray(1, 33)),
        y: b64url(publicKey.subarray(33)),
      },
      format: 'jwk',
    });
  } catch (error) {
    throw new PkiError('ERR_PKI_P256_SCALAR', `invalid P-256 private key: ${(error as Error).message}`);
  }
}

/** The raw uncompressed point (65 bytes) of a P-256 KeyObject, public or private. */
export function p256RawPublicKey(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) {
    throw new PkiError('ERR_PKI_P256_POINT', 'the key is not an EC P-256 key');
  }
  const x = Buffer.from(jwk.x, 'base64url');
  const y = Buffer.from(jwk.y, 'base64url');
  const out = new Uint8Array(65);
  out[0] = 0x04;
  out.set(x, 1 + 32 - x.length);
  out.set(y, 33 + 32 - y.length);
  return out;
}
