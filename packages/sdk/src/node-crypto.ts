import { createHash, diffieHellman, type KeyObject, verify } from 'node:crypto';
import { CryptoProfile, publicKeyOf, type SignatureVerify } from '@huduma/card-applet-spec';
import { p256PrivateKeyObject, p256PublicKeyObject } from '@huduma/pki';
import type { TerminalKeyAgreement, TerminalKeyPair } from './terminal';

/**
 * OpenSSL (node:crypto) versions of the SDK's two P-256 operations (ECDSA verify, ECDH), for
 * Node hosts where the few milliseconds of pure-JS curve arithmetic per tap matter. Same contract as the
 * defaults: raw r‖s over SHA-256(message), high-S accepted, malformed input verifies as false.
 */

// Card and CA keys repeat from tap to tap: keep their KeyObjects (bounded, cleared when full).
const publicKeys = new Map<string, KeyObject | null>();
const MAX_CACHED_KEYS = 10_000;

function publicKeyObject(publicKey: Uint8Array): KeyObject | null {
  const id = Buffer.from(publicKey).toString('latin1');
  let key = publicKeys.get(id);
  if (key !== undefined) return key;
  try {
    key = publicKey.length === 65 && publicKey[0] === 0x04 ? p256PublicKeyObject(publicKey) : null;
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

/**
 * A {@link TerminalKeyAgreement} whose static private key stays in an OpenSSL KeyObject: ECDH
 * with the card's QA.card in the card's crypto profile (00: x-coordinate; 01: SHA-1 of it).
 */
export function nodeCryptoKeyAgreement(credentials: TerminalKeyPair): TerminalKeyAgreement {
  const publicKey = publicKeyOf(credentials.privateKey);
  const key = p256PrivateKeyObject(credentials.privateKey, publicKey);
  return {
    certificate: credentials.certificate,
    agree: async (peer, profile) => {
      const peerKey = publicKeyObject(peer);
      if (!peerKey) throw new TypeError('the card key-agreement key is not a P-256 point');
      const x = new Uint8Array(diffieHellman({ privateKey: key, publicKey: peerKey }));
      return profile === CryptoProfile.SHA1_X ? new Uint8Array(createHash('sha1').update(x).digest()) : x;
    },
  };
}
