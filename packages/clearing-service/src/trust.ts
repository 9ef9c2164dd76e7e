/**
 * Trust anchors and the verification caches of the hot path. Every uploaded record carries the
 * card's 230-byte v2 certificate (SPEC.md §5); a card certificate is verified once (cached by its
 * exact bytes) and its signing key PK.card is turned into a node:crypto KeyObject once, so each
 * record costs one OpenSSL P-256 verify and nothing else of note.
 *
 * A v2 terminal certificate (165 bytes) certifies one key, QT (keyAgreementKey). Cards use it for
 * ECDH; the terminal also signs its log checkpoints, seals and its requests to this service with
 * it (separate domain tags, see the txlog README), so QT is the key those signatures verify with.
 */
import { type KeyObject, verify } from 'node:crypto';
import {
  type CardCertificate,
  certificateSigningMessage,
  decodeCertificate,
  encodeCardNumber,
  Size,
  type TerminalCertificate,
} from '@huduma/card-applet-spec';
import { isP256Point, p256PublicKeyObject } from '@huduma/pki';
import { ClearingError } from './errors';
import { sha256 } from './sha256';

export interface TrustAnchors {
  /** Issuer CA public keys (65-byte SEC1) that certify cards. Several allow a key rollover. */
  issuerCaKeys: readonly Uint8Array[];
  /** Acquirer CA public keys that certify terminals. */
  acquirerCaKeys: readonly Uint8Array[];
}

/** A certificate problem, with the HTTP status and stable code the API answers with. */
export class CertificateError extends ClearingError {
  override name = 'CertificateError';
  constructor(
    code:
      | 'ERR_TERMINAL_CERT_INVALID'
      | 'ERR_TERMINAL_CERT_UNTRUSTED'
      | 'ERR_TERMINAL_CERT_EXPIRED'
      | 'ERR_CARD_CERT_INVALID'
      | 'ERR_CARD_CERT_UNTRUSTED',
    message: string,
  ) {
    super(code, message);
  }
}

/** node:crypto key for a raw uncompressed P-256 point; throws (PkiError) on a point not on the curve. */
export const p256KeyObject: (publicKey: Uint8Array) => KeyObject = p256PublicKeyObject;

