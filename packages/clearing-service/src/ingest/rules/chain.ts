/**
 * Chain rule: the batch continues the log the service holds. A batch starting past the held
 * head is a gap (409, upload from the head); an overlapping record that differs from the one
 * held, or a first new record that does not chain to the held head, is a fork (409, critical
 * alert). Records already held are duplicates: a batch of nothing new ends the chain with the
 * receipt it was given the first time (or a fresh one over the same state).
 */
import { UploadRejected } from '../../batch-envelope';
import { LEAF_INDEX_SQL } from '../../ingest-insert';
import { type BatchReceipt, decodeBatchReceipt, encodeBatchReceipt } from '../../signed-messages';
import { bytesEqual, hexOf, type IngestRule, type IngestStep } from '../step';

export const chainRule: IngestRule = {
  name: 'chain',
  async check(step) {
    const { tx, terminalId, terminal, records } = step;
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
        if (!h || !bytesEqual(h.record_hash, r.recordHash)) {
          throw new UploadRejected(
            409,
            'ERR_LOG_FORK',
            `record ${r.seq} differs from the record ${terminalId} uploaded before with that seq: the log forked`,
            r.seq,
            {
              kind: 'terminal-log-fork',
              severity: 'critical',
              terminalId,
              details: {
                seq: r.seq,
                heldHash: h ? hexOf(h.record_hash) : null,
                uploadedHash: hexOf(r.recordHash),
              },
            },
          );
        }
        step.leaves.push({ seq: r.seq, leafIndex: h.merkle_leaf_index });
      }
    }
    step.fresh = records.filter((r) => r.seq > lastSeq);
    step.live = step.fresh;
    if (step.fresh.length === 0) {
      step.result = await duplicateReceipt(step);
      return;
    }
    const firstFresh = step.fresh[0]!;
    if (lastSeq >= 0 && !bytesEqual(firstFresh.decoded.prevHash, terminal.head_hash!)) {
      throw new UploadRejected(
        409,
        'ERR_LOG_FORK',
        `record ${firstFresh.seq} does not chain to the record ${lastSeq} the service holds: the log forked`,
        firstFresh.seq,
        {
          kind: 'terminal-log-fork',
          severity: 'critical',
          terminalId,
          details: { seq: firstFresh.seq, heldHeadHash: hexOf(terminal.head_hash!) },
        },
      );
    }
  },
};

/** Nothing new: the exact batch again (a retry after a lost answer) gets the same receipt as the first time. */
async function duplicateReceipt(step: IngestStep): Promise<NonNullable<IngestStep['result']>> {
  const { ctx, tx, terminalId, terminal, records, leaves } = step;
  const last = records[records.length - 1]!;
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
