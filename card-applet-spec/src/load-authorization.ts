import { ByteReader, concatBytes, u32 } from './bytes';
import { type CardNumber, decodeCardNumber, encodeCardNumber } from './card-number';
import { DomainTag, Size } from './constants';
import { domainTag, signMessage, verifyMessage } from './crypto';
import { SpecCodecError } from './errors';
import { decodeBillRef, decodeEntityId, type EntityId, encodeBillRef, encodeEntityId } from './ids';

/**
 * RELOAD data (SPEC.md §6.10, signed as §8.4): an authorization signed by the issuer's load authority, bound to
 * one card, its current counter and a fresh card challenge, so it can be used once only. 144 bytes:
 *
 * | off | len | field |
 * |----:|----:|-------|
 * | 0  | 8  | key id of the load-authority key (a LOAD_AUTHORITY key on the card) |
 * | 8  | 8  | card number (BCD) |
 * | 16 | 4  | card counter before the reload |
 * | 20 | 16 | card challenge |
 * | 36 | 4  | amount, cents (0 = online contact only: resets offline spend) |
 * | 40 | 4  | issuer time, Unix seconds (the card's trusted-time high-water mark) |
 * | 44 | 8  | terminal id |
 * | 52 | 4  | terminal sequence number |
 * | 56 | 8  | terminal nonce |
 * | 64 | 16 | load reference (e.g. the mobile-money receipt) |
 * | 80 | 64 | signature over "HUDUMA-LOAD-v1"(16) ‖ bytes 0..79 |
 */
export interface LoadAuthorization {
  keyId: Uint8Array;
  cardNumber: CardNumber;
  cardCounter: number;
  cardChallenge: Uint8Array;
  amount: number;
  time: number;
  terminalId: EntityId;
  terminalSeq: number;
  terminalNonce: Uint8Array;
  loadRef: string;
  signature: Uint8Array;
}

export function encodeLoadAuthorizationBody(auth: Omit<LoadAuthorization, 'signature'>): Uint8Array {
  if (auth.keyId.length !== Size.KEY_ID) throw new SpecCodecError('ERR_KEY_ID', 'key id must be 8 bytes');
  if (auth.cardChallenge.length !== Size.CHALLENGE)
    throw new SpecCodecError('ERR_CHALLENGE', 'challenge must be 16 bytes');
  if (auth.terminalNonce.length !== Size.NONCE)
    throw new SpecCodecError('ERR_NONCE', 'terminal nonce must be 8 bytes');
  return concatBytes(
    auth.keyId,
    encodeCardNumber(auth.cardNumber),
    u32(auth.cardCounter),
    auth.cardChallenge,
    u32(auth.amount),
    u32(auth.time),
    encodeEntityId(auth.terminalId, 'terminal id'),
    u32(auth.terminalSeq),
    auth.terminalNonce,
    encodeBillRef(auth.loadRef),
  );
}

export function loadAuthorizationSigningMessage(body: Uint8Array): Uint8Array {
  return concatBytes(domainTag(DomainTag.LOAD), body);
}

export function encodeLoadAuthorization(auth: LoadAuthorization): Uint8Array {
  if (auth.signature.length !== Size.SIGNATURE)
    throw new SpecCodecError('ERR_SIGNATURE', 'signature must be 64 bytes');
  return concatBytes(encodeLoadAuthorizationBody(auth), auth.signature);
}

/** Signs a load authorization (clearing service / tests). */
export function signLoadAuthorization(
  auth: Omit<LoadAuthorization, 'signature'>,
  loadAuthorityPrivateKey: Uint8Array,
): LoadAuthorization {
  const signature = signMessage(
    loadAuthorityPrivateKey,
    loadAuthorizationSigningMessage(encodeLoadAuthorizationBody(auth)),
  );
  return { ...auth, signature };
}

export function decodeLoadAuthorization(bytes: Uint8Array): LoadAuthorization {
  const r = new ByteReader(bytes, 'load authorization');
  const auth: LoadAuthorization = {
    keyId: r.take(8, 'keyId').slice(),
    cardNumber: decodeCardNumber(r.take(8, 'cardNumber'), 8),
    cardCounter: r.u32('cardCounter'),
    cardChallenge: r.take(16, 'cardChallenge').slice(),
    amount: r.u32('amount'),
    time: r.u32('time'),
    terminalId: decodeEntityId(r.take(8, 'terminalId'), 'terminal id', 44),
    terminalSeq: r.u32('terminalSeq'),
    terminalNonce: r.take(8, 'terminalNonce').slice(),
    loadRef: decodeBillRef(r.take(16, 'loadRef'), 64),
    signature: r.take(64, 'signature').slice(),
  };
  r.end();
  return auth;
}

/** Verifies an encoded load authorization over its exact bytes. */
export function verifyLoadAuthorizationBytes(bytes: Uint8Array, loadAuthorityPublicKey: Uint8Array): boolean {
  if (bytes.length !== Size.LOAD_AUTHORIZATION) return false;
  return verifyMessage(
    loadAuthorityPublicKey,
    loadAuthorizationSigningMessage(bytes.subarray(0, Size.LOAD_AUTHORIZATION_TBS)),
    bytes.subarray(Size.LOAD_AUTHORIZATION_TBS),
  );
}
