/**
 * Turning an uploaded txlog record into an accepted_records row. A verifier checks one record
 * (hash chain link, decoding, and for proof-carrying records the card certificate, the card's
 * signature and that the proof says what the record says) and extracts the columns.
 *
 * Terminal signatures are not checked per record: the batch's final checkpoint is, and the hash
 * chain carries that signature to every record before it (see ingest.ts).
 */
import {
  CURRENCY_KES,
  Cvm,
  bytesEqual as equal,
  Size,
  TxType,
  type TxTypeCode,
  transactionSigningMessageParts,
} from '@huduma/card-applet-spec';
import { decodeRecord, type LogRecord, recordHash } from '@huduma/txlog';
import { sha256 } from './sha256';
import { CertificateError, type TrustStore, type VerifiedCardCertificate, verifyRaw } from './trust';
import { joinedMessage, type SignatureCheck } from './verify-pool';

/** What the card signed, for fraud rules (clone detection, shadow balance, load matching). */
export interface CardTransaction {
  cardNumber: string;
  txType: TxTypeCode;
  counter: number;
  amountCents: number;
  /** BCD ISO 4217 as signed (the service settles one currency and refuses records in another). */
  currency: number;
  balanceAfter: number;
  offlineSpendAfter: number;
  terminalSeq: number;
  /** Unix seconds, as signed by the card. */
  time: number;
  /** billRef of a debit/undebit, loadRef of a reload. */
  reference: string;
  serviceCode: number;
  refCounter: number;
  /** True when the card says a PIN authorised this debit (record byte 65, cvm = 01). */
  pinVerified: boolean;
  /**
   * The 66 record bytes the card signed (a view into the upload). Their SHA-256 (proofHashOf) is
   * the proof's identity (two logs, one proof → same hash); the database computes it on insert.
   */
  signedRecord: Uint8Array;
}

/** SHA-256 of the 66 signed record bytes: what card_counters.record_hash holds for this proof. */
export function proofHashOf(card: Pick<CardTransaction, 'signedRecord'>): Uint8Array {
  return sha256(card.signedRecord);
}

export interface VerifiedRecord {
  seq: number;
  /** Hash that chains this record in the terminal log; unique identity of the record. */
  recordHash: Uint8Array;
  /** Exact bytes as uploaded; stored and used as the Merkle leaf data. */
  record: Uint8Array;
  /**
   * Settlement type: 'debit' (sale, recovered-sale), 'cancel', 'reload', or the txlog type for
   * records that move no money ('shift-open', 'checkpoint', …).
   */
  recordType: string;
  cardNumber: string | null;
  cardCounter: number | null;
  /** The card-signed amount for proof-carrying records, else the record's own (or 0). */
  amountCents: number;
  billRef: string | null;
  serviceCode: number | null;
  /** Terminal's record time, Unix seconds. */
  occurredAt: number;
  /** The decoded txlog record. */
  decoded: LogRecord;
  /** Present for sale, recovered-sale, cancel and reload. */
  card?: CardTransaction;
}

/**
 * A record checked up to its card signature: either a final verdict, or the signature to verify
 * and what `CardProofRecordVerifier.finishProof` needs to give the verdict once its result is known.
 */
export type PreparedRecord = { verdict: RecordVerdict } | PendingProof;

/** A proof-carrying record whose card signature is still to be verified (one object per record). */
export interface PendingProof {
  /** The card's certificate: its KeyObject (built on first use) verifies on this thread. */
  check: SignatureCheck & { card: VerifiedCardCertificate };
  terminalId: string;
  raw: Uint8Array;
  hash: Uint8Array;
  decoded: Extract<LogRecord, { cardProof: Uint8Array }>;
  /** The 66 card-signed bytes at the head of the proof (one view, also the message's last part). */
  signedRecord: Uint8Array;
}

export type RecordVerdict =
  | { ok: true; record: VerifiedRecord }
  | { ok: false; code: string; message: string };

/** A terminal as the service holds it (the `terminals` row). */
export interface TerminalRow {
  terminalId: string;
  merchantId: string;
  publicKey: Uint8Array;
  certificate: Uint8Array | null;
  status: 'active' | 'revoked';
  lastSeq: number | null;
  headHash: Uint8Array | null;
}

