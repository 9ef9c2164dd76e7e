/**
 * Batch upload: verify a terminal's batch record by record, then store it all-or-nothing in one
 * database transaction under the terminal's row lock.
 *
 * Order of work, cheapest rejection first and no database lock held while verifying:
 *  1. CBOR envelope; terminal certificate (trusted acquirer CA, validity, id = URL id); revocation.
 *  2. Every record decoded and hashed; seqs consecutive; each prevHash = hash of the record before.
 *  3. The batch's head signature: its last record is a checkpoint (covering the record before
 *     it, naming this terminal) or it carries a seal over the last record; either signature
 *     verifies with the certificate's key. Through the chain it authenticates every record.
 *  4. Every proof-carrying record: card certificate (cached), card signature (OpenSSL), and the
 *     signed fields equal the record's.
 *  5. Transaction: lock the terminal row (SELECT … FOR UPDATE; enrol on first upload), compare the
 *     overlap with what is held (duplicates / fork), refuse gaps, claim card counters (clones),
 *     shadow-balance checks, Merkle append, bulk insert, bills / loads / shift close, receipt.
 */

import type { Admission } from './admission';
import { checkBatchEnvelope, UploadRejected } from './batch-envelope';
import type { Db, Queryable } from './db/types';
import { INGEST_RULES } from './ingest/rules';
import type { AlertInput, IngestRule, IngestStep, TerminalLockRow } from './ingest/step';
import { insertBatchAndRecords } from './ingest-insert';
import type { StorageProblem } from './quarantine';
import type {
  CardProofRecordVerifier,
  PreparedRecord,
  RecordVerdict,
  VerifiedRecord,
} from './record-verifier';
import type { BatchReceipt } from './signed-messages';
import type { Signer } from './signer';
import { raiseAlert, raiseAlertOnce } from './store';
import type { TrustStore } from './trust';
import type { SignatureVerifyPool } from './verify-pool';

export interface IngestContext {
  db: Db;
  signer: Signer;
  trust: TrustStore;
  verifier: CardProofRecordVerifier;
  now: () => number;
  /** Worker threads for the card signatures; without it they are verified on this thread. */
  signaturePool?: SignatureVerifyPool;
  /** Store phases (step 5) allowed at once; without it, as many as uploads arrive. */
  storeAdmission?: Admission;
}

export { LEAF_INDEX_SQL } from './ingest-insert';
export { UploadRejected };

export interface IngestResult {
  status: 'accepted' | 'duplicate';
  receiptId: number | null;
  receipt: BatchReceipt;
  receiptBytes: Uint8Array;
  signature: Uint8Array;
  alerts: number;
  /** New records stored as bytes only (quarantine.ts); absent on a duplicate receipt. */
  quarantined?: StorageProblem[];
}

export async function isTerminalRevoked(q: Queryable, terminalId: string): Promise<boolean> {
  const rows = await q.query('SELECT 1 FROM revoked_terminals WHERE terminal_id = $1', [terminalId]);
  return rows.length > 0;
}

/** A batch that passed every check needing no database (steps 1-4). */
export interface VerifiedBatch {
  records: VerifiedRecord[];
  certificate: Uint8Array;
  publicKey: Uint8Array;
  merchantId: string;
}

/** Card-proof refusals that only an altered record (or a forged card) explains: critical alerts. */
const TAMPER_CODES = new Set([
  'ERR_CARD_PROOF_MISMATCH',
  'ERR_CARD_PROOF_SIGNATURE',
  'ERR_CARD_CERT_MISMATCH',
  'ERR_CARD_CERT_UNTRUSTED',
]);

/** Card proofs verified per slice of records, yielding between slices (the inline path). */
const VERIFY_SLICE = 64;

/**
 * Steps 1-4: everything that needs no database. Throws UploadRejected for the first bad record
 * in seq order, whichever thread verified its signature. With a pool the card signatures run on
 * worker threads (only those of records before the first record failing a cheaper check); without
 * one the loop yields to the event loop every few dozen records, so that another upload holding
 * the Merkle lock is not stalled by a 1000-record verify (~60 ms).
 */
