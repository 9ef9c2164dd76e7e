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

import { bytesEqual as equal, toHex as hex, toHex as hexOf } from '@huduma/card-applet-spec';
import { checkBatchEnvelope, UploadRejected } from './batch-envelope';
import { claimCardCounters } from './card-counters';
import type { Db, Queryable } from './db/types';
import { type FraudFlag, insertBatchAndRecords } from './ingest-insert';
import { hashLeaf, lockTreeState, planAppend } from './merkle';
import { findUnstorable, type StorageProblem } from './quarantine';
import { reconcileShift } from './reconcile';
import type {
  CardProofRecordVerifier,
  PreparedRecord,
  RecordVerdict,
  VerifiedRecord,
} from './record-verifier';
import { type BatchReceipt, encodeBatchReceipt, encodeTreeHead } from './signed-messages';
import type { Signer } from './signer';
import { raiseAlert } from './store';
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
}

type AlertInput = Parameters<typeof raiseAlert>[1];

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
): Promise<{
  records: VerifiedRecord[];
  certificate: Uint8Array;
  publicKey: Uint8Array;
  merchantId: string;
}> {
  const { decoded, hashes, raws, ...rest } = checkBatchEnvelope(ctx, terminalId, body, signedWith);
  const records: VerifiedRecord[] = new Array(raws.length);
  const reject = (i: number, verdict: Extract<RecordVerdict, { ok: false }>) =>
    new UploadRejected(
      422,
      verdict.code,
      verdict.message,
      decoded[i]!.seq,
      undefined,
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
    const verdict = 'verdict' in p ? p.verdict : valid[c++] ? p.complete() : p.badSignature();
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
  const verified = await verifyBatch(ctx, terminalId, body, signedWith);
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.db.transaction((tx) => storeBatch(ctx, tx, terminalId, verified));
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

type TerminalLockRow = {
  merchant_id: string;
  public_key: Uint8Array;
  last_seq: number | null;
  head_hash: Uint8Array | null;
  status: string;
};

async function lockTerminal(tx: Queryable, terminalId: string): Promise<TerminalLockRow | undefined> {
  const rows = await tx.query<TerminalLockRow>(
    'SELECT merchant_id, public_key, last_seq, head_hash, status FROM terminals WHERE terminal_id = $1 FOR UPDATE',
    [terminalId],
  );
  return rows[0];
}

/** Leaf index of an accepted record `r` joined with its batch `b` (phase-1 rows carry their own). */
export const LEAF_INDEX_SQL = 'COALESCE(r.merkle_leaf_index, b.first_leaf_index + (r.seq - b.first_seq))';

async function writeAppend(
  tx: Queryable,
  plan: ReturnType<typeof planAppend>,
  w: {
    treeSignature: Uint8Array;
    receivedAtMs: number;
    batchId: number;
    receiptBytes: Uint8Array;
    signature: Uint8Array;
  },
): Promise<void> {
  // Nodes, state, signed tree head and receipt in one statement: the Merkle lock is held for one
  // round trip after the read.
  await tx.query(
    `WITH nodes AS (
       INSERT INTO merkle_nodes (level, node_index, hash)
       SELECT u.level, u.node_index, decode(u.hash, 'hex') FROM unnest($10::smallint[], $11::bigint[], $12::text[])
         AS u(level, node_index, hash)),
     state AS (UPDATE merkle_state SET tree_size = $1, frontier = $2 WHERE singleton),
     head AS (INSERT INTO merkle_tree_heads (tree_size, root_hash, timestamp_ms, signature)
              VALUES ($1, $3, $4, $5) ON CONFLICT (tree_size) DO NOTHING)
     UPDATE batches SET tree_size = $1, receipt = $7, receipt_signature = $8, first_leaf_index = $9
     WHERE batch_id = $6`,
    [
      plan.head.treeSize,
      plan.frontier,
      plan.head.rootHash,
      w.receivedAtMs,
      w.treeSignature,
      w.batchId,
      w.receiptBytes,
      w.signature,
      plan.firstIndex,
      plan.nodes.map((n) => n.level),
      plan.nodes.map((n) => n.index),
      plan.nodes.map((n) => hexOf(n.hash)),
    ],
  );
}

async function storeBatch(
  ctx: IngestContext,
  tx: Queryable,
  terminalId: string,
  batch: Awaited<ReturnType<typeof verifyBatch>>,
): Promise<IngestResult> {
  const records = batch.records;
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
  if (terminal.status === 'revoked' || (await isTerminalRevoked(tx, terminalId))) {
    throw new UploadRejected(403, 'ERR_TERMINAL_REVOKED', `terminal ${terminalId} is revoked`);
  }
  if (!equal(terminal.public_key, batch.publicKey)) {
    // A re-certified terminal (new key pair, certificate from the same trusted acquirer CA).
    await tx.query('UPDATE terminals SET public_key = $2, certificate = $3 WHERE terminal_id = $1', [
      terminalId,
      batch.publicKey,
      batch.certificate,
    ]);
  }
  const merchantId = terminal.merchant_id;
  const lastSeq = terminal.last_seq ?? -1;
  const first = records[0]!;
  const batchLastSeq = records[records.length - 1]!.seq;

  if (first.seq > lastSeq + 1) {
    throw new UploadRejected(
      409,
      'ERR_BATCH_GAP',
      `the service holds ${terminalId}'s log up to seq ${lastSeq}; this batch starts at ${first.seq}: upload from ${lastSeq + 1}`,
      first.seq,
      {
        kind: 'upload-gap',
        severity: 'warning',
        terminalId,
        details: { heldUpToSeq: lastSeq, batchFirstSeq: first.seq },
      },
    );
  }

  const leaves: Array<{ seq: number; leafIndex: number }> = [];
  if (first.seq <= lastSeq) {
    const held = await tx.query<{ seq: number; record_hash: Uint8Array; merkle_leaf_index: number }>(
      `SELECT r.seq, r.record_hash, ${LEAF_INDEX_SQL} AS merkle_leaf_index
       FROM accepted_records r LEFT JOIN batches b ON b.batch_id = r.batch_id
       WHERE r.terminal_id = $1 AND r.seq BETWEEN $2 AND $3 ORDER BY r.seq`,
      [terminalId, first.seq, Math.min(lastSeq, batchLastSeq)],
    );
    const bySeq = new Map(held.map((h) => [h.seq, h]));
    for (const r of records) {
      if (r.seq > lastSeq) break;
      const h = bySeq.get(r.seq);
      if (!h || !equal(h.record_hash, r.recordHash)) {
        throw new UploadRejected(
          409,
          'ERR_LOG_FORK',
          `record ${r.seq} differs from the record ${terminalId} uploaded before with that seq: the log forked`,
          r.seq,
          {
            kind: 'terminal-log-fork',
            severity: 'critical',
            terminalId,
            details: { seq: r.seq, heldHash: h ? hex(h.record_hash) : null, uploadedHash: hex(r.recordHash) },
          },
        );
      }
      leaves.push({ seq: r.seq, leafIndex: h.merkle_leaf_index });
    }
  }
  const fresh = records.filter((r) => r.seq > lastSeq);
  if (fresh.length === 0) return duplicateReceipt(ctx, tx, terminalId, terminal, records, leaves);
  const firstFresh = fresh[0]!;
  if (lastSeq >= 0 && !equal(firstFresh.decoded.prevHash, terminal.head_hash!)) {
    throw new UploadRejected(
      409,
      'ERR_LOG_FORK',
      `record ${firstFresh.seq} does not chain to the record ${lastSeq} the service holds: the log forked`,
      firstFresh.seq,
      {
        kind: 'terminal-log-fork',
        severity: 'critical',
        terminalId,
        details: { seq: firstFresh.seq, heldHeadHash: hex(terminal.head_hash!) },
      },
    );
  }

  const flags = new Map<VerifiedRecord, FraudFlag>();
  let alerts = 0;
  const alert = async (a: AlertInput) => {
    alerts++;
    await raiseAlert(tx, a);
  };
  // Records the database cannot hold are stored as bytes only and skip every money rule (quarantine.ts).
  const unstorable = findUnstorable(fresh);
  const live = unstorable.size === 0 ? fresh : fresh.filter((r) => !unstorable.has(r));
  for (const problem of unstorable.values()) {
    await alert({
      kind: 'record-quarantined',
      severity: 'warning',
      terminalId,
      details: { seq: problem.seq, field: problem.field, reason: problem.message },
    });
  }
  await claimCardCounters(tx, terminalId, live, flags, alert);
  // Reload matches are found before the insert (they decide flags) and applied after it.
  const reloadMatches = await matchReloads(tx, terminalId, live, flags, alert);

  const batchId = await insertBatchAndRecords(
    tx,
    { terminalId, merchantId, batchHash: records[records.length - 1]!.recordHash, lastSeq: batchLastSeq },
    fresh,
    flags,
    { unstorable, receivedAtS: Math.floor(ctx.now() / 1000) },
  );

  const debitBillRefs = [
    ...new Set(live.flatMap((r) => (r.recordType === 'debit' && r.billRef ? [r.billRef] : []))),
  ];
  if (debitBillRefs.length > 0) {
    // Starts from the batch's bill refs (primary-key probes): most sales name no registered bill.
    await tx.query(
      `UPDATE bills b SET status = 'paid', paid_record_id = r.record_id, paid_at = now()
       FROM accepted_records r
       WHERE b.bill_ref = ANY($4::text[]) AND b.status = 'open'
         AND r.terminal_id = $1 AND r.seq BETWEEN $2 AND $3 AND r.record_type = 'debit'
         AND r.bill_ref = b.bill_ref AND r.amount_cents = b.amount_cents`,
      [terminalId, firstFresh.seq, batchLastSeq, debitBillRefs],
    );
  }
  if (live.some((r) => r.recordType === 'cancel')) {
    await tx.query(
      `UPDATE bills b SET status = 'open', paid_record_id = NULL, paid_at = NULL
       FROM accepted_records r, accepted_records paid
       WHERE r.terminal_id = $1 AND r.seq BETWEEN $2 AND $3 AND r.record_type = 'cancel'
         AND b.bill_ref = r.bill_ref AND b.status = 'paid' AND paid.record_id = b.paid_record_id
         AND paid.card_number = r.card_number AND paid.amount_cents = r.amount_cents`,
      [terminalId, firstFresh.seq, batchLastSeq],
    );
  }
  for (const r of live) {
    if (r.decoded.type !== 'reload' || flags.get(r) === 'reload-unmatched') continue;
    await tx.query(
      `UPDATE load_authorizations SET status = 'consumed',
         consumed_record_id = (SELECT record_id FROM accepted_records WHERE terminal_id = $1 AND seq = $2)
       WHERE authorization_id = $3`,
      [terminalId, r.seq, reloadMatches.get(r)!.authorization_id],
    );
    const topupId = reloadMatches.get(r)!.topup_id;
    if (topupId !== null) {
      await tx.query(`UPDATE pending_topups SET status = 'loaded' WHERE topup_id = $1`, [topupId]);
    }
  }
  for (const r of live) {
    if (r.decoded.type !== 'shift-close') continue;
    const rec = await reconcileShift(tx, terminalId, r.decoded.shiftId, {
      count: r.decoded.saleCount,
      amountCents: r.decoded.saleTotalCents,
    });
    if (rec.status === 'out-of-balance') {
      await alert({
        kind: 'shift-out-of-balance',
        severity: 'warning',
        terminalId,
        details: { shiftId: rec.shiftId, terminal: rec.terminal, service: rec.service, seq: r.seq },
      });
    }
  }

  const headRecord = records[records.length - 1]!;
  await tx.query('UPDATE terminals SET last_seq = $2, head_hash = $3 WHERE terminal_id = $1', [
    terminalId,
    headRecord.seq,
    headRecord.recordHash,
  ]);

  // The Merkle append comes last: merkle_state is the one lock every upload shares. Leaf hashes
  // are computed before taking it; under it: one read, the position-dependent hashing (~1 ms),
  // two signatures, and one statement that writes nodes, state, tree head and receipt. Then commit.
  const leafHashes = fresh.map((r) => hashLeaf(r.record));
  const state = await lockTreeState(tx);
  const plan = planAppend(state, leafHashes);
  const { head } = plan;
  fresh.forEach((r, j) => {
    leaves.push({ seq: r.seq, leafIndex: plan.firstIndex + j });
  });
  const receivedAtMs = ctx.now();
  const treeSignature = await ctx.signer.sign(encodeTreeHead({ ...head, timestampMs: receivedAtMs }));
  const receipt: BatchReceipt = {
    terminalId,
    heldUpToSeq: headRecord.seq,
    headHash: headRecord.recordHash,
    batchFirstSeq: first.seq,
    batchLastSeq,
    newCount: fresh.length,
    duplicateCount: records.length - fresh.length,
    totals: totalsByType(fresh),
    treeSize: head.treeSize,
    rootHash: head.rootHash,
    treeTimestampMs: receivedAtMs,
    receivedAtMs,
    leaves,
  };
  const receiptBytes = encodeBatchReceipt(receipt);
  const signature = await ctx.signer.sign(receiptBytes);
  await writeAppend(tx, plan, { treeSignature, receivedAtMs, batchId, receiptBytes, signature });
  return {
    status: 'accepted',
    receiptId: batchId,
    receipt,
    receiptBytes,
    signature,
    alerts,
    quarantined: [...unstorable.values()],
  };
}

async function matchReloads(
  q: Queryable,
  tid: string,
  rs: VerifiedRecord[],
  fl: Map<VerifiedRecord, FraudFlag>,
  raise: (a: AlertInput) => Promise<void>,
): Promise<Map<VerifiedRecord, { authorization_id: number; topup_id: number | null }>> {
  const reloadMatches = new Map<VerifiedRecord, { authorization_id: number; topup_id: number | null }>();
  for (const r of rs) {
    if (r.decoded.type !== 'reload' || !r.card) continue;
    const rows = await q.query<{
      authorization_id: number;
      topup_id: number | null;
      amount_cents: number;
      load_ref: string | null;
      card_counter: number | null;
      status: string;
    }>(
      `SELECT authorization_id, topup_id, amount_cents, load_ref, card_counter, status FROM load_authorizations
       WHERE card_number = $1 AND terminal_id = $2 AND terminal_seq = $3 ORDER BY authorization_id`,
      [r.card.cardNumber, tid, r.card.terminalSeq],
    );
    const match = rows.find(
      (a) =>
        a.status === 'issued' &&
        a.amount_cents === r.card!.amountCents &&
        a.load_ref === r.card!.reference &&
        a.card_counter !== null &&
        a.card_counter + 1 === r.card!.counter,
    );
    if (match) {
      reloadMatches.set(r, match);
    } else if (!fl.has(r)) {
      fl.set(r, 'reload-unmatched');
      await raise({
        kind: 'reload-without-authorization',
        severity: 'critical',
        terminalId: tid,
        cardNumber: r.card.cardNumber,
        details: {
          seq: r.seq,
          counter: r.card.counter,
          amountCents: r.card.amountCents,
          loadRef: r.card.reference,
          authorizationsForThisRequest: rows.length,
        },
      });
    }
  }
  return reloadMatches;
}

function totalsByType(records: readonly VerifiedRecord[]): BatchReceipt['totals'] {
  const totals = new Map<string, { type: string; count: number; amountCents: number }>();
  for (const r of records) {
    const t = totals.get(r.decoded.type) ?? { type: r.decoded.type, count: 0, amountCents: 0 };
    t.count++;
    t.amountCents += r.amountCents;
    totals.set(r.decoded.type, t);
  }
  return [...totals.values()];
}

async function duplicateReceipt(
  ctx: IngestContext,
  tx: Queryable,
  terminalId: string,
  terminal: TerminalLockRow,
  records: readonly VerifiedRecord[],
  leaves: Array<{ seq: number; leafIndex: number }>,
): Promise<IngestResult> {
  const last = records[records.length - 1]!;
  // The exact batch again (a retry after a lost response): the same receipt as the first time.
  const stored = await tx.query<{
    batch_id: number;
    receipt: Uint8Array | null;
    receipt_signature: Uint8Array | null;
  }>('SELECT batch_id, receipt, receipt_signature FROM batches WHERE terminal_id = $1 AND batch_hash = $2', [
    terminalId,
    last.recordHash,
  ]);
  const prior = stored[0];
  if (prior?.receipt && prior.receipt_signature) {
    const { decodeBatchReceipt } = await import('./signed-messages');
    const receipt = decodeBatchReceipt(prior.receipt);
    if (receipt.batchFirstSeq === records[0]!.seq) {
      return {
        status: 'duplicate',
        receiptId: prior.batch_id,
        receipt,
        receiptBytes: prior.receipt,
        signature: prior.receipt_signature,
        alerts: 0,
      };
    }
  }
  const head = await tx.query<{ tree_size: number; root_hash: Uint8Array; timestamp_ms: number }>(
    'SELECT tree_size, root_hash, timestamp_ms FROM merkle_tree_heads ORDER BY tree_size DESC LIMIT 1',
  );
  const h = head[0]!;
  const receipt: BatchReceipt = {
    terminalId,
    heldUpToSeq: terminal.last_seq!,
    headHash: terminal.head_hash!,
    batchFirstSeq: records[0]!.seq,
    batchLastSeq: last.seq,
    newCount: 0,
    duplicateCount: records.length,
    totals: [],
    treeSize: h.tree_size,
    rootHash: h.root_hash,
    treeTimestampMs: h.timestamp_ms,
    receivedAtMs: ctx.now(),
    leaves,
  };
  const receiptBytes = encodeBatchReceipt(receipt);
  return {
    status: 'duplicate',
    receiptId: null,
    receipt,
    receiptBytes,
    signature: await ctx.signer.sign(receiptBytes),
    alerts: 0,
  };
}