export interface RecordVerifier {
  /**
   * Verifies one record given the terminal's state before it (previous hash, last seq).
   * Must be pure with respect to the database: the caller stores accepted records.
   */
  verify(
    terminal: TerminalRow,
    previous: { seq: number | null; hash: Uint8Array | null },
    raw: Uint8Array,
  ): Promise<RecordVerdict>;
}

const EXPECTED_TX_TYPE: Record<string, TxTypeCode> = {
  sale: TxType.DEBIT,
  'recovered-sale': TxType.DEBIT,
  cancel: TxType.UNDEBIT,
  reload: TxType.RELOAD,
};

const SETTLEMENT_TYPE: Record<string, string> = {
  sale: 'debit',
  'recovered-sale': 'debit',
  cancel: 'cancel',
  reload: 'reload',
};

const GENESIS = new Uint8Array(32);

function fail(code: string, message: string): RecordVerdict {
  return { ok: false, code, message };
}

function signedFieldMismatch(where: string, field: string, signed: unknown, logged: unknown): RecordVerdict {
  return fail(
    'ERR_CARD_PROOF_MISMATCH',
    `${where}: the card signed ${field} ${JSON.stringify(signed)}, the record says ${JSON.stringify(logged)}`,
  );
}

const ascii = new TextDecoder('latin1');

/** How a refusal names its record; built only for a refusal. */
function whereOf(decoded: LogRecord): string {
  return `${decoded.type} record ${decoded.seq}`;
}

const RECORD = Size.TRANSACTION_RECORD;
const PROOF = Size.TRANSACTION_PROOF;

// Big-endian reads straight from the bytes: a DataView per record was one more object per record.
const u16 = (p: Uint8Array, at: number) => (p[at]! << 8) | p[at + 1]!;
const u32 = (p: Uint8Array, at: number) =>
  ((p[at]! << 24) | (p[at + 1]! << 16) | (p[at + 2]! << 8) | p[at + 3]!) >>> 0;

/**
 * Reads the 66-byte v2 card transaction record straight from the proof bytes (offsets of SPEC.md
 * §2.7): the hot path avoids the allocating generic decoder. Text fields use the same padding
 * rules as the spec's codecs (entity ids space-padded, billRef zero-padded).
 */
function readProofRecord(p: Uint8Array) {
  let idEnd = 27;
  while (idEnd > 19 && p[idEnd - 1] === 0x20) idEnd--;
  let refEnd = 59;
  while (refEnd > 43 && p[refEnd - 1] === 0x00) refEnd--;
  return {
    type: p[0]!,
    counter: u32(p, 1),
    amount: u32(p, 5),
    currency: u16(p, 9),
    balanceAfter: u32(p, 11),
    offlineSpendAfter: u32(p, 15),
    terminalId: ascii.decode(p.subarray(19, idEnd)),
    terminalSeq: u32(p, 27),
    time: u32(p, 39),
    billRef: ascii.decode(p.subarray(43, refEnd)),
    serviceCode: u16(p, 59),
    refCounter: u32(p, 61),
    cvm: p[65]!,
  };
}

/**
 * The production verifier: txlog decoding, chain link, and card proofs against the trusted
 * issuer CA keys. `verifyRecord` is synchronous (CPU only) for the batch path.
 */
export class CardProofRecordVerifier implements RecordVerifier {
  /**
   * @param currency the one currency this service settles (BCD ISO 4217, KES by default): a
   *   card-signed record in another currency is refused, never converted.
   */
  constructor(
    private readonly trust: TrustStore,
    private readonly currency: number = CURRENCY_KES,
  ) {}

