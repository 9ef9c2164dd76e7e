import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { publicKeyOf, type SignatureVerify } from '@huduma/card-applet-spec';
import type { TerminalKeyPair, TerminalSigner } from './terminal';

/**
 * OpenSSL (node:crypto) versions of the SDK's two P-256 operations, for Node hosts where the
 * few milliseconds of pure-JS ECDSA per tap matter (a counter terminal). Same contract as the
 * defaults: raw r‖s over SHA-256(message), high-S accepted, malformed input verifies as false.
 */

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

// Card and CA keys repeat from tap to tap: keep their KeyObjects (bounded, cleared when full).
const publicKeys = new Map<string, KeyObject | null>();
const MAX_CACHED_KEYS = 10_000;

function publicKeyObject(publicKey: Uint8Array): KeyObject | null {
  const id = Buffer.from(publicKey).toString('latin1');
  let key = publicKeys.get(id);
  if (key !== undefined) return key;
  try {
    key =
      publicKey.length === 65 && publicKey[0] === 0x04
        ? createPublicKey({
            key: {
              kty: 'EC',
              crv: 'P-256',
              x: b64url(publicKey.subarray(1, 33)),
              y: b64url(publicKey.subarray(33)),
            },
            format: 'jwk',
          })
        : null;
  } catch {
    key = null; // not a point on the curve
  }
  if (publicKeys.size >= MAX_CACHED_KEYS) publicKeys.clear();
  publicKeys.set(id, key);
  return key;
}

/** A {@link SignatureVerify} on OpenSSL; pass it as `verifySignature` to `HudumaCard.select`. */
export const nodeCryptoVerify: SignatureVerify = (publicKey, message, signature) => {
  if (signature.length !== 64) return false;
  const key = publicKeyObject(publicKey);
  if (!key) return false;
  try {
    return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
};

/** A {@link TerminalSigner} whose private key stays in an OpenSSL KeyObject. */
export function nodeCryptoTerminalSigner(credentials: TerminalKeyPair): TerminalSigner {
  const publicKey = publicKeyOf(credentials.privateKey);
  const key = createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      d: b64url(credentials.privateKey),
      x: b64url(publicKey.subarray(1, 33)),
      y: b64url(publicKey.subarray(33)),
    },
    format: 'jwk',
  });
  return {
    certificate: credentials.certificate,
    sign: async (message) => new Uint8Array(sign('sha256', message, { key, dsaEncoding: 'ieee-p1363' })),
  };
}
