import { ByteReader, concatBytes, u16, u32 } from './bytes';
import { Outcome, type OutcomeCode, Size } from './constants';
import { SpecCodecError } from './errors';
import { decodeBillRef, encodeBillRef } from './ids';
import { assertBcdCurrency } from './purse';
import { decodeTransactionProof, type TransactionProof } from './transaction';

/**
 * DEBIT request (SPEC.md §6.8), 44 bytes, sent MAC-only in a TAP or SECURE session:
 * expectedCounter 4 ‖ amount 4 ‖ currency 2 ‖ terminalSeq 4 ‖ terminalNonce 8 ‖ time 4 ‖
 * billRef 16 ‖ serviceCode 2. `expectedCounter` is the card counter the terminal journaled: the
 * card executes the debit only while its counter equals it (compare-and-swap).
 */
export interface DebitRequest {
  expectedCounter: number;
  amount: number;
  currency: number;
  terminalSeq: number;
  terminalNonce: Uint8Array;
  time: number;
  billRef: string;
  serviceCode: number;
}

export function encodeDebitRequest(req: DebitRequest): Uint8Array {
  if (req.terminalNonce.length !== Size.NONCE)
    throw new SpecCodecError('ERR_NONCE', 'terminal nonce must be 8 bytes');
  assertBcdCurrency(req.currency);
  return concatBytes(
    u32(req.expectedCounter),
    u32(req.amount),
    u16(req.currency),
    u32(req.terminalSeq),
    req.terminalNonce,
    u32(req.time),
    encodeBillRef(req.billRef),
    u16(req.serviceCode),
  );
}

/** Decodes a debit request; throws on a non-BCD currency or a malformed bill reference (card: REFUSED 6A80). */
export function decodeDebitRequest(bytes: Uint8Array): DebitRequest {
  const r = new ByteReader(bytes, 'debit request');
  const req = {
    expectedCounter: r.u32('expectedCounter'),
    amount: r.u32('amount'),
    currency: r.u16('currency'),
    terminalSeq: r.u32('terminalSeq'),
    terminalNonce: r.take(8, 'terminalNonce').slice(),
    time: r.u32('time'),
    billRef: decodeBillRef(r.take(16, 'billRef'), 26),
    serviceCode: r.u16('serviceCode'),
  };
  r.end();
  assertBcdCurrency(req.currency, 8);
  return req;
}

/**
 * UNDEBIT request (§6.9), 26 bytes: refCounter 4 ‖ amount 4 ‖ currency 2 ‖ terminalSeq 4 ‖
 * terminalNonce 8 ‖ time 4. refCounter is the cancelled debit's counter (= the card's counter now).
 */
export interface UndebitRequest {
  refCounter: number;
  amount: number;
  currency: number;
  terminalSeq: number;
  terminalNonce: Uint8Array;
  time: number;
}

export function encodeUndebitRequest(req: UndebitRequest): Uint8Array {
  if (req.terminalNonce.length !== Size.NONCE)
    throw new SpecCodecError('ERR_NONCE', 'terminal nonce must be 8 bytes');
  assertBcdCurrency(req.currency);
  return concatBytes(
    u32(req.refCounter),
    u32(req.amount),
    u16(req.currency),
    u32(req.terminalSeq),
    req.terminalNonce,
    u32(req.time),
  );
}

export function decodeUndebitRequest(bytes: Uint8Array): UndebitRequest {
  const r = new ByteReader(bytes, 'undebit request');
  const req = {
    refCounter: r.u32('refCounter'),
    amount: r.u32('amount'),
    currency: r.u16('currency'),
    terminalSeq: r.u32('terminalSeq'),
    terminalNonce: r.take(8, 'terminalNonce').slice(),
    time: r.u32('time'),
  };
  r.end();
  assertBcdCurrency(req.currency, 8);
  return req;
}

/**
 * The DEBIT / UNDEBIT response body inside SM (§6.8): outcome 1 ‖ reason 2 ‖ counter 4 ‖
 * syncedThrough 4 [‖ record 66 ‖ signature 64 for EXECUTED / ALREADY_APPLIED].
 */
export type ValueResponse =
  | {
      outcome: typeof Outcome.EXECUTED | typeof Outcome.ALREADY_APPLIED;
      reason: 0x9000;
      counter: number;
      syncedThrough: number;
      proof: TransactionProof;
    }
  | {
      outcome: typeof Outcome.STALE | typeof Outcome.REFUSED;
      /** 9F11 for STALE, the refusal status word for REFUSED. */
      reason: number;
      counter: number;
      syncedThrough: number;
    };

export function encodeValueResponse(args: {
  outcome: OutcomeCode;
  reason: number;
  counter: number;
  syncedThrough: number;
  proofBytes?: Uint8Array;
}): Uint8Array {
  const withProof = args.outcome === Outcome.EXECUTED || args.outcome === Outcome.ALREADY_APPLIED;
  if (
    withProof !== (args.proofBytes !== undefined) ||
    (withProof && args.proofBytes?.length !== Size.TRANSACTION_PROOF)
  ) {
    throw new SpecCodecError(
      'ERR_VALUE_RESPONSE',
      'EXECUTED / ALREADY_APPLIED carry a 130-byte proof, others none',
    );
  }
  return concatBytes(
    new Uint8Array([args.outcome]),
    u16(args.reason),
    u32(args.counter),
    u32(args.syncedThrough),
    args.proofBytes ?? new Uint8Array(0),
  );
}

export function decodeValueResponse(bytes: Uint8Array): ValueResponse {
  const r = new ByteReader(bytes, 'value response');
  const outcome = r.u8('outcome');
  const reason = r.u16('reason');
  const counter = r.u32('counter');
  const syncedThrough = r.u32('syncedThrough');
  if (outcome === Outcome.EXECUTED || outcome === Outcome.ALREADY_APPLIED) {
    const proof = decodeTransactionProof(r.take(Size.TRANSACTION_PROOF, 'proof'));
    r.end();
    if (reason !== 0x9000)
      throw new SpecCodecError('ERR_VALUE_RESPONSE', 'executed outcome with a reason', 1);
    return { outcome, reason: 0x9000, counter, syncedThrough, proof };
  }
  r.end();
  if (outcome === Outcome.STALE || outcome === Outcome.REFUSED)
    return { outcome, reason, counter, syncedThrough };
  throw new SpecCodecError('ERR_VALUE_RESPONSE', `unknown outcome ${outcome}`, 0);
}

/** BLOCK CARD request (§6.14), 9 bytes: reason 1 ‖ terminalSeq 4 ‖ time 4. */
export interface BlockRequest {
  reason: number;
  terminalSeq: number;
  time: number;
}

export function encodeBlockRequest(req: BlockRequest): Uint8Array {
  return concatBytes(new Uint8Array([req.reason]), u32(req.terminalSeq), u32(req.time));
}

export function decodeBlockRequest(bytes: Uint8Array): BlockRequest {
  const r = new ByteReader(bytes, 'block request');
  const req = { reason: r.u8('reason'), terminalSeq: r.u32('terminalSeq'), time: r.u32('time') };
  r.end();
  return req;
}
