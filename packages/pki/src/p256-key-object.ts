import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
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
