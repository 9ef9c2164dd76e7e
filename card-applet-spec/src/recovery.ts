import { ByteReader, concatBytes, u32 } from './bytes';
import { type CardNumber, encodeCardNumber } from './card-number';
import { DomainTag, Size } from './constants';
import { domainTag, type SignatureVerify, verifyMessage } from './crypto';
import { SpecCodecError } from './errors';
import { decodeEntityId, type EntityId, encodeEntityId } from './ids';
import { decodeTransactionRecord, type TransactionRecord } from './transaction';

/**
 * GET LAST TRANSACTION (SPEC.md §6.12, §10.3): after a tear, the terminal asks whether its request
 * (terminal id, terminal sequence) reached the card. Request, 20 bytes:
 * terminal id 8 ‖ terminal seq 4 ‖ terminal nonce 8.
 */
export interface RecoveryRequest {
  terminalId: EntityId;
  terminalSeq: number;
  terminalNonce: Uint8Array;
}

export function encodeRecoveryRequest(req: RecoveryRequest): Uint8Array {
  if (req.terminalNonce.length !== Size.NONCE)
    throw new SpecCodecError('ERR_NONCE', 'terminal nonce must be 8 bytes');
  return concatBytes(encodeEntityId(req.terminalId, 'terminal id'), u32(req.terminalSeq), req.terminalNonce);
}

export function decodeRecoveryRequest(bytes: Uint8Array): RecoveryRequest {
  const r = new ByteReader(bytes, 'recovery request');
  const req = {
    terminalId: decodeEntityId(r.take(8, 'terminalId'), 'terminal id', 0),
    terminalSeq: r.u32('terminalSeq'),
    terminalNonce: r.take(8, 'terminalNonce').slice(),
  };
  r.end();
  return req;
}

/**
 * Response, 200 bytes: found 1 ‖ current counter 4 ‖ current balance 4 ‖ record 63 ‖ record
 * signature 64 (both zero when not found) ‖ attestation 64. The attestation is the card's
 * signature over "HUDUMA-RCVR-v1"(16) ‖ card number 8 ‖ request 20 ‖ response bytes 0..135, a
 * fresh (nonce-bound) statement of whether the request is in the card's ring at this counter.
 */
export interface RecoveryResponse {
  found: boolean;
  counter: number;
  balance: number;
  /** Exact bytes of the found record and the card's original proof signature (when found). */
  recordBytes?: Uint8Array;
  record?: TransactionRecord;
  recordSignature?: Uint8Array;
  attestation: Uint8Array;
  /** The 136 attested bytes, as received. */
  attestedBytes: Uint8Array;
}

export function encodeRecoveryResponseBody(args: {
  found: boolean;
  counter: number;
  balance: number;
  recordBytes?: Uint8Array;
  recordSignature?: Uint8Array;
}): Uint8Array {
  const record = args.found ? args.recordBytes : new Uint8Array(Size.TRANSACTION_RECORD);
  const signature = args.found ? args.recordSignature : new Uint8Array(Size.SIGNATURE);
  if (
    !record ||
    record.length !== Size.TRANSACTION_RECORD ||
    !signature ||
    signature.length !== Size.SIGNATURE
  ) {
    throw new SpecCodecError(
      'ERR_RECOVERY',
      'a found record needs its 63 record bytes and 64-byte signature',
    );
  }
  return concatBytes(
    new Uint8Array([args.found ? 1 : 0]),
    u32(args.counter),
    u32(args.balance),
    record,
    signature,
  );
}

export function recoveryAttestationMessage(
  cardNumber: CardNumber | Uint8Array,
  requestBytes: Uint8Array,
  responseBody: Uint8Array,
): Uint8Array {
  const cn = typeof cardNumber === 'string' ? encodeCardNumber(cardNumber) : cardNumber;
  return concatBytes(domainTag(DomainTag.RECOVERY), cn, requestBytes, responseBody);
}

export function decodeRecoveryResponse(bytes: Uint8Array): RecoveryResponse {
  if (bytes.length !== Size.RECOVERY_RESPONSE) {
    throw new SpecCodecError(
      'ERR_RECOVERY',
      `recovery response must be ${Size.RECOVERY_RESPONSE} bytes, got ${bytes.length}`,
    );
  }
  const r = new ByteReader(bytes, 'recovery response');
  const flag = r.u8('found');
  if (flag > 1) throw new SpecCodecError('ERR_RECOVERY', 'found flag must be 0 or 1', 0);
  const counter = r.u32('counter');
  const balance = r.u32('balance');
  const recordBytes = r.take(Size.TRANSACTION_RECORD, 'record').slice();
  const recordSignature = r.take(Size.SIGNATURE, 'recordSignature').slice();
  const attestation = r.take(Size.SIGNATURE, 'attestation').slice();
  r.end();
  const attestedBytes = bytes.slice(0, Size.RECOVERY_RESPONSE - Size.SIGNATURE);
  if (!flag) return { found: false, counter, balance, attestation, attestedBytes };
  return {
    found: true,
    counter,
    balance,
    recordBytes,
    record: decodeTransactionRecord(recordBytes),
    recordSignature,
    attestation,
    attestedBytes,
  };
}

/** Verifies the card's attestation over a recovery response for the request that was sent. */
export function verifyRecoveryAttestation(
  cardNumber: CardNumber,
  requestBytes: Uint8Array,
  response: RecoveryResponse,
  cardPublicKey: Uint8Array,
  verify: SignatureVerify = verifyMessage,
): boolean {
  return verify(
    cardPublicKey,
    recoveryAttestationMessage(cardNumber, requestBytes, response.attestedBytes),
    response.attestation,
  );
}
