import { keyIdOf, publicKeyOf, signMessage } from '@huduma/card-applet-spec';

/**
 * Something that holds a P-256 private key and signs with it. The development PKI uses
 * `softwareSigner`; production plugs an HSM in behind the same interface.
 */
export interface Signer {
  /** Uncompressed SEC1 public key, 65 bytes. */
  readonly publicKey: Uint8Array;
  /** First 8 bytes of SHA-256(publicKey): what certificates and cards use to name the key. */
  readonly keyId: Uint8Array;
  /** ECDSA P-256 over SHA-256(message); raw r || s, 64 bytes. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** A Signer over a private key held in memory (32 bytes). */
export function softwareSigner(privateKey: Uint8Array): Signer {
  if (privateKey.length !== 32) throw new TypeError('a P-256 private key is 32 bytes');
  const key = privateKey.slice();
  const publicKey = publicKeyOf(key);
  return {
    publicKey,
    keyId: keyIdOf(publicKey),
    sign: async (message) => signMessage(key, message),
  };
}
