import { bytesEqual, keyIdOf, publicKeyOf, toHex } from '@huduma/card-applet-spec';
import { PkiError } from './errors';

/**
 * Private keys are stored as JSON Web Keys (RFC 7517, kty EC, crv P-256, base64url d/x/y) so
 * standard tools (openssl via jwk converters, jose libraries, HSM import scripts) can read them.
 * `kid` is the hex Huduma key id of **this** key (SHA-256(publicKey)[0..7]; SPEC-v2 §14): never
 * the id of the CA that certified it.
 */
export interface P256Jwk {
  kty: 'EC';
  crv: 'P-256';
  d: string;
  x: string;
  y: string;
  kid: string;
}

/** A symmetric issuer master key (MK.perso, MK.att) as an RFC 7517 `oct` JWK. */
export interface AesJwk {
  kty: 'oct';
  alg: 'A128';
  k: string;
  /** What the key is for, e.g. "MK.perso" (informative). */
  use: string;
}

export function b64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromB64url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** The JWK of a P-256 private key; its `kid` is always derived from the key itself. */
export function privateKeyToJwk(privateKey: Uint8Array): P256Jwk {
  const pub = publicKeyOf(privateKey);
  return {
    kty: 'EC',
    crv: 'P-256',
    d: b64url(privateKey),
    x: b64url(pub.subarray(1, 33)),
    y: b64url(pub.subarray(33, 65)),
    kid: toHex(keyIdOf(pub)),
  };
}

/**
 * Reads a P-256 private JWK. Refuses (ERR_PKI_KEY_FILE) a file whose `kid` is missing or is not
 * the key id of the key it holds, or whose x/y are not the private key's public point: such a
 * file was written by v1's dev PKI (which put the acquirer CA's key id there) or edited by hand,
 * and a loader that trusted its `kid` would name the wrong key (SPEC-v2 §14).
 */
export function privateKeyFromJwk(jwk: unknown, where: string): Uint8Array {
  const j = jwk as Partial<P256Jwk> | null;
  if (j?.kty !== 'EC' || j.crv !== 'P-256' || typeof j.d !== 'string') {
    throw new PkiError('ERR_PKI_KEY_FILE', `${where}: not a P-256 private JWK`);
  }
  const d = fromB64url(j.d);
  if (d.length !== 32) throw new PkiError('ERR_PKI_KEY_FILE', `${where}: private key is not 32 bytes`);
  let pub: Uint8Array;
  try {
    pub = publicKeyOf(d);
  } catch {
    throw new PkiError('ERR_PKI_KEY_FILE', `${where}: private key is not a valid P-256 scalar`);
  }
  if (
    typeof j.x !== 'string' ||
    typeof j.y !== 'string' ||
    !bytesEqual(fromB64url(j.x), pub.subarray(1, 33)) ||
    !bytesEqual(fromB64url(j.y), pub.subarray(33, 65))
  ) {
    throw new PkiError('ERR_PKI_KEY_FILE', `${where}: x/y do not match the private key`);
  }
  const expected = toHex(keyIdOf(pub));
  if (typeof j.kid !== 'string' || j.kid.toLowerCase() !== expected) {
    throw new PkiError(
      'ERR_PKI_KEY_ID_MISMATCH',
      `${where}: kid ${String(j.kid)} is not this key's id ${expected} (SHA-256(publicKey)[0..7])`,
    );
  }
  return d;
}

export function aesKeyToJwk(key: Uint8Array, use: string): AesJwk {
  if (key.length !== 16) throw new PkiError('ERR_PKI_KEY_FILE', `${use}: an AES-128 key is 16 bytes`);
  return { kty: 'oct', alg: 'A128', k: b64url(key), use };
}

export function aesKeyFromJwk(jwk: unknown, where: string): Uint8Array {
  const j = jwk as Partial<AesJwk> | null;
  if (j?.kty !== 'oct' || typeof j.k !== 'string') {
    throw new PkiError('ERR_PKI_KEY_FILE', `${where}: not a symmetric (oct) JWK`);
  }
  const k = fromB64url(j.k);
  if (k.length !== 16) throw new PkiError('ERR_PKI_KEY_FILE', `${where}: not a 16-byte AES-128 key`);
  return k;
}
