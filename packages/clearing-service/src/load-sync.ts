/**
 * The sync rule of a RELOAD (SPEC.md §2.12, §6.10): the load authority MUST NOT sign an
 * authorization for card counter c unless this service holds every record of the card with a
 * counter ≤ c. That is what lets the card forget its ring: a successful RELOAD sets its
 * syncedThrough to the new counter, and the card drops records up to it.
 *
 * "Holds" means a card-signed proof for each counter 1..c, from either source:
 * - card_counters: proofs that arrived in terminal log uploads (ingest.ts);
 * - card_ring_records: proofs the reloading terminal read from the card's ring (READ RECORD,
 *   SDK `unsyncedRecords()`) and sent with the authorization request, verified here.
 * - load_authorizations: a reload record is determined by its authorization (§2.12: "the clearing
 *   service computed every field of it"), so counter c'+1 counts as held once this service signed
 *   an authorization for counter c'. The card treats that record as synced and never offers it
 *   again, so without this a reload's own record would block the next reload until the log that
 *   carries it is uploaded. Limitation: if that authorization went unused, the record at c'+1 is
 *   some other, unsynced record; the terminal sends it with the card's other unsynced records,
 *   but one that omits it is not caught here (the record still arrives in its terminal's log).
 * A ring proof is kept even if the log that carries it has not arrived yet; when it does, ingest
 * claims the counter in card_counters as usual (the two tables never settle anything twice: only
 * card_counters / accepted_records feed settlement).
 */
import {
  decodeTransactionRecord,
  toHex as hexOf,
  Size,
  SpecCodecError,
  type TransactionRecord,
  transactionSigningMessage,
} from '@huduma/card-applet-spec';
import type { Queryable } from './db/types';
import { ConflictError, UnprocessableError } from './errors';
import { sha256 } from './sha256';
import { CertificateError, type TrustStore, verifyRaw } from './trust';

/** A card ring proof sent with a load-authorization request, verified. */
export interface RingProof {
  counter: number;
  /** SHA-256 of the 66 signed record bytes: the same identity card_counters uses. */
  recordHash: Uint8Array;
  proof: Uint8Array;
  record: TransactionRecord;
}

/**
 * Verifies the card's ring proofs: trusted 230-byte card certificate of this card, each proof 130
 * bytes, a record that decodes, the card's signature with PK.card, the service's currency, and a
 * counter in 1..`counter` (the card cannot have signed a record beyond the counter it reports).
 */
export function verifyRingProofs(
  trust: TrustStore,
  cardNumber: string,
  counter: number,
  cardCertificate: Uint8Array,
  proofs: readonly Uint8Array[],
  currency: number,
): RingProof[] {
  const invalid = (message: string) => new UnprocessableError('ERR_CARD_RECORD_INVALID', message);
  let card: ReturnType<TrustStore['cardCertificate']>;
  try {
    card = trust.cardCertificate(cardCertificate);
  } catch (error) {
    if (error instanceof CertificateError) throw invalid(`cardCertificate: ${error.message}`);
    throw error;
  }
  if (card.cert.cardNumber !== cardNumber)
    throw invalid(`cardCertificate is for card ${card.cert.cardNumber}, not ${cardNumber}`);
  const out: RingProof[] = [];
  const seen = new Set<number>();
  proofs.forEach((proof, i) => {
    if (proof.length !== Size.TRANSACTION_PROOF)
      throw invalid(`cardRecords[${i}] is ${proof.length} bytes, expected ${Size.TRANSACTION_PROOF}`);
    const recordBytes = proof.subarray(0, Size.TRANSACTION_RECORD);
    let record: TransactionRecord;
    try {
      record = decodeTransactionRecord(recordBytes);
    } catch (error) {
      if (error instanceof SpecCodecError) throw invalid(`cardRecords[${i}]: ${error.message}`);
      throw error;
    }
    const message = transactionSigningMessage(cardNumber, recordBytes);
    if (!verifyRaw(card.key, message, proof.subarray(Size.TRANSACTION_RECORD)))
      throw invalid(`cardRecords[${i}]: the card signature does not verify`);
    if (record.currency !== currency)
      throw invalid(`cardRecords[${i}]: currency ${record.currency.toString(16)} is not this service's`);
    if (record.counter < 1 || record.counter > counter)
      throw invalid(`cardRecords[${i}]: counter ${record.counter} is outside 1..${counter}`);
    if (seen.has(record.counter)) throw invalid(`cardRecords: counter ${record.counter} twice`);
    seen.add(record.counter);
    out.push({ counter: record.counter, recordHash: sha256(recordBytes), proof: proof.slice(), record });
  });
  return out;
}

