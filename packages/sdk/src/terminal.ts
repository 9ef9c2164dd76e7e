import {
  type CryptoProfileCode,
  certificateIdOf,
  decodeCertificate,
  ecdh,
  publicKeyOf,
  type TerminalCertificate,
} from '@huduma/card-applet-spec';
import { p256 } from '@noble/curves/p256';

/**
 * The terminal's static key-agreement key (SPEC-v2 §4.4), behind a seam so it may live in an
 * HSM or secure element: `agree` computes ECDH with the card's QA.card and returns the card's
 * crypto-profile output (profile 00: the 32-byte x-coordinate; 01: SHA-1 of it). In v2 the
 * terminal never signs anything for the card: its certified key is a key-agreement key.
 */
export interface TerminalKeyAgreement {
  /** The terminal certificate, 165 bytes (issued by an acquirer CA the card trusts). */
  certificate: Uint8Array;
  /** Z.s = ECDH(terminal private key, cardPublicKey) in the card's crypto profile. */
  agree(cardKeyAgreementPublicKey: Uint8Array, profile: CryptoProfileCode): Promise<Uint8Array>;
}

/** Convenience form: a terminal certificate with its private key held in memory. */
export interface TerminalKeyPair {
  /** The terminal certificate, 165 bytes. */
  certificate: Uint8Array;
  /** The terminal's P-256 key-agreement private key, 32 bytes (the key QT certifies). */
  privateKey: Uint8Array;
}

/** Either form of terminal credentials accepted by `HudumaCard.select`. */
export type TerminalCredentials = TerminalKeyAgreement | TerminalKeyPair;

/** Wraps an in-memory private key as a {@link TerminalKeyAgreement} (pure JS, browser-clean). */
export function terminalKeyAgreementFromPrivateKey(credentials: TerminalKeyPair): TerminalKeyAgreement {
  const { certificate, privateKey } = credentials;
  return { certificate, agree: async (peer, profile) => ecdh(privateKey, peer, profile) };
}

/** A terminal as the SDK uses it: its decoded certificate, termCertId and key agreement. */
export interface ResolvedTerminal {
  keyAgreement: TerminalKeyAgreement;
  certificate: TerminalCertificate;
  /** SHA-256(certificate)[0..7]: how the card names this terminal's registration (§4.2). */
  certId: Uint8Array;
}

/** Normalises credentials and decodes the certificate once (the SDK needs its id, terminal id and key). */
export function resolveTerminal(credentials: TerminalCredentials): ResolvedTerminal {
  const keyAgreement =
    'agree' in credentials ? credentials : terminalKeyAgreementFromPrivateKey(credentials as TerminalKeyPair);
  const certificate = decodeCertificate(keyAgreement.certificate);
  if (certificate.type !== 'terminal') {
    throw new TypeError('terminal.certificate is a card certificate, not a terminal certificate');
  }
  if ('privateKey' in credentials) {
    const pub = publicKeyOf((credentials as TerminalKeyPair).privateKey);
    if (!pub.every((b, i) => b === certificate.keyAgreementKey[i])) {
      throw new TypeError('terminal.privateKey is not the key its certificate certifies');
    }
  }
  return { keyAgreement, certificate, certId: certificateIdOf(keyAgreement.certificate) };
}

/** A fresh ephemeral P-256 key pair for a SECURE session (§4.5: QE, fresh per session). */
export function ephemeralKeyPair(): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const privateKey = p256.utils.randomPrivateKey();
  return { privateKey, publicKey: publicKeyOf(privateKey) };
}
