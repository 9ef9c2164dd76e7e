import { ByteReader, concatBytes, u16, u32 } from './bytes';
import { type CardNumber, encodeCardNumber } from './card-number';
import { Cvm, DomainTag, Size, TxType, type TxTypeCode } from './constants';
import { domainTag, type SignatureVerify, verifyMessage } from './crypto';
import { SpecCodecError } from './errors';
import { decodeBillRef, decodeEntityId, type EntityId, encodeBillRef, encodeEntityId } from './ids';
import { assertBcdCurrency } from './purse';

/**
 * A transaction record (SPEC.md §2.7), 66 bytes: type 1 ‖ counter 4 ‖ amount 4 ‖ currency 2 ‖
 * balanceAfter 4 ‖ offlineSpendAfter 4 ‖ terminalId 8 ‖ terminalSeq 4 ‖ terminalNonce 8 ‖ time 4 ‖
 * billRef 16 ‖ serviceCode 2 ‖ refCounter 4 ‖ cvm 1.
 */
export interface TransactionRecord {
  type: TxTypeCode;
  counter: number;
  amount: number;
  /** BCD ISO 4217 (KES = 0x0404). */
  currency: number;
  balanceAfter: number;
  offlineSpendAfter: number;
  terminalId: EntityId;
  terminalSeq: number;
  terminalNonce: Uint8Array;
  time: number;
  billRef: string;
  serviceCode: number;
  refCounter: number;
  /** 01 when a PIN token authorised this debit, else 00. */
  cvm: number;
}

function checkType(type: number, offset?: number): asserts type is TxTypeCode {
  if (type !== TxType.DEBIT && type !== TxType.UNDEBIT && type !== TxType.RELOAD) {
    throw new SpecCodecError('ERR_TX_TYPE', `unknown transaction type ${type}`, offset);
  }
}

export function encodeTransactionRecord(rec: TransactionRecord): Uint8Array {
  checkType(rec.type);
  if (rec.terminalNonce.length !== Size.NONCE)
    throw new SpecCodecError('ERR_NONCE', 'terminal nonce must be 8 bytes');
  if (rec.cvm !== Cvm.NONE && rec.cvm !== Cvm.PIN) throw new SpecCodecError('ERR_CVM', `cvm byte ${rec.cvm}`);
  assertBcdCurrency(rec.currency);
  return concatBytes(
    new Uint8Array([rec.type]),
    u32(rec.counter),
    u32(rec.amount),
    u16(rec.currency),
    u32(rec.balanceAfter),
    u32(rec.offlineSpendAfter),
    encodeEntityId(rec.terminalId, 'terminal id'),
    u32(rec.terminalSeq),
    rec.terminalNonce,
    u32(rec.time),
    encodeBillRef(rec.billRef),
    u16(rec.serviceCode),
    u32(rec.refCounter),
    new Uint8Array([rec.cvm]),
  );
}

export function decodeTransactionRecord(bytes: Uint8Array): TransactionRecord {
  const r = new ByteReader(bytes, 'transaction record');
  const type = r.u8('type');
  checkType(type, 0);
  const rec: TransactionRecord = {
    type,
    counter: r.u32('counter'),
    amount: r.u32('amount'),
    currency: r.u16('currency'),
    balanceAfter: r.u32('balanceAfter'),
    offlineSpendAfter: r.u32('offlineSpendAfter'),
    terminalId: decodeEntityId(r.take(8, 'terminalId'), 'terminal id', 19),
    terminalSeq: r.u32('terminalSeq'),
    terminalNonce: r.take(8, 'terminalNonce').slice(),
    time: r.u32('time'),
    billRef: decodeBillRef(r.take(16, 'billRef'), 43),
    serviceCode: r.u16('serviceCode'),
    refCounter: r.u32('refCounter'),
    cvm: r.u8('cvm'),
  };
  r.end();
  return rec;
}

const TRANSACTION_TAG = domainTag(DomainTag.TRANSACTION);

/** The proof message: T("HUDUMA-TXN-v2") ‖ card number (8, BCD) ‖ record (66) = 90 bytes (§8.3). */
export function transactionSigningMessage(
  cardNumber: CardNumber | Uint8Array,
  recordBytes: Uint8Array,
): Uint8Array {
  return concatBytes(...transactionSigningMessageParts(cardNumber, recordBytes));
}

/**
 * transactionSigningMessage as its three parts, for a caller that copies them into a buffer of
 * its own (a verifier batching proofs) instead of allocating each message. The tag is shared:
 * read it, never write it.
 */
export function transactionSigningMessageParts(
  cardNumber: CardNumber | Uint8Array,
  recordBytes: Uint8Array,
): readonly [tag: Uint8Array, cardNumber: Uint8Array, record: Uint8Array] {
  const cn = typeof cardNumber === 'string' ? encodeCardNumber(cardNumber) : cardNumber;
  return [TRANSACTION_TAG, cn, recordBytes];
}

/** A card proof: the exact record bytes the card signed (66) and its signature (64). */
export interface TransactionProof {
  /** The 66 record bytes exactly as signed; keep these, not a re-encoding. */
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

/** Verifies a card proof with PK.card (from the verified card certificate). */
export function verifyTransactionProof(
  cardNumber: CardNumber,
  proof: Pick<TransactionProof, 'recordBytes' | 'signature'>,
  cardSigningKey: Uint8Array,
  verify: SignatureVerify = verifyMessage,
): boolean {
  return verify(cardSigningKey, transactionSigningMessage(cardNumber, proof.recordBytes), proof.signature);
}