export async function verifyBatch(
  ctx: Pick<IngestContext, 'trust' | 'verifier' | 'now' | 'signaturePool'>,
  terminalId: string,
  body: Uint8Array,
  signedWith?: Uint8Array,
): Promise<VerifiedBatch> {
  const { decoded, hashes, raws, ...rest } = checkBatchEnvelope(ctx, terminalId, body, signedWith);
  const records: VerifiedRecord[] = new Array(raws.length);
  // The batch's head signature verified (step 3): whatever record fails its card proof now, this
  // terminal signed it. Refused, and the operator told: a genuine terminal logs only what a card
  // signed, so this is a tampered terminal, a forged card or a bug worth a look.
  const reject = (i: number, verdict: Extract<RecordVerdict, { ok: false }>) =>
    new UploadRejected(
      422,
      verdict.code,
      verdict.message,
      decoded[i]!.seq,
      {
        kind: 'card-proof-refused',
        severity: TAMPER_CODES.has(verdict.code) ? 'critical' : 'warning',
        terminalId,
        cardNumber: 'cardNumber' in decoded[i]! ? (decoded[i] as { cardNumber: string }).cardNumber : null,
        details: { seq: decoded[i]!.seq, code: verdict.code, problem: verdict.message },
      },
      `records[${decoded[i]!.seq}]`,
    );
  const pool = ctx.signaturePool;
  if (!pool) {
    for (let i = 0; i < raws.length; i++) {
      if (i > 0 && i % VERIFY_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const verdict = ctx.verifier.verifyDecoded(terminalId, raws[i]!, decoded[i]!, hashes[i]!);
      if (!verdict.ok) throw reject(i, verdict);
      records[i] = verdict.record;
    }
    return { records, ...rest };
  }
  const prepared: PreparedRecord[] = [];
  for (let i = 0; i < raws.length; i++) {
    const p = ctx.verifier.prepareDecoded(terminalId, raws[i]!, decoded[i]!, hashes[i]!);
    prepared.push(p);
    // Records after a failing one cannot change the answer: stop preparing (and verifying) there.
    if ('verdict' in p && !p.verdict.ok) break;
  }
  const checks = prepared.flatMap((p) => ('check' in p ? [p.check] : []));
  const valid = await pool.verifyAll(checks);
  let c = 0;
  for (let i = 0; i < prepared.length; i++) {
    const p = prepared[i]!;
    const verdict = 'verdict' in p ? p.verdict : ctx.verifier.finishProof(p, valid[c++]!);
    if (!verdict.ok) throw reject(i, verdict);
    records[i] = verdict.record;
  }
  return { records, ...rest };
}

/** Verifies and stores one upload; see the module comment. */
export async function ingestBatch(
  ctx: IngestContext,
  terminalId: string,
  body: Uint8Array,
  /** The certificate the upload request was signed under; the batch must carry the same. */
  signedWith?: Uint8Array,
): Promise<IngestResult> {
  // Revocation is checked in the transaction, under the terminal's row lock (storeBatch).
  let verified: VerifiedBatch;
  try {
    verified = await verifyBatch(ctx, terminalId, body, signedWith);
  } catch (error) {
    // Once a day per terminal and refusal: a terminal retrying the same refused batch is one event.
    if (error instanceof UploadRejected && error.alert) await raiseAlertOnce(ctx.db, error.alert);
    throw error;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      const store = () => ctx.db.transaction((tx) => storeBatch(ctx, tx, terminalId, verified));
      return await (ctx.storeAdmission ? ctx.storeAdmission.run(store) : store());
    } catch (error) {
      if (error instanceof UploadRejected) {
        if (error.alert) await raiseAlert(ctx.db, error.alert);
        throw error;
      }
      // Deadlock or serialization failure between concurrent uploads: the rollback undid
      // everything, so running the batch again is safe.
      const sqlState = (error as { code?: string }).code;
      if ((sqlState === '40P01' || sqlState === '40001') && attempt < 5) continue;
      throw error;
    }
  }
}

/** The terminal's row, locked, with whether its id is on the revocation list (one round trip). */
async function lockTerminal(tx: Queryable, terminalId: string): Promise<TerminalLockRow | undefined> {
  const rows = await tx.query<TerminalLockRow>(
    `SELECT t.merchant_id, t.public_key, t.last_seq, t.head_hash, t.status,
       EXISTS (SELECT 1 FROM revoked_terminals r WHERE r.terminal_id = t.terminal_id) AS revoked
     FROM terminals t WHERE t.terminal_id = $1 FOR UPDATE OF t`,
    [terminalId],
  );
  return rows[0];
}

/**
 * Step 5, inside the upload's transaction: lock (or enrol) the terminal, refuse a revoked one,
 * take a re-certified terminal's new key, then run the ingest rules (ingest/rules/index.ts):
 * their checks, the one bulk insert of the new records, their applies.
 */
export async function storeBatch(
  ctx: IngestContext,
  tx: Queryable,
  terminalId: string,
  batch: VerifiedBatch,
  rules: readonly IngestRule[] = INGEST_RULES,
): Promise<IngestResult> {
  let terminal = await lockTerminal(tx, terminalId);
  if (!terminal) {
    await tx.query(
      'INSERT INTO merchants (merchant_id, name) VALUES ($1, $1) ON CONFLICT (merchant_id) DO NOTHING',
      [batch.merchantId],
    );
    await tx.query(
      `INSERT INTO terminals (terminal_id, merchant_id, public_key, certificate) VALUES ($1, $2, $3, $4)
       ON CONFLICT (terminal_id) DO NOTHING`,
      [terminalId, batch.merchantId, batch.publicKey, batch.certificate],
    );
    terminal = (await lockTerminal(tx, terminalId))!;
  }
  if (terminal.status === 'revoked' || terminal.revoked) {
    throw new UploadRejected(403, 'ERR_TERMINAL_REVOKED', `terminal ${terminalId} is revoked`);
  }
  if (Buffer.compare(terminal.public_key, batch.publicKey) !== 0) {
    // A re-certified terminal (new key pair, certificate from the same trusted acquirer CA).
    await tx.query('UPDATE terminals SET public_key = $2, certificate = $3 WHERE terminal_id = $1', [
      terminalId,
      batch.publicKey,
      batch.certificate,
    ]);
  }
  const step: IngestStep = {
    ctx,
    tx,
    terminalId,
    terminal,
    batch,
    records: batch.records,
    fresh: [],
    live: [],
    unstorable: new Map(),
    leaves: [],
    flags: new Map(),
    claimedCounters: [],
    batchId: 0,
    alerts: 0,
    async alert(alert: AlertInput) {
      step.alerts++;
      await raiseAlert(tx, alert);
    },
  };
  for (const rule of rules) {
    await rule.check?.(step);
    if (step.result) return step.result;
  }
  const records = batch.records;
  step.batchId = await insertBatchAndRecords(
    tx,
    {
      terminalId,
      merchantId: terminal.merchant_id,
      batchHash: records[records.length - 1]!.recordHash,
      lastSeq: records[records.length - 1]!.seq,
    },
    step.fresh,
    step.flags,
    { unstorable: step.unstorable, receivedAtS: Math.floor(ctx.now() / 1000) },
  );
  for (const rule of rules) await rule.apply?.(step);
  if (!step.result)
    throw new Error('the ingest chain ended without a receipt: the Merkle rule must run last');
  return step.result;
}
