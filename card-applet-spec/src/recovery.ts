import { ByteReader, concatBytes, u32 } from './bytes';
import { type CardNumber, encodeCardNumber } from './card-number';
import { DomainTag, Size, TransactionStatus, type TransactionStatusCode } from './constants';
import { domainTag, type SignatureVerify, verifyMessage } from './crypto';
import { SpecCodecError } from './errors';
import { decodeTransactionRecord, type TransactionRecord } from './transaction';

/**
 * GET TRANSACTION (SPEC.md §6.12): the terminal asks by the counter it journaled (k =
 * expectedCounter + 1). Request, 12 bytes: counter k 4 ‖ terminalNonce 8 (fresh).
 */
export interface GetTransactionRequest {
  counter: number;
  terminalNonce: Uint8Array;
}

export function encodeGetTransactionRequest(req: GetTransactionRequest): Uint8Array {
  if (req.terminalNonce.length !== Size.NONCE)
    throw new SpecCodecError('ERR_NONCE', 'terminal nonce must be 8 bytes');
  return concatBytes(u32(req.counter), req.terminalNonce);
}

export function decodeGetTransactionRequest(bytes: Uint8Array): GetTransactionRequest {
  const r = new ByteReader(bytes, 'GET TRANSACTION request');
  const req = { counter: r.u32('counter'), terminalNonce: r.take(8, 'terminalNonce').slice() };
  r.end();
  return req;
}

/**
 * Response, 207 bytes: status 1 ‖ counter 4 ‖ syncedThrough 4 ‖ balance 4 ‖ record 66 ‖ record
 * signature 64 (zeros unless FOUND) ‖ attestation 64 over T("HUDUMA-RCVR-v2") ‖ card number ‖
 * request (12) ‖ bytes 0..142 (§8.5).
 */
export interface GetTransactionResponse {
  status: TransactionStatusCode;
  counter: number;
  syncedThrough: number;
  balance: number;
  recordBytes?: Uint8Array;
  record?: TransactionRecord;
  recordSignature?: Uint8Array;
  attestation: Uint8Array;
  /** The 143 attested bytes, as received. */
  attestedBytes: Uint8Array;
}

export function encodeGetTransactionResponseBody(args: {
  status: TransactionStatusCode;
  counter: number;
  syncedThrough: number;
  balance: number;
  recordBytes?: Uint8Array;
  recordSignature?: Uint8Array;
}): Uint8Array {
  const found = args.status === TransactionStatus.FOUND;
  const record = found ? args.recordBytes : new Uint8Array(Size.TRANSACTION_RECORD);
  const signature = found ? args.recordSignature : new Uint8Array(Size.SIGNATURE);
  if (record?.length !== Size.TRANSACTION_RECORD || signature?.length !== Size.SIGNATURE) {
    throw new SpecCodecError(
      'ERR_RECOVERY',
      'a FOUND answer needs the 66 record bytes and the 64-byte signature',
    );
  }
  return concatBytes(
    new Uint8Array([args.status]),
    u32(args.counter),
    u32(args.syncedThrough),
    u32(args.balance),
    record,
    signature,
  );
}

/** §8.5: T("HUDUMA-RCVR-v2") ‖ card number 8 ‖ request 12 ‖ response bytes 0..142 = 179 bytes. */
export function recoveryAttestationMessage(
  cardNumber: CardNumber | Uint8Array,
  requestBytes: Uint8Array,
  attestedBytes: Uint8Array,
): Uint8Array {
  const cn = typeof cardNumber === 'string' ? encodeCardNumber(cardNumber) : cardNumber;
  return concatBytes(domainTag(DomainTag.RECOVERY), cn, requestBytes, attestedBytes);
}

export function decodeGetTransactionResponse(bytes: Uint8Array): GetTransactionResponse {
  if (bytes.length !== Size.GET_TRANSACTION_RESPONSE) {
    throw new SpecCodecError(
      'ERR_RECOVERY',
      `GET TRANSACTION response must be 207 bytes, got ${bytes.length}`,
    );
  }
  const r = new ByteReader(bytes, 'GET TRANSACTION response');
  const status = r.u8('status');
  if (status < 1 || status > 3) throw new SpecCodecError('ERR_RECOVERY', `unknown status ${status}`, 0);
  const counter = r.u32('counter');
  const syncedThrough = r.u32('syncedThrough');
  const balance = r.u32('balance');
  const recordBytes = r.take(Size.TRANSACTION_RECORD, 'record').slice();
  const recordSignature = r.take(Size.SIGNATURE, 'recordSignature').slice();
  const attestation = r.take(Size.SIGNATURE, 'attestation').slice();
  r.end();
  const attestedBytes = bytes.slice(0, Size.GET_TRANSACTION_ATTESTED);
  const base = {
    status: status as TransactionStatusCode,
    counter,
    syncedThrough,
    balance,
    attestation,
    attestedBytes,
  };
  if (status !== TransactionStatus.FOUND) return base;
  return { ...base, recordBytes, record: decodeTransactionRecord(recordBytes), recordSignature };
}

/** Verifies the card's attestation over a GET TRANSACTION answer for the request that was sent. */
export function verifyRecoveryAttestation(
  cardNumber: CardNumber,
  requestBytes: Uint8Array,
  response: Pick<GetTransactionResponse, 'attestedBytes' | 'attestation'>,
  cardSigningKey: Uint8Array,
  verify: SignatureVerify = verifyMessage,
): boolean {
  return verify(
    cardSigningKey,
    recoveryAttestationMessage(cardNumber, requestBytes, response.attestedBytes),
    response.attestation,
  );
}
