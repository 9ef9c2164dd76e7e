import { ByteReader, concatBytes, u16, u32 } from './bytes';
import { type CardNumber, encodeCardNumber } from './card-number';
import { DomainTag, Size, TxType, type TxTypeCode } from './constants';
import { domainTag, type SignatureVerify, verifyMessage } from './crypto';
import { SpecCodecError } from './errors';
import { decodeBillRef, decodeEntityId, type EntityId, encodeBillRef, encodeEntityId } from './ids';

/**
 * One entry of the card's transaction ring, and the body of every card proof (SPEC.md §2.7, signed as §8.3).
 * 63 bytes:
 *
 * | off | len | field |
 * |----:|----:|-------|
 * | 0  | 1  | type: 01 debit, 02 undebit, 03 reload |
 * | 1  | 4  | counter: the card's transaction counter after this transaction |
 * | 5  | 4  | amount in KES cents (always > 0 except a zero-amount online reload) |
 * | 9  | 4  | balance after, cents |
 * | 13 | 4  | cumulative offline spend after, cents |
 * | 17 | 8  | terminal id |
 * | 25 | 4  | terminal sequence number |
 * | 29 | 8  | terminal nonce (the terminal's challenge) |
 * | 37 | 4  | time, Unix seconds: the terminal's clock (debit/undebit) or the issuer's (reload) |
 * | 41 | 16 | bill reference (debit; undebit copies the cancelled debit's) or load reference |
 * | 57 | 2  | service code (debit; undebit copies it) or 0 |
 * | 59 | 4  | referenced counter: the cancelled debit's counter (undebit) or 0 |
 */
export interface TransactionRecord {
  type: TxTypeCode;
  counter: number;
  amount: number;
  balanceAfter: number;
  offlineSpendAfter: number;
  terminalId: EntityId;
  terminalSeq: number;
  terminalNonce: Uint8Array;
  time: number;
  billRef: string;
  serviceCode: number;
  refCounter: number;
}

export function encodeTransactionRecord(rec: TransactionRecord): Uint8Array {
  if (rec.type !== TxType.DEBIT && rec.type !== TxType.UNDEBIT && rec.type !== TxType.RELOAD) {
    throw new SpecCodecError('ERR_TX_TYPE', `unknown transaction type ${rec.type}`);
  }
  if (rec.terminalNonce.length !== Size.NONCE)
    throw new SpecCodecError('ERR_NONCE', 'terminal nonce must be 8 bytes');
  return concatBytes(
    new Uint8Array([rec.type]),
    u32(rec.counter),
    u32(rec.amount),
    u32(rec.balanceAfter),
    u32(rec.offlineSpendAfter),
    encodeEntityId(rec.terminalId, 'terminal id'),
    u32(rec.terminalSeq),
    rec.terminalNonce,
    u32(rec.time),
    encodeBillRef(rec.billRef),
    u16(rec.serviceCode),
    u32(rec.refCounter),
  );
}

export function decodeTransactionRecord(bytes: Uint8Array): TransactionRecord {
  const r = new ByteReader(bytes, 'transaction record');
  const type = r.u8('type');
  if (type !== TxType.DEBIT && type !== TxType.UNDEBIT && type !== TxType.RELOAD) {
    throw new SpecCodecError('ERR_TX_TYPE', `unknown transaction type ${type}`, 0);
  }
  const rec: TransactionRecord = {
    type,
    counter: r.u32('counter'),
    amount: r.u32('amount'),
    balanceAfter: r.u32('balanceAfter'),
    offlineSpendAfter: r.u32('offlineSpendAfter'),
    terminalId: decodeEntityId(r.take(8, 'terminalId'), 'terminal id', 17),
    terminalSeq: r.u32('terminalSeq'),
    terminalNonce: r.take(8, 'terminalNonce').slice(),
    time: r.u32('time'),
    billRef: decodeBillRef(r.take(16, 'billRef'), 41),
    serviceCode: r.u16('serviceCode'),
    refCounter: r.u32('refCounter'),
  };
  r.end();
  return rec;
}

/** The message a card signs for a transaction: "HUDUMA-TXN-v1"(16) ‖ card number (8, BCD) ‖ record (63). */
export function transactionSigningMessage(
  cardNumber: CardNumber | Uint8Array,
  recordBytes: Uint8Array,
): Uint8Array {
  const cn = typeof cardNumber === 'string' ? encodeCardNumber(cardNumber) : cardNumber;
  return concatBytes(domainTag(DomainTag.TRANSACTION), cn, recordBytes);
}

/**
 * A card proof as returned by DEBIT, UNDEBIT, RELOAD and READ RECORD: the exact record bytes the
 * card signed (63) followed by the card's signature (64). `DebitProof` is the debit case.
 */
export interface TransactionProof {
  /** The 63 record bytes exactly as signed; keep these, not a re-encoding. */
  recordBytes: Uint8Array;
  record: TransactionRecord;
  signature: Uint8Array;
}
export type DebitProof = TransactionProof;

export function decodeTransactionProof(bytes: Uint8Array): TransactionProof {
  if (bytes.length !== Size.TRANSACTION_PROOF) {
    throw new SpecCodecError(
      'ERR_PROOF',
      `transaction proof must be ${Size.TRANSACTION_PROOF} bytes, got ${bytes.length}`,
    );
  }
  const recordBytes = bytes.slice(0, Size.TRANSACTION_RECORD);
  return {
    recordBytes,
    record: decodeTransactionRecord(recordBytes),
    signature: bytes.slice(Size.TRANSACTION_RECORD),
  };
}

export function encodeTransactionProof(
  proof: Pick<TransactionProof, 'recordBytes' | 'signature'>,
): Uint8Array {
  return concatBytes(proof.recordBytes, proof.signature);
}

/** Verifies a card proof with the card's public key (from its verified certificate). */
export function verifyTransactionProof(
  cardNumber: CardNumber,
  proof: Pick<TransactionProof, 'recordBytes' | 'signature'>,
  cardPublicKey: Uint8Array,
  verify: SignatureVerify = verifyMessage,
): boolean {
  return verify(cardPublicKey, transactionSigningMessage(cardNumber, proof.recordBytes), proof.signature);
}
