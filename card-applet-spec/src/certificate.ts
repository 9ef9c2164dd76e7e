import { ByteReader, bytesEqual, concatBytes, u16, u32 } from './bytes';
import { type CardNumber, decodeCardNumber, encodeCardNumber } from './card-number';
import { CAPABILITY_UNDEFINED_BITS, CERT_VERSION, CertType, DomainTag, Size } from './constants';
import {
  domainTag,
  isValidPublicKey,
  keyIdOf,
  type SignatureVerify,
  sha256,
  signMessage,
  verifyMessage,
} from './crypto';
import { SpecCodecError } from './errors';
import { decodeEntityId, type EntityId, encodeEntityId } from './ids';

/**
 * v2 certificates (SPEC.md §5): a 36-byte common header, then for a card certificate (230 bytes)
 * PK.card(65) ‖ QA.card(65) ‖ signature(64), for a terminal certificate (165 bytes) QT(65) ‖
 * signature(64). The CA signs T("HUDUMA-CERT-v2") ‖ everything but the signature (§8.1).
 */
export interface CardCertificate {
  type: 'card';
  issuerKeyId: Uint8Array;
  cardNumber: CardNumber;
  notBefore: number;
  notAfter: number;
  /** PK.card: signs proofs, recovery and key attestations. */
  signingKey: Uint8Array;
  /** QA.card: static ECDH with terminals. */
  keyAgreementKey: Uint8Array;
  signature: Uint8Array;
}

export interface TerminalCertificate {
  type: 'terminal';
  issuerKeyId: Uint8Array;
  terminalId: EntityId;
  merchantId: EntityId;
  /** Bit mask of `Capability`; bits 0xFFC0 must be clear. */
  capabilities: number;
  notBefore: number;
  notAfter: number;
  /** QT: the terminal's static key-agreement key. */
  keyAgreementKey: Uint8Array;
  signature: Uint8Array;
}

export type Certificate = CardCertificate | TerminalCertificate;
export type UnsignedCardCertificate = Omit<CardCertificate, 'signature'>;
export type UnsignedTerminalCertificate = Omit<TerminalCertificate, 'signature'>;
export type UnsignedCertificate = UnsignedCardCertificate | UnsignedTerminalCertificate;

/** The signed part (TBS): 166 bytes (card) or 101 bytes (terminal). Validates every §5 rule. */
export function encodeCertificateBody(cert: UnsignedCertificate): Uint8Array {
  if (cert.issuerKeyId.length !== Size.KEY_ID)
    throw new SpecCodecError('ERR_CERT', 'issuerKeyId must be 8 bytes');
  if (cert.notAfter < cert.notBefore)
    throw new SpecCodecError('ERR_CERT_VALIDITY', 'notAfter is before notBefore');
  if (cert.type === 'card') {
    for (const [k, what] of [
      [cert.signingKey, 'PK.card'],
      [cert.keyAgreementKey, 'QA.card'],
    ] as const) {
      if (!isValidPublicKey(k)) throw new SpecCodecError('ERR_PUBLIC_KEY', `${what} is not a P-256 point`);
    }
    return concatBytes(
      new Uint8Array([CERT_VERSION, CertType.CARD]),
      cert.issuerKeyId,
      encodeCardNumber(cert.cardNumber),
      new Uint8Array(Size.MERCHANT_ID),
      u16(0),
      u32(cert.notBefore),
      u32(cert.notAfter),
      cert.signingKey,
      cert.keyAgreementKey,
    );
  }
  if (
    (cert.capabilities & CAPABILITY_UNDEFINED_BITS) !== 0 ||
    cert.capabilities > 0xffff ||
    cert.capabilities < 0
  ) {
    throw new SpecCodecError('ERR_CERT_CAPABILITY', 'undefined capability bits set');
  }
  if (!isValidPublicKey(cert.keyAgreementKey))
    throw new SpecCodecError('ERR_PUBLIC_KEY', 'QT is not a P-256 point');
  return concatBytes(
    new Uint8Array([CERT_VERSION, CertType.TERMINAL]),
    cert.issuerKeyId,
    encodeEntityId(cert.terminalId, 'terminal id'),
    encodeEntityId(cert.merchantId, 'merchant id'),
    u16(cert.capabilities),
    u32(cert.notBefore),
    u32(cert.notAfter),
    cert.keyAgreementKey,
  );
}

/** The message a CA signs: T("HUDUMA-CERT-v2") ‖ TBS (§8.1). */
export function certificateSigningMessage(tbs: Uint8Array): Uint8Array {
  return concatBytes(domainTag(DomainTag.CERTIFICATE), tbs);
}

export function encodeCertificate(cert: Certificate): Uint8Array {
  if (cert.signature.length !== Size.SIGNATURE)
    throw new SpecCodecError('ERR_CERT', 'signature must be 64 bytes');
  return concatBytes(encodeCertificateBody(cert), cert.signature);
}

