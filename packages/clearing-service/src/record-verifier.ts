/**
 * Seam for phase 2: turning an uploaded txlog record into an accepted_records row. The clearing
 * service stays ignorant of the record formats (txlog CBOR, card debit proofs); a verifier
 * checks a record (hash chain, terminal signature, card signature…) and extracts the columns.
 */
import type { TerminalRow } from './store';

export interface VerifiedRecord {
  seq: number;
  /** Hash that chains this record in the terminal log; unique identity of the record. */
  recordHash: Uint8Array;
  /** Exact bytes as uploaded; stored and used as the Merkle leaf data. */
  record: Uint8Array;
  recordType: string;
  cardNumber: string | null;
  cardCounter: number | null;
  amountCents: number;
  billRef: string | null;
  serviceCode: number | null;
  /** Terminal's record time, Unix seconds. */
  occurredAt: number;
}

export type RecordVerdict =
  | { ok: true; record: VerifiedRecord }
  | { ok: false; code: string; message: string };

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
