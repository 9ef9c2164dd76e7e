import { publicKeyOf, toHex } from '@huduma/card-applet-spec';
import { PkiError } from './errors';

/**
 * Private keys are stored as JSON Web Keys (RFC 7517, kty EC, crv P-256, base64url d/x/y) so
 * standard tools (openssl via jwk converters, jose libraries, HSM import scripts) can read them.
 * `kid` is the hex Huduma key id.
 */
export interface P256Jwk {
  kty: 'EC';
  crv: 'P-256';
  d: string;
  x: string;
  y: string;
  kid: string;
}

function b64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function privateKeyToJwk(privateKey: Uint8Array, keyId: Uint8Array): P256Jwk {
  const pub = publicKeyOf(privateKey);
  return {
    kty: 'EC',
    crv: 'P-256',
    d: b64url(privateKey),
    x: b64url(pub.subarray(1, 33)),
    y: b64url(pub.subarray(33, 65)),
    kid: toHex(keyId),
  };
}

export function privateKeyFromJwk(jwk: unknown, where: string): Uint8Array {
  const j = jwk as Partial<P256Jwk> | null;
  if (j?.kty !== 'EC' || j.crv !== 'P-256' || typeof j.d !== 'string') {
    throw new PkiError('ERR_PKI_KEY_FILE', `${where}: not a P-256 private JWK`);
  }
  const d = fromB64url(j.d);
  if (d.length !== 32) throw new PkiError('ERR_PKI_KEY_FILE', `${where}: private key is not 32 bytes`);
  return d;
}
