import { ByteReader, concatBytes, u16, u32 } from './bytes';
import { type CardNumber, decodeCardNumber, encodeCardNumber } from './card-number';
import { CERT_VERSION, CertType, DomainTag, Size } from './constants';
import {
  assertPublicKey,
  domainTag,
  keyIdOf,
  type SignatureVerify,
  signMessage,
  verifyMessage,
} from './crypto';
import { SpecCodecError } from './errors';
import { decodeEntityId, type EntityId, encodeEntityId } from './ids';

/**
 * The Huduma certificate (SPEC.md §5), 165 bytes, fixed layout so a Java Card can parse it
 * with offsets:
 *
 * | off | len | field |
 * |----:|----:|-------|
 * | 0   | 1   | version = 0x01 |
 * | 1   | 1   | type: 0x01 card, 0x02 terminal |
 * | 2   | 8   | issuerKeyId: first 8 bytes of SHA-256 of the signing CA public key |
 * | 10  | 8   | subject: card number (BCD) or terminal id (ASCII, space-padded) |
 * | 18  | 8   | merchant id (terminal; ASCII, space-padded) or 8 zero bytes (card) |
 * | 26  | 2   | capabilities (terminal) or 0 (card) |
 * | 28  | 4   | notBefore, Unix seconds |
 * | 32  | 4   | notAfter, Unix seconds |
 * | 36  | 65  | subject public key, uncompressed P-256 |
 * | 101 | 64  | signature r‖s by the CA over "HUDUMA-CERT-v1"(16) ‖ bytes 0..100 |
 */
export interface CardCertificate {
  type: 'card';
  issuerKeyId: Uint8Array;
  cardNumber: CardNumber;
  notBefore: number;
  notAfter: number;
  publicKey: Uint8Array;
  signature: Uint8Array;
}

export interface TerminalCertificate {
  type: 'terminal';
  issuerKeyId: Uint8Array;
  terminalId: EntityId;
  merchantId: EntityId;
  /** Bit mask of `Capability`. */
  capabilities: number;
  notBefore: number;
  notAfter: number;
  publicKey: Uint8Array;
  signature: Uint8Array;
}

export type Certificate = CardCertificate | TerminalCertificate;
export type UnsignedCertificate = Omit<CardCertificate, 'signature'> | Omit<TerminalCertificate, 'signature'>;

/** The 101 bytes a CA signs (everything but the signature). */
export function encodeCertificateBody(cert: UnsignedCertificate): Uint8Array {
  if (cert.issuerKeyId.length !== Size.KEY_ID)
    throw new SpecCodecError('ERR_CERT', 'issuerKeyId must be 8 bytes');
  assertPublicKey(cert.publicKey, 'certificate public key');
  if (cert.notAfter < cert.notBefore) throw new SpecCodecError('ERR_CERT', 'notAfter is before notBefore');
  const isCard = cert.type === 'card';
  return concatBytes(
    new Uint8Array([CERT_VERSION, isCard ? CertType.CARD : CertType.TERMINAL]),
    cert.issuerKeyId,
    isCard ? encodeCardNumber(cert.cardNumber) : encodeEntityId(cert.terminalId, 'terminal id'),
    isCard ? new Uint8Array(Size.MERCHANT_ID) : encodeEntityId(cert.merchantId, 'merchant id'),
    u16(isCard ? 0 : cert.capabilities),
    u32(cert.notBefore),
    u32(cert.notAfter),
    cert.publicKey,
  );
}

/** The message a CA signs: domain tag ‖ certificate body. */
export function certificateSigningMessage(body: Uint8Array): Uint8Array {
  return concatBytes(domainTag(DomainTag.CERTIFICATE), body);
}

export function encodeCertificate(cert: Certificate): Uint8Array {
  if (cert.signature.length !== Size.SIGNATURE)
    throw new SpecCodecError('ERR_CERT', 'signature must be 64 bytes');
  return concatBytes(encodeCertificateBody(cert), cert.signature);
}

/** Signs a certificate body with a CA private key (development PKI and tests). */
export function signCertificate(cert: UnsignedCertificate, caPrivateKey: Uint8Array): Certificate {
  const signature = signMessage(caPrivateKey, certificateSigningMessage(encodeCertificateBody(cert)));
  return { ...cert, signature } as Certificate;
}

export function decodeCertificate(bytes: Uint8Array): Certificate {
  if (bytes.length !== Size.CERTIFICATE) {
    throw new SpecCodecError(
      'ERR_CERT',
      `certificate must be ${Size.CERTIFICATE} bytes, got ${bytes.length}`,
    );
  }
  const r = new ByteReader(bytes, 'certificate');
  const version = r.u8('version');
  if (version !== CERT_VERSION)
    throw new SpecCodecError('ERR_CERT_VERSION', `unknown certificate version ${version}`, 0);
  const type = r.u8('type');
  const issuerKeyId = r.take(8, 'issuerKeyId').slice();
  const subject = r.take(8, 'subject');
  const merchant = r.take(8, 'merchantId');
  const capabilities = r.u16('capabilities');
  const notBefore = r.u32('notBefore');
  const notAfter = r.u32('notAfter');
  const publicKey = r.take(Size.PUBLIC_KEY, 'publicKey').slice();
  const signature = r.take(Size.SIGNATURE, 'signature').slice();
  r.end();
  if (publicKey[0] !== 0x04) throw new SpecCodecError('ERR_PUBLIC_KEY', 'public key is not uncompressed', 36);
  if (type === CertType.CARD) {
    return {
      type: 'card',
      issuerKeyId,
      cardNumber: decodeCardNumber(subject, 10),
      notBefore,
      notAfter,
      publicKey,
      signature,
    };
  }
  if (type === CertType.TERMINAL) {
    return {
      type: 'terminal',
      issuerKeyId,
      terminalId: decodeEntityId(subject, 'terminal id', 10),
      merchantId: decodeEntityId(merchant, 'merchant id', 18),
      capabilities,
      notBefore,
      notAfter,
      publicKey,
      signature,
    };
  }
  throw new SpecCodecError('ERR_CERT_TYPE', `unknown certificate type 0x${type.toString(16)}`, 1);
}

/** Verifies a certificate's signature with the CA public key it names (checks the key id too). */
export function verifyCertificateSignature(cert: Certificate, caPublicKey: Uint8Array): boolean {
  const id = keyIdOf(caPublicKey);
  if (id.length !== cert.issuerKeyId.length || id.some((b, i) => b !== cert.issuerKeyId[i])) return false;
  return verifyMessage(caPublicKey, certificateSigningMessage(encodeCertificateBody(cert)), cert.signature);
}

/** Verifies an encoded certificate over its exact bytes (no re-encoding) and returns it decoded. */
export function verifyCertificateBytes(
  bytes: Uint8Array,
  caPublicKey: Uint8Array,
  verify: SignatureVerify = verifyMessage,
): Certificate | undefined {
  const cert = decodeCertificate(bytes);
  const id = keyIdOf(caPublicKey);
  if (id.some((b, i) => b !== cert.issuerKeyId[i])) return undefined;
  const message = certificateSigningMessage(bytes.subarray(0, Size.CERTIFICATE_TBS));
  return verify(caPublicKey, message, cert.signature) ? cert : undefined;
}