  async verify(
    terminal: TerminalRow,
    previous: { seq: number | null; hash: Uint8Array | null },
    raw: Uint8Array,
  ): Promise<RecordVerdict> {
    const verdict = this.verifyRecord(terminal.terminalId, raw);
    if (!verdict.ok) return verdict;
    const expectedSeq = previous.seq === null ? 0 : previous.seq + 1;
    if (verdict.record.seq !== expectedSeq) {
      return fail('ERR_RECORD_SEQ', `record has seq ${verdict.record.seq}, expected ${expectedSeq}`);
    }
    if (!equal(verdict.record.decoded.prevHash, previous.hash ?? GENESIS)) {
      return fail(
        'ERR_RECORD_CHAIN',
        `record ${verdict.record.seq}: prevHash does not match the previous record`,
      );
    }
    return verdict;
  }

  /** Everything about one record that does not depend on its neighbours. */
  verifyRecord(terminalId: string, raw: Uint8Array): RecordVerdict {
    let decoded: LogRecord;
    try {
      decoded = decodeRecord(raw);
    } catch (error) {
      return fail('ERR_RECORD_INVALID', (error as Error).message);
    }
    return this.verifyDecoded(terminalId, raw, decoded, recordHash(raw));
  }

  /** verifyRecord for a record the caller already decoded and hashed (the batch path). */
  verifyDecoded(terminalId: string, raw: Uint8Array, decoded: LogRecord, hash: Uint8Array): RecordVerdict {
    const prepared = this.prepareDecoded(terminalId, raw, decoded, hash);
    if ('verdict' in prepared) return prepared.verdict;
    const { card, message, signature } = prepared.check;
    return this.finishProof(prepared, verifyRaw(card.key, joinedMessage(message), signature));
  }

  /** The verdict on a pending proof once its card signature was verified (`signatureValid`) or not. */
  finishProof(p: PendingProof, signatureValid: boolean): RecordVerdict {
    if (!signatureValid) {
      return fail(
        'ERR_CARD_PROOF_SIGNATURE',
        `${whereOf(p.decoded)}: card signature does not verify with the card certificate`,
      );
    }
    return this.checkSignedFields(p);
  }

  /**
   * Every check of verifyDecoded except the card's ECDSA signature, which the caller runs (on a
   * worker thread) and hands to `finishProof`. The checks before the signature (proof length, card
   * certificate) are in `verdict` when they fail.
   */
  prepareDecoded(terminalId: string, raw: Uint8Array, decoded: LogRecord, hash: Uint8Array): PreparedRecord {
    switch (decoded.type) {
      case 'sale':
      case 'recovered-sale':
      case 'cancel':
      case 'reload':
        return this.prepareProofRecord(terminalId, raw, hash, decoded);
      default:
        // No card proof: a block record names its card; shift and checkpoint records name none.
        return {
          verdict: {
            ok: true,
            record: {
              seq: decoded.seq,
              recordHash: hash,
              record: raw,
              occurredAt: Math.floor(decoded.time / 1000),
              decoded,
              recordType: decoded.type,
              cardNumber: decoded.type === 'card-blocked' ? decoded.cardNumber : null,
              cardCounter: null,
              amountCents: 0,
              billRef: null,
              serviceCode: null,
            },
          },
        };
    }
  }

  private prepareProofRecord(
    terminalId: string,
    raw: Uint8Array,
    hash: Uint8Array,
    decoded: Extract<LogRecord, { cardProof: Uint8Array }>,
  ): PreparedRecord {
    const proof = decoded.cardProof;
    if (proof.length !== PROOF) {
      return {
        verdict: fail(
          'ERR_CARD_PROOF_FORMAT',
          `${whereOf(decoded)}: card proof is ${proof.length} bytes, expected ${PROOF} (v2 record ‖ signature)`,
        ),
      };
    }
    let card: ReturnType<TrustStore['cardCertificate']>;
    try {
      card = this.trust.cardCertificate(decoded.cardCertificate);
    } catch (error) {
      if (error instanceof CertificateError)
        return { verdict: fail(error.code, `${whereOf(decoded)}: ${error.message}`) };
      throw error;
    }
    if (card.cert.cardNumber !== decoded.cardNumber) {
      return {
        verdict: fail(
          'ERR_CARD_CERT_MISMATCH',
          `${whereOf(decoded)}: card certificate is for card ${card.cert.cardNumber}, the record names ${decoded.cardNumber}`,
        ),
      };
    }
    const signedRecord = proof.subarray(0, RECORD);
    return {
      check: {
        card,
        publicKey: card.cert.signingKey,
        // The certificate's card number, which the record names (checked above), in BCD once per card.
        message: transactionSigningMessageParts(card.cardNumberBytes, signedRecord),
        signature: proof.subarray(RECORD),
      },
      terminalId,
      raw,
      hash,
      decoded,
      signedRecord,
    };
  }

