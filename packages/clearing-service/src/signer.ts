/**
 * The clearing service's P-256 identity. Everything it signs (deny-list responses, tree heads,
 * later batch receipts) goes through `Signer`, so a file key can be swapped for an HSM without
 * touching callers. Signatures are raw r||s (64 bytes, IEEE P1363) over SHA-256 of the message.
 */
import { createHash, createPrivateKey, type KeyObject, sign, verify } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateP256PrivateKey, p256PublicKeyObject, p256RawPublicKey } from '@huduma/pki';
import { SignerError } from './errors';

export interface Signer {
  /** Uncompressed SEC1 point, 65 bytes (0x04 || X || Y). */
  readonly publicKey: Uint8Array;
  /** Short identifier of the key: first 8 bytes of SHA-256(publicKey), hex. */
  readonly keyId: string;
  /** ECDSA P-256 over SHA-256(message); raw r||s, 64 bytes. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export function keyIdOf(publicKey: Uint8Array): string {
  return Buffer.from(new Uint8Array(sha256(publicKey)).slice(0, 8)).toString('hex');
}

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** A Signer holding a P-256 private key in memory (node:crypto KeyObject). */
export function keyObjectSigner(privateKey: KeyObject): Signer {
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new SignerError(
      'ERR_SIGNER_KEY_FORMAT',
      'the service key must be an EC P-256 (prime256v1) private key',
    );
  }
  const publicKey = p256RawPublicKey(privateKey);
  return {
    publicKey,
    keyId: keyIdOf(publicKey),
    async sign(message) {
      return new Uint8Array(sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
    },
  };
}

export function generateSigner(): Signer {
  return keyObjectSigner(generateP256PrivateKey());
}

/**
 * Loads the PKCS#8 PEM key at `path`, or creates one (mode 0600, parent folder 0700) when the
 * file does not exist. Refuses a key file readable by group or others.
 */
export function loadOrCreateFileSigner(path: string): { signer: Signer; created: boolean } {
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new SignerError(
        'ERR_SIGNER_KEY_FILE',
        `service key ${path} has mode ${mode.toString(8)}; it must not be accessible to group or others (chmod 600)`,
      );
    }
    let key: KeyObject;
    try {
      key = createPrivateKey(readFileSync(path));
    } catch (error) {
      throw new SignerError(
        'ERR_SIGNER_KEY_FORMAT',
        `cannot read service key ${path}: ${(error as Error).message}`,
      );
    }
    return { signer: keyObjectSigner(key), created: false };
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const privateKey = generateP256PrivateKey();
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  // 'wx' fails if another process created the file meanwhile, instead of overwriting its key.
  writeFileSync(path, pem, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { signer: keyObjectSigner(privateKey), created: true };
}

/** Verifies a raw r||s P-256 signature (high-S accepted, as OpenSSL does) by a raw SEC1 key. */
export function verifyP256(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  let key: KeyObject;
  try {
    key = p256PublicKeyObject(publicKey);
  } catch {
    return false;
  }
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) return false;
  return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
}
