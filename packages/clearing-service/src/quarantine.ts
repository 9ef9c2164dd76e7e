/**
 * Records that passed every signature check but carry a value the database cannot hold in its
 * columns: a time past year 9999 (no DATE for settlement), a NUL or control character in a text
 * field (PostgreSQL TEXT and JSONB refuse NUL), a count beyond BIGINT.
 *
 * Refusing such a record would wedge the terminal for good: records are hash-chained, so every
 * later sale would be refused behind it, and the terminal cannot rewrite its signed log. So the
 * batch is accepted and the record is quarantined instead: its exact bytes are stored (they are
 * in the Merkle tree and the receipt like every record), its columns hold nothing derived from
 * the bad field, it is `record_type = 'quarantined'` so settlement, bills, loads, card counters
 * and shift reconciliation all skip it, an alert `record-quarantined` names seq and field, and
 * the receipt JSON lists it. An operator rules on it from the bytes.
 */
import { MAX_ID, MAX_RECORD_TIME_MS, SHIFT_ID_PATTERN, textProblem } from './http/schemas';
import type { VerifiedRecord } from './record-verifier';

export interface StorageProblem {
  seq: number;
  /** `records[seq].field`, as the error mapper names fields. */
  field: string;
  message: string;
}

/** Why record `r` cannot be stored as it is, or undefined when it can. */
export function storageProblem(r: VerifiedRecord): StorageProblem | undefined {
  const d = r.decoded;
  if (!Number.isSafeInteger(d.time) || d.time < 0 || d.time > MAX_RECORD_TIME_MS) {
    return problemAt(r, 'time', `${d.time} ms is not a time the service can store (before year 10000)`);
  }
  if (d.type === 'shift-open' || d.type === 'shift-close') {
    const problem = textProblem(d.shiftId, 64, SHIFT_ID_PATTERN);
    if (problem) return problemAt(r, 'shiftId', problem);
  }
  if (d.type === 'shift-close') {
    if (!Number.isSafeInteger(d.saleCount) || d.saleCount > MAX_ID)
      return problemAt(r, 'saleCount', 'is out of range');
    if (!Number.isSafeInteger(d.saleTotalCents) || d.saleTotalCents > MAX_ID) {
      return problemAt(r, 'saleTotalCents', 'is out of range');
    }
  }
  if (r.billRef !== null) {
    const problem = textProblem(r.billRef, 64);
    if (problem) return problemAt(r, d.type === 'reload' ? 'reference' : 'billRef', problem);
  }
  return undefined;
}

// A top-level function, not a closure per record: storageProblem runs for every uploaded record.
function problemAt(r: VerifiedRecord, name: string, message: string): StorageProblem {
  return { seq: r.seq, field: `records[${r.seq}].${name}`, message: `record ${r.seq}: ${name} ${message}` };
}

/** The problems of a batch's new records, by record. */
export function findUnstorable(records: readonly VerifiedRecord[]): Map<VerifiedRecord, StorageProblem> {
  const found = new Map<VerifiedRecord, StorageProblem>();
  for (const r of records) {
    const problem = storageProblem(r);
    if (problem) found.set(r, problem);
  }
  return found;
}
