/**
 * The one bulk INSERT of an upload: the batch row, all its new records, and the terminal's new
 * head (its last seq and that record's hash), which the batch's own head is (ingest.ts).
 */
import { bigints, integers, texts } from './db/array-param';
import type { Queryable } from './db/types';
import type { StorageProblem } from './quarantine';
import type { VerifiedRecord } from './record-verifier';
import { nairobiBusinessDateSql } from './store';

/** Leaf index of an accepted record `r` joined with its batch `b` (phase-1 rows carry their own). */
export const LEAF_INDEX_SQL = 'COALESCE(r.merkle_leaf_index, b.first_leaf_index + (r.seq - b.first_seq))';

export type FraudFlag = 'clone' | 'duplicate-proof' | 'balance-mismatch' | 'reload-unmatched';

/**
 * The batch row and all its new records in one statement: one array parameter per column
 * (UNNEST), so the statement text is the same for every batch and the server parses 21 values,
 * not 14 per record. Record bytes and record hashes travel as two bytea values the server cuts
 * with substring: as hex text arrays, the driver's per-element escaping of ~250-byte records was
 * ~10 % of ingest CPU. The other columns go as typed array parameters (db/array-param.ts); the
 * business date is the server's arithmetic on occurred_at (store.ts, nairobiBusinessDateSql).
 */
export async function insertBatchAndRecords(
  tx: Queryable,
  batch: { terminalId: string; merchantId: string; batchHash: Uint8Array; lastSeq: number },
  fresh: readonly VerifiedRecord[],
  flags: Map<VerifiedRecord, FraudFlag>,
  quarantine: { unstorable: Map<VerifiedRecord, StorageProblem>; receivedAtS: number },
): Promise<number> {
  const n = fresh.length;
  const seq: number[] = new Array(n);
  const hashes = Buffer.allocUnsafe(n * 32); // record i's hash at i * 32
  const records: Uint8Array[] = new Array(n);
  const recordStart: number[] = new Array(n); // 1-based offsets into the concatenation, for substring
  const recordLength: number[] = new Array(n);
  let recordBytes = 0;
  const recordType: string[] = new Array(n);
  const cardNumber: (string | null)[] = new Array(n);
  const cardCounter: (number | null)[] = new Array(n);
  const amount: number[] = new Array(n);
  const billRef: (string | null)[] = new Array(n);
  const serviceCode: (number | null)[] = new Array(n);
  const occurredAt: number[] = new Array(n);
  const flag: (string | null)[] = new Array(n);
  const shiftId: (string | null)[] = new Array(n);
  const terminalSeq: (number | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = fresh[i]!;
    const f = flags.get(r) ?? null;
    const d = r.decoded;
    seq[i] = r.seq;
    hashes.set(r.recordHash, i * 32);
    records[i] = r.record;
    recordStart[i] = recordBytes + 1;
    recordLength[i] = r.record.length;
    recordBytes += r.record.length;
    // A proof already counted is stored (it is in the terminal's chain) but never settled twice.
    recordType[i] = f === 'duplicate-proof' ? 'duplicate' : r.recordType;
    cardNumber[i] = r.cardNumber;
    cardCounter[i] = r.cardCounter;
    amount[i] = r.amountCents;
    billRef[i] = r.billRef;
    serviceCode[i] = r.serviceCode;
    occurredAt[i] = r.occurredAt;
    const unstorable = quarantine.unstorable.has(r);
    flag[i] = f;
    shiftId[i] = d.type === 'shift-open' || d.type === 'shift-close' ? d.shiftId : null;
    terminalSeq[i] = r.card ? r.card.terminalSeq : null;
    if (unstorable) {
      // Only the bytes and what the card signed in fixed-width fields; the day it arrived.
      recordType[i] = 'quarantined';
      flag[i] = 'quarantine';
      billRef[i] = null;
      shiftId[i] = null;
      // Its time may be no date at all (past year 275760): it gets the day it arrived.
      occurredAt[i] = quarantine.receivedAtS;
    }
  }
  const rows = await tx.query<{ batch_id: number }>(
    `WITH batch AS (
       INSERT INTO batches (terminal_id, batch_hash, first_seq, last_seq, record_count)
       VALUES ($1, $3, $4, $5, $6) RETURNING batch_id),
     head AS (UPDATE terminals SET last_seq = $5, head_hash = $3 WHERE terminal_id = $1),
     recs AS (
       INSERT INTO accepted_records (terminal_id, merchant_id, batch_id, seq, record_hash, record, record_type,
         card_number, card_counter, amount_cents, bill_ref, service_code, occurred_at, business_date, flags,
         shift_id, terminal_seq)
       SELECT $1, $2, batch.batch_id, u.seq, substring($8::bytea FROM ((u.n - 1) * 32 + 1)::integer FOR 32),
         substring($9::bytea FROM u.record_start FOR u.record_length), u.record_type,
         u.card_number, u.card_counter, u.amount_cents, u.bill_ref, u.service_code, u.occurred_at, ${nairobiBusinessDateSql('u.occurred_at')},
         u.flags, u.shift_id, u.terminal_seq
       FROM batch, unnest($7::bigint[], $20::integer[], $21::integer[], $10::text[], $11::text[], $12::bigint[],
         $13::bigint[], $14::text[], $15::integer[], $16::bigint[], $17::text[], $18::text[],
         $19::bigint[]) WITH ORDINALITY
         AS u(seq, record_start, record_length, record_type, card_number, card_counter, amount_cents, bill_ref,
           service_code, occurred_at, flags, shift_id, terminal_seq, n))
     SELECT batch_id FROM batch`,
    [
      batch.terminalId,
      batch.merchantId,
      batch.batchHash,
      fresh[0]!.seq,
      batch.lastSeq,
      n,
      bigints(seq),
      hashes,
      Buffer.concat(records, recordBytes),
      texts(recordType),
      texts(cardNumber),
      bigints(cardCounter),
      bigints(amount),
      texts(billRef),
      integers(serviceCode),
      bigints(occurredAt),
      texts(flag),
      texts(shiftId),
      bigints(terminalSeq),
      integers(recordStart),
      integers(recordLength),
    ],
  );
  return rows[0]!.batch_id;
}
