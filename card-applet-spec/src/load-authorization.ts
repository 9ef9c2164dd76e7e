import { ByteReader, concatBytes, u16, u32 } from './bytes';
import { type CardNumber, decodeCardNumber, encodeCardNumber } from './card-number';
import { DomainTag, Size } from './constants';
import { domainTag, type SignatureVerify, signMessage, verifyMessage } from './crypto';
import { SpecCodecError } from './errors';
import { decodeBillRef, decodeEntityId, type EntityId, encodeBillRef, encodeEntityId } from './ids';
import { assertBcdCurrency } from './purse';

/**
 * RELOAD data (SPEC.md §6.10, signed as §8.4), 146 bytes: keyId 8 ‖ card number 8 ‖ counter 4 ‖
 * challenge 16 ‖ amount 4 ‖ currency 2 ‖ time 4 ‖ terminalId 8 ‖ terminalSeq 4 ‖ terminalNonce 8 ‖
 * loadRef 16 ‖ signature 64 over T("HUDUMA-LOAD-v2") ‖ bytes 0..81. Bound to one card, its
 * counter and its current challenge: usable once.
 */
export interface LoadAuthorization {
  keyId: Uint8Array;
  cardNumber: CardNumber;
  cardCounter: number;
  cardChallenge: Uint8Array;
  amount: number;
  currency: number;
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
  assertBcdCurrency(auth.currency);
  return concatBytes(
    auth.keyId,
    encodeCardNumber(auth.cardNumber),
    u32(auth.cardCounter),
    auth.cardChallenge,
    u32(auth.amount),
    u16(auth.currency),
    u32(auth.time),
    encodeEntityId(auth.terminalId, 'terminal id'),
    u32(auth.terminalSeq),
    auth.terminalNonce,
    encodeBillRef(auth.loadRef),
  );
}

export function loadAuthorizationSigningMessage(tbs: Uint8Array): Uint8Array {
  return concatBytes(domainTag(DomainTag.LOAD), tbs);
}

export function encodeLoadAuthorization(auth: LoadAuthorization): Uint8Array {
  if (auth.signature.length !== Size.SIGNATURE)
    throw new SpecCodecError('ERR_SIGNATURE', 'signature must be 64 bytes');
  return concatBytes(encodeLoadAuthorizationBody(auth), auth.signature);
}

/** Signs a load authorization (load authority / clearing service / tests). */
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
    currency: r.u16('currency'),
    time: r.u32('time'),
    terminalId: decodeEntityId(r.take(8, 'terminalId'), 'terminal id', 46),
    terminalSeq: r.u32('terminalSeq'),
    terminalNonce: r.take(8, 'terminalNonce').slice(),
    loadRef: decodeBillRef(r.take(16, 'loadRef'), 66),
    signature: r.take(64, 'signature').slice(),
  };
  r.end();
  return auth;
}

/** Verifies an encoded load authorization over its exact bytes. */
export function verifyLoadAuthorizationBytes(
  bytes: Uint8Array,
  loadAuthorityPublicKey: Uint8Array,
  verify: SignatureVerify = verifyMessage,
): boolean {
  if (bytes.length !== Size.LOAD_AUTHORIZATION) return false;
  return verify(
    loadAuthorityPublicKey,
    loadAuthorizationSigningMessage(bytes.subarray(0, Size.LOAD_AUTHORIZATION_TBS)),
    bytes.subarray(Size.LOAD_AUTHORIZATION_TBS),
  );
}