  /** After the signature verified: what the card signed must be what the record says. */
  private checkSignedFields(pending: PendingProof): RecordVerdict {
    const { terminalId, decoded } = pending;
    const cert = pending.check.card.cert;
    const recordBytes = pending.signedRecord;
    const p = readProofRecord(recordBytes);
    if (p.type !== EXPECTED_TX_TYPE[decoded.type])
      return signedFieldMismatch(whereOf(decoded), 'transaction type', p.type, decoded.type);
    if (p.amount !== decoded.amountCents)
      return signedFieldMismatch(whereOf(decoded), 'amount', p.amount, decoded.amountCents);
    if (p.currency !== this.currency) {
      return fail(
        'ERR_CARD_PROOF_CURRENCY',
        `${whereOf(decoded)}: the card signed currency ${p.currency.toString(16).padStart(4, '0')}, this service settles ${this.currency.toString(16).padStart(4, '0')}`,
      );
    }
    // cvm is 00 or 01 (§2.7); anything else is not a record a conforming card signs.
    if (p.cvm !== Cvm.NONE && p.cvm !== Cvm.PIN)
      return fail('ERR_CARD_PROOF_FORMAT', `${whereOf(decoded)}: cvm byte ${p.cvm} is neither 00 nor 01`);
    if (p.terminalId !== terminalId)
      return signedFieldMismatch(whereOf(decoded), 'terminal id', p.terminalId, terminalId);
    if (p.terminalSeq !== decoded.terminalSeq)
      return signedFieldMismatch(whereOf(decoded), 'terminal seq', p.terminalSeq, decoded.terminalSeq);
    const reference = decoded.type === 'reload' ? decoded.reference : decoded.billRef;
    if (p.billRef !== reference)
      return signedFieldMismatch(
        whereOf(decoded),
        decoded.type === 'reload' ? 'load reference' : 'bill reference',
        p.billRef,
        reference,
      );
    if (
      (decoded.type === 'sale' || decoded.type === 'recovered-sale') &&
      /^[0-9]+$/.test(decoded.serviceCode)
    ) {
      if (p.serviceCode !== Number(decoded.serviceCode))
        return signedFieldMismatch(whereOf(decoded), 'service code', p.serviceCode, decoded.serviceCode);
    }
    if (p.time < cert.notBefore || p.time > cert.notAfter) {
      return fail(
        'ERR_CARD_CERT_EXPIRED',
        `${whereOf(decoded)}: proof time ${p.time} is outside the card certificate validity ${cert.notBefore}..${cert.notAfter}`,
      );
    }
    return {
      ok: true,
      // Properties listed one by one, never spread: a spread makes V8 build this object on a
      // slow path, which cost ~5 µs per record on the ingest hot path.
      record: {
        seq: decoded.seq,
        recordHash: pending.hash,
        record: pending.raw,
        occurredAt: Math.floor(decoded.time / 1000),
        decoded,
        recordType: SETTLEMENT_TYPE[decoded.type]!,
        cardNumber: decoded.cardNumber,
        cardCounter: p.counter,
        amountCents: p.amount,
        billRef: reference,
        serviceCode: p.serviceCode,
        card: {
          cardNumber: decoded.cardNumber,
          txType: p.type as TxTypeCode,
          counter: p.counter,
          amountCents: p.amount,
          currency: p.currency,
          balanceAfter: p.balanceAfter,
          offlineSpendAfter: p.offlineSpendAfter,
          terminalSeq: p.terminalSeq,
          time: p.time,
          reference: p.billRef,
          serviceCode: p.serviceCode,
          refCounter: p.refCounter,
          pinVerified: p.cvm === Cvm.PIN,
          signedRecord: recordBytes,
        },
      },
    };
  }
}