/** ECDSA P-256 / SHA-256 / raw r||s with OpenSSL; high-S accepted (cards do not normalise s). */
export function verifyRaw(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

function keyIdHex(publicKey: Uint8Array): string {
  return Buffer.from(sha256(publicKey).subarray(0, 8)).toString('hex');
}

export interface VerifiedCardCertificate {
  cert: CardCertificate;
  /**
   * PK.card (signingKey) as a KeyObject, to verify the card's transaction proofs on this thread;
   * built on first use (the verify pool's threads import the raw key themselves).
   */
  readonly key: KeyObject;
  /** The certificate's card number in BCD (8 bytes), as the card's transaction proofs sign it. */
  cardNumberBytes: Uint8Array;
}

export interface VerifiedTerminalCertificate {
  cert: TerminalCertificate;
  /** QT (keyAgreementKey), the terminal's one certified key: verifies its checkpoints, seals and requests. */
  key: KeyObject;
}

/**
 * A number from a certificate's last 53 bits (the tail of its signature): every uploaded record
 * looks its card's certificate up, and a string of the 230 bytes was one more allocation per
 * record. Two certificates with the same tail share a slot; the bytes are compared on a hit.
 */
function certificateCacheKey(b: Uint8Array): number {
  const n = b.length;
  if (n < 7) return -1;
  const high = ((b[n - 1]! << 24) | (b[n - 2]! << 16) | (b[n - 3]! << 8) | b[n - 4]!) >>> 0;
  const low = (b[n - 5]! << 13) | (b[n - 6]! << 5) | (b[n - 7]! >>> 3);
  return high * 2 ** 21 + low;
}

/** Cache bound: a few hundred thousand cards fit easily; beyond that the cache restarts. */
const MAX_CACHED_CERTIFICATES = 500_000;

export class TrustStore {
  private readonly issuers = new Map<string, KeyObject>();
  private readonly acquirers = new Map<string, KeyObject>();
  /** Verified card certificates by certificateCacheKey, with their exact bytes (keys can collide). */
  private readonly cards = new Map<number, { bytes: Uint8Array; verified: VerifiedCardCertificate }>();
  private readonly terminals = new Map<string, VerifiedTerminalCertificate>();

  constructor(anchors: TrustAnchors) {
    for (const k of anchors.issuerCaKeys) this.issuers.set(keyIdHex(k), p256KeyObject(k));
    for (const k of anchors.acquirerCaKeys) this.acquirers.set(keyIdHex(k), p256KeyObject(k));
  }

  /**
   * Verifies a card certificate over its exact bytes against a trusted issuer CA key, once per
   * distinct certificate. Validity dates are checked by the caller against the proof's time.
   */
  cardCertificate(bytes: Uint8Array): VerifiedCardCertificate {
    const cacheKey = certificateCacheKey(bytes);
    const hit = this.cards.get(cacheKey);
    // memcmp, not a constant-time loop: certificates are public, and this runs for every record.
    if (hit && hit.bytes.length === bytes.length && Buffer.compare(hit.bytes, bytes) === 0)
      return hit.verified;
    let cert: CardCertificate;
    try {
      const decoded = decodeCertificate(bytes);
      if (decoded.type !== 'card') throw new Error('not a card certificate (type 01, 230 bytes)');
      cert = decoded;
    } catch (error) {
      throw new CertificateError('ERR_CARD_CERT_INVALID', `card certificate: ${(error as Error).message}`);
    }
    const ca = this.issuers.get(Buffer.from(cert.issuerKeyId).toString('hex'));
    if (!ca) {
      throw new CertificateError(
        'ERR_CARD_CERT_UNTRUSTED',
        `card certificate issuer key ${Buffer.from(cert.issuerKeyId).toString('hex')} is not a trusted issuer CA`,
      );
    }
    const message = certificateSigningMessage(bytes.subarray(0, Size.CARD_CERTIFICATE_TBS));
    if (!verifyRaw(ca, message, cert.signature)) {
      throw new CertificateError('ERR_CARD_CERT_UNTRUSTED', 'card certificate signature does not verify');
    }
    // decodeCertificate checks formats only: both keys must be points on P-256 (§4.8.1 step 5).
    // QA.card is never used by this service, but a certificate with a bad one is not a
    // certificate a conforming issuer signs. Checked here in BigInt arithmetic (~3 µs): importing
    // a KeyObject costs as much as a verification, and with the verify pool this thread never
    // uses PK.card itself.
    for (const [name, point] of [
      ['PK.card', cert.signingKey],
      ['QA.card', cert.keyAgreementKey],
    ] as const) {
      if (!isP256Point(point))
        throw new CertificateError(
          'ERR_CARD_CERT_INVALID',
          `card certificate key ${name}: not a point on P-256`,
        );
    }
    if (this.cards.size >= MAX_CACHED_CERTIFICATES) this.cards.clear();
    let key: KeyObject | undefined;
    const verified: VerifiedCardCertificate = {
      cert,
      cardNumberBytes: encodeCardNumber(cert.cardNumber),
      get key() {
        key ??= p256KeyObject(cert.signingKey);
        return key;
      },
    };
    // A copy: `bytes` is usually a view into an upload body the cache must not keep alive.
    this.cards.set(cacheKey, { bytes: bytes.slice(), verified });
    return verified;
  }

  /**
   * Verifies a terminal certificate: format, trusted acquirer CA, signature (cached by bytes) and,
   * every time, the validity window at `nowSeconds`.
   */
  terminalCertificate(bytes: Uint8Array, nowSeconds: number): VerifiedTerminalCertificate {
    const cacheKey = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    let verified = this.terminals.get(cacheKey);
    if (!verified) {
      let cert: TerminalCertificate;
      try {
        const decoded = decodeCertificate(bytes);
        if (decoded.type !== 'terminal') throw new Error('not a terminal certificate (type 02, 165 bytes)');
        cert = decoded;
      } catch (error) {
        throw new CertificateError(
          'ERR_TERMINAL_CERT_INVALID',
          `terminal certificate: ${(error as Error).message}`,
        );
      }
      const ca = this.acquirers.get(Buffer.from(cert.issuerKeyId).toString('hex'));
      if (!ca) {
        throw new CertificateError(
          'ERR_TERMINAL_CERT_UNTRUSTED',
          `terminal certificate issuer key ${Buffer.from(cert.issuerKeyId).toString('hex')} is not a trusted acquirer CA`,
        );
      }
      if (
        !verifyRaw(
          ca,
          certificateSigningMessage(bytes.subarray(0, Size.TERMINAL_CERTIFICATE_TBS)),
          cert.signature,
        )
      ) {
        throw new CertificateError(
          'ERR_TERMINAL_CERT_UNTRUSTED',
          'terminal certificate signature does not verify',
        );
      }
      let key: KeyObject;
      try {
        key = p256KeyObject(cert.keyAgreementKey);
      } catch (error) {
        throw new CertificateError(
          'ERR_TERMINAL_CERT_INVALID',
          `terminal key QT: ${(error as Error).message}`,
        );
      }
      if (this.terminals.size >= 10_000) this.terminals.clear();
      verified = { cert, key };
      this.terminals.set(cacheKey, verified);
    }
    const { notBefore, notAfter } = verified.cert;
    if (nowSeconds < notBefore || nowSeconds > notAfter) {
      throw new CertificateError(
        'ERR_TERMINAL_CERT_EXPIRED',
        `terminal certificate of ${verified.cert.terminalId} is valid from ${new Date(notBefore * 1000).toISOString()} to ${new Date(notAfter * 1000).toISOString()}`,
      );
    }
    return verified;
  }
}