/** Signs a certificate with a CA private key (development PKI, vectors, tests). */
export function signCertificate(cert: UnsignedCardCertificate, caPrivateKey: Uint8Array): CardCertificate;
export function signCertificate(
  cert: UnsignedTerminalCertificate,
  caPrivateKey: Uint8Array,
): TerminalCertificate;
export function signCertificate(cert: UnsignedCertificate, caPrivateKey: Uint8Array): Certificate {
  const signature = signMessage(caPrivateKey, certificateSigningMessage(encodeCertificateBody(cert)));
  return { ...cert, signature } as Certificate;
}

/** Certificate id (termCertId for terminals): SHA-256(the whole certificate)[0..7] (§1, §4.2). */
export function certificateIdOf(certificateBytes: Uint8Array): Uint8Array {
  return sha256(certificateBytes).slice(0, Size.CERT_ID);
}

/**
 * Decodes a certificate and applies the format rules of §4.8.1 step 1 and §5 (version, type,
 * ids, capability bits, validity order, uncompressed key prefix). Curve membership of the keys
 * is a separate check (`isValidPublicKey`), as on the card (§4.8.1 step 5).
 */
export function decodeCertificate(bytes: Uint8Array): Certificate {
  if (bytes.length !== Size.CARD_CERTIFICATE && bytes.length !== Size.TERMINAL_CERTIFICATE) {
    throw new SpecCodecError('ERR_CERT', `certificate must be 230 or 165 bytes, got ${bytes.length}`);
  }
  const r = new ByteReader(bytes, 'certificate');
  const version = r.u8('version');
  if (version !== CERT_VERSION)
    throw new SpecCodecError('ERR_CERT_VERSION', `certificate version ${version}`, 0);
  const type = r.u8('type');
  const issuerKeyId = r.take(8, 'issuerKeyId').slice();
  const subject = r.take(8, 'subject');
  const merchant = r.take(8, 'merchantId');
  const capabilities = r.u16('capabilities');
  const notBefore = r.u32('notBefore');
  const notAfter = r.u32('notAfter');
  if (notAfter < notBefore) throw new SpecCodecError('ERR_CERT_VALIDITY', 'notAfter is before notBefore', 32);
  if (type === CertType.CARD && bytes.length === Size.CARD_CERTIFICATE) {
    if (capabilities !== 0)
      throw new SpecCodecError('ERR_CERT_CAPABILITY', 'card certificate with capabilities', 26);
    if (merchant.some((b) => b !== 0))
      throw new SpecCodecError('ERR_CERT', 'card certificate with a merchant id', 18);
    const signingKey = r.take(Size.PUBLIC_KEY, 'PK.card').slice();
    const keyAgreementKey = r.take(Size.PUBLIC_KEY, 'QA.card').slice();
    const signature = r.take(Size.SIGNATURE, 'signature').slice();
    r.end();
    if (signingKey[0] !== 0x04 || keyAgreementKey[0] !== 0x04) {
      throw new SpecCodecError('ERR_PUBLIC_KEY', 'card key not uncompressed', 36);
    }
    return {
      type: 'card',
      issuerKeyId,
      cardNumber: decodeCardNumber(subject, 10),
      notBefore,
      notAfter,
      signingKey,
      keyAgreementKey,
      signature,
    };
  }
  if (type === CertType.TERMINAL && bytes.length === Size.TERMINAL_CERTIFICATE) {
    if ((capabilities & CAPABILITY_UNDEFINED_BITS) !== 0) {
      throw new SpecCodecError('ERR_CERT_CAPABILITY', 'undefined capability bits set', 26);
    }
    const keyAgreementKey = r.take(Size.PUBLIC_KEY, 'QT').slice();
    const signature = r.take(Size.SIGNATURE, 'signature').slice();
    r.end();
    if (keyAgreementKey[0] !== 0x04) throw new SpecCodecError('ERR_PUBLIC_KEY', 'QT not uncompressed', 36);
    return {
      type: 'terminal',
      issuerKeyId,
      terminalId: decodeEntityId(subject, 'terminal id', 10),
      merchantId: decodeEntityId(merchant, 'merchant id', 18),
      capabilities,
      notBefore,
      notAfter,
      keyAgreementKey,
      signature,
    };
  }
  throw new SpecCodecError(
    'ERR_CERT_TYPE',
    `certificate type 0x${type.toString(16)} with ${bytes.length} bytes`,
    1,
  );
}

/** Verifies an encoded certificate over its exact bytes (§5: never a re-encoding); returns it decoded. */
export function verifyCertificateBytes(
  bytes: Uint8Array,
  caPublicKey: Uint8Array,
  verify: SignatureVerify = verifyMessage,
): Certificate | undefined {
  let cert: Certificate;
  try {
    cert = decodeCertificate(bytes);
  } catch {
    return undefined;
  }
  if (!bytesEqual(keyIdOf(caPublicKey), cert.issuerKeyId)) return undefined;
  const tbs = bytes.subarray(0, bytes.length - Size.SIGNATURE);
  if (!verify(caPublicKey, certificateSigningMessage(tbs), cert.signature)) return undefined;
  const keys = cert.type === 'card' ? [cert.signingKey, cert.keyAgreementKey] : [cert.keyAgreementKey];
  return keys.every(isValidPublicKey) ? cert : undefined;
}