/**
 * Inside the authorization's transaction: keeps the verified ring proofs, then refuses unless a
 * proof is held for every counter 1..`counter`. A ring proof that differs from the proof already
 * held for its counter means two different records for one counter (a cloned card): refused, the
 * upload path raises the clone alert when the logs arrive.
 */
export async function assertCardSynced(
  tx: Queryable,
  terminalId: string,
  cardNumber: string,
  counter: number,
  ring: readonly RingProof[],
): Promise<void> {
  if (ring.length > 0) {
    const counters = ring.map((r) => r.counter);
    const held = await tx.query<{ counter: number; record_hash: Uint8Array }>(
      `SELECT counter, record_hash FROM card_counters WHERE card_number = $1 AND counter = ANY($2::bigint[])
       UNION ALL
       SELECT counter, record_hash FROM card_ring_records WHERE card_number = $1 AND counter = ANY($2::bigint[])`,
      [cardNumber, counters],
    );
    for (const h of held) {
      const mine = ring.find((r) => r.counter === Number(h.counter))!;
      if (hexOf(mine.recordHash) !== hexOf(h.record_hash)) {
        throw new ConflictError(
          'ERR_CARD_RECORD_CONFLICT',
          `card ${cardNumber} counter ${h.counter}: the card's ring holds a different record from the one this service holds`,
        );
      }
    }
    await tx.query(
      `INSERT INTO card_ring_records (card_number, counter, record_hash, proof, terminal_id)
       SELECT $1, u.counter, decode(u.hash, 'hex'), decode(u.proof, 'hex'), $2
       FROM unnest($3::bigint[], $4::text[], $5::text[]) AS u(counter, hash, proof)
       ON CONFLICT (card_number, counter) DO NOTHING`,
      [
        cardNumber,
        terminalId,
        counters,
        ring.map((r) => hexOf(r.recordHash)),
        ring.map((r) => hexOf(r.proof)),
      ],
    );
  }
  if (counter === 0) return;
  const rows = await tx.query<{ n: number | string }>(
    `SELECT count(*) AS n FROM (
       SELECT counter FROM card_counters WHERE card_number = $1 AND counter BETWEEN 1 AND $2
       UNION
       SELECT counter FROM card_ring_records WHERE card_number = $1 AND counter BETWEEN 1 AND $2
       UNION
       SELECT card_counter + 1 FROM load_authorizations
         WHERE card_number = $1 AND card_counter IS NOT NULL AND card_counter + 1 <= $2) held`,
    [cardNumber, counter],
  );
  if (Number(rows[0]!.n) === counter) return;
  // The first hole is 1 or just after a held counter: bounded by the records held, never by
  // `counter` (a terminal may claim any counter up to 2^32 - 2; a generate_series over that range
  // would be materialised in full).
  const missing = await tx.query<{ counter: number | string | null }>(
    `WITH held AS (
       SELECT counter FROM card_counters WHERE card_number = $1 AND counter BETWEEN 1 AND $2
       UNION
       SELECT counter FROM card_ring_records WHERE card_number = $1 AND counter BETWEEN 1 AND $2
       UNION
       SELECT card_counter + 1 FROM load_authorizations
         WHERE card_number = $1 AND card_counter IS NOT NULL AND card_counter + 1 <= $2)
     SELECT min(c.x) AS counter FROM (SELECT 1::bigint AS x UNION ALL SELECT counter + 1 FROM held) c
     WHERE c.x <= $2 AND NOT EXISTS (SELECT 1 FROM held h WHERE h.counter = c.x)`,
    [cardNumber, counter],
  );
  throw new ConflictError(
    'ERR_CARD_NOT_SYNCED',
    `card ${cardNumber} is at counter ${counter} but this service holds no record for counter ${missing[0]?.counter ?? '?'}: upload the card's unsynced records (cardRecords) or the logs that carry them first`,
  );
}
