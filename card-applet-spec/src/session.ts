import { ByteReader, concatBytes } from './bytes';
import { DomainTag, type KeyKindCode, SessionType, Size } from './constants';
import { domainTag } from './crypto';
import { SpecCodecError } from './errors';

/**
 * OPEN SESSION data (SPEC.md §6.16): termCertId 8 ‖ RND.T 16 (TAP, P1 00), plus QE 65 (SECURE, P1 01).
 */
export interface OpenSessionRequest {
  termCertId: Uint8Array;
  rndT: Uint8Array;
  /** The ephemeral terminal key QE; present iff SECURE. */
  ephemeralKey?: Uint8Array;
}

export function encodeOpenSessionRequest(req: OpenSessionRequest): Uint8Array {
  if (req.termCertId.length !== Size.CERT_ID || req.rndT.length !== Size.CHALLENGE) {
    throw new SpecCodecError('ERR_OPEN_SESSION', 'termCertId is 8 bytes and RND.T 16');
  }
  if (req.ephemeralKey && req.ephemeralKey.length !== Size.PUBLIC_KEY) {
    throw new SpecCodecError('ERR_OPEN_SESSION', 'QE must be 65 bytes');
  }
  return concatBytes(req.termCertId, req.rndT, req.ephemeralKey ?? new Uint8Array(0));
}

export function decodeOpenSessionRequest(bytes: Uint8Array, type: number): OpenSessionRequest {
  const r = new ByteReader(bytes, 'OPEN SESSION data');
  const termCertId = r.take(Size.CERT_ID, 'termCertId').slice();
  const rndT = r.take(Size.CHALLENGE, 'RND.T').slice();
  const ephemeralKey = type === SessionType.SECURE ? r.take(Size.PUBLIC_KEY, 'QE').slice() : undefined;
  r.end();
  return ephemeralKey ? { termCertId, rndT, ephemeralKey } : { termCertId, rndT };
}

/** INITIALIZE PERSO response (§7.2), 32 bytes: chipSerial 8 ‖ RND.C 16 ‖ cardCryptogram 8. */
export interface InitializePersoResponse {
  chipSerial: Uint8Array;
  rndC: Uint8Array;
  cardCryptogram: Uint8Array;
}

export function encodeInitializePersoResponse(r: InitializePersoResponse): Uint8Array {
  return concatBytes(r.chipSerial, r.rndC, r.cardCryptogram);
}

export function decodeInitializePersoResponse(bytes: Uint8Array): InitializePersoResponse {
  const r = new ByteReader(bytes, 'INITIALIZE PERSO response');
  const out = {
    chipSerial: r.take(Size.CHIP_SERIAL, 'chipSerial').slice(),
    rndC: r.take(Size.CHALLENGE, 'RND.C').slice(),
    cardCryptogram: r.take(Size.CRYPTOGRAM, 'cardCryptogram').slice(),
  };
  r.end();
  return out;
}

/** Key attestation message M (§8.6): T("HUDUMA-KATT-v2") ‖ chipSerial ‖ kk ‖ publicKey ‖ attNonce = 106 bytes. */
export function keyAttestationMessage(
  chipSerial: Uint8Array,
  kind: KeyKindCode,
  publicKey: Uint8Array,
  attNonce: Uint8Array,
): Uint8Array {
  if (
    chipSerial.length !== Size.CHIP_SERIAL ||
    publicKey.length !== Size.PUBLIC_KEY ||
    attNonce.length !== Size.ATT_NONCE
  ) {
    throw new SpecCodecError('ERR_ATTESTATION', 'chipSerial 8, publicKey 65, attNonce 16 bytes');
  }
  return concatBytes(
    domainTag(DomainTag.KEY_ATTESTATION),
    chipSerial,
    new Uint8Array([kind]),
    publicKey,
    attNonce,
  );
}

/** GENERATE KEY PAIR response payload (§7.5), 145 bytes: publicKey 65 ‖ attSig 64 ‖ attMac 16. */
export interface KeyAttestation {
  publicKey: Uint8Array;
  attSig: Uint8Array;
  attMac: Uint8Array;
}

export function encodeKeyAttestation(a: KeyAttestation): Uint8Array {
  return concatBytes(a.publicKey, a.attSig, a.attMac);
}

export function decodeKeyAttestation(bytes: Uint8Array): KeyAttestation {
  const r = new ByteReader(bytes, 'key attestation');
  const out = {
    publicKey: r.take(Size.PUBLIC_KEY, 'publicKey').slice(),
    attSig: r.take(Size.SIGNATURE, 'attSig').slice(),
    attMac: r.take(Size.ATT_MAC, 'attMac').slice(),
  };
  r.end();
  return out;
}
