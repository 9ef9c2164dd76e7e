import { decodeCertificate, signMessage, type TerminalCertificate } from '@huduma/card-applet-spec';

/**
 * What the SDK needs to authenticate commands to the card: the terminal's certificate (165
 * bytes, issued by a terminal CA the card trusts) and a signer for its private key. `sign` gets
 * the whole message and returns ECDSA P-256 over SHA-256(message) as raw r‖s (64 bytes), so the
 * key may live in an HSM, a secure element or a remote signing service.
 */
export interface TerminalSigner {
  /** The terminal certificate, 165 bytes. */
  certificate: Uint8Array;
  /** Signs `message` (hashing it with SHA-256 itself); resolves with r‖s, 64 bytes. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** Convenience form: a terminal certificate with its private key held in memory. */
export interface TerminalKeyPair {
  /** The terminal certificate, 165 bytes. */
  certificate: Uint8Array;
  /** The terminal's P-256 private key, 32 bytes. */
  privateKey: Uint8Array;
}

/** Either form of terminal credentials accepted by `HudumaCard.select`. */
export type TerminalCredentials = TerminalSigner | TerminalKeyPair;

/** Wraps an in-memory private key as a {@link TerminalSigner}. */
export function terminalSignerFromPrivateKey(credentials: TerminalKeyPair): TerminalSigner {
  const { certificate, privateKey } = credentials;
  return { certificate, sign: async (message) => signMessage(privateKey, message) };
}

/** Normalises credentials to a signer and decodes the certificate once (the SDK needs its terminal id). */
export function resolveTerminal(credentials: TerminalCredentials): {
  signer: TerminalSigner;
  certificate: TerminalCertificate;
} {
  const signer =
    'sign' in credentials ? credentials : terminalSignerFromPrivateKey(credentials as TerminalKeyPair);
  const certificate = decodeCertificate(signer.certificate);
  if (certificate.type !== 'terminal') {
    throw new TypeError('terminal.certificate is a card certificate, not a terminal certificate');
  }
  return { signer, certificate };
}
