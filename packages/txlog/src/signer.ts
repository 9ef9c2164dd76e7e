import { createECDH, type KeyObject, sign, verify } from 'node:crypto';
import { p256PrivateKeyObject, p256PublicKeyObject } from '@huduma/pki';
import { TxLogKeyError } from './errors';
import { isTerminalId } from './records';

/** Terminal key that signs checkpoints. P-256, SHA-256, raw r||s signatures. */
export interface LogSigner {
  /** 1 to 8 printable ASCII characters, no spaces. */
  terminalId: string;
  /** 65-byte uncompressed P-256 point (0x04 || X || Y). */
  publicKey: Uint8Array;
  /** Sign `message` (SHA-256 is applied by the signer). Returns raw r||s, 64 bytes. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export const CHECKPOINT_DOMAIN = 'HUDUMA-CKPT-v1';
export const CHECKPOINT_MESSAGE_LENGTH = 16 + 8 + 8 + 32;

/**
 * The exact bytes a checkpoint signature covers:
 * "HUDUMA-CKPT-v1" zero-padded to 16 || terminalId space-padded to 8 || coveredSeq u64 BE || headHash.
 */
export function checkpointMessage(terminalId: string, coveredSeq: number, headHash: Uint8Array): Uint8Array {
  if (!isTerminalId(terminalId)) {
    throw new TxLogKeyError(
      `terminal id ${JSON.stringify(terminalId)} must be 1 to 8 printable ASCII characters`,
    );
  }
  if (headHash.length !== 32) throw new TxLogKeyError('checkpoint head hash must be 32 bytes');
  const message = Buffer.alloc(CHECKPOINT_MESSAGE_LENGTH);
  message.write(CHECKPOINT_DOMAIN, 0, 'ascii');
  message.write(terminalId.padEnd(8, ' '), 16, 'ascii');
  message.writeBigUInt64BE(BigInt(coveredSeq), 24);
  message.set(headHash, 32);
  return new Uint8Array(message);
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) {
    throw new TxLogKeyError(
      `terminal public key must be a 65-byte uncompressed P-256 point, got ${publicKey.length} bytes`,
    );
  }
  try {
    return p256PublicKeyObject(publicKey);
  } catch (err) {
    throw new TxLogKeyError(`terminal public key is not a valid P-256 point: ${(err as Error).message}`);
  }
}

/** A LogSigner backed by node:crypto, for terminals whose key is held in software. */
export function nodeCryptoSigner(privateKeyRaw32: Uint8Array, terminalId: string): LogSigner {
  if (privateKeyRaw32.length !== 32) throw new TxLogKeyError('P-256 private key must be 32 bytes');
  if (!isTerminalId(terminalId)) {
    throw new TxLogKeyError(
      `terminal id ${JSON.stringify(terminalId)} must be 1 to 8 printable ASCII characters`,
    );
  }
  let publicKey: Uint8Array;
  let key: KeyObject;
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(privateKeyRaw32));
    publicKey = new Uint8Array(ecdh.getPublicKey());
    key = p256PrivateKeyObject(privateKeyRaw32, publicKey);
  } catch (err) {
    throw new TxLogKeyError(`invalid P-256 private key: ${(err as Error).message}`);
  }
  return {
    terminalId,
    publicKey,
    sign: (message) =>
      new Promise((resolve, reject) => {
        sign('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, (err, signature) =>
          err ? reject(err) : resolve(new Uint8Array(signature)),
        );
      }),
  };
}

/** Returns a verifier for checkpoint signatures by one terminal key. Accepts high-S signatures. */
export function checkpointVerifier(
  publicKey: Uint8Array,
): (terminalId: string, coveredSeq: number, headHash: Uint8Array, signature: Uint8Array) => boolean {
  const key = publicKeyObject(publicKey);
  return (terminalId, coveredSeq, headHash, signature) => {
    if (signature.length !== 64) return false;
    return verify(
      'sha256',
      checkpointMessage(terminalId, coveredSeq, headHash),
      { key, dsaEncoding: 'ieee-p1363' },
      signature,
    );
  };
}
