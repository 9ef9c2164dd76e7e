/**
 * Merkle-append rule, last: the new records' leaves are appended to the tree (the terminal's
 * head advanced with the bulk insert, ingest-insert.ts), and the signed tree head and the signed
 * receipt are written. merkle_state is the one lock every upload shares, so it is taken last:
 * leaf hashes are computed before; under it: one read, the position-dependent hashing (~1 ms),
 * two signatures, and one statement that writes nodes, state, tree head and receipt. Then commit.
 */
import { bigints, smallints } from '../../db/array-param';
import type { Queryable } from '../../db/types';
import { hashLeaves, lockTreeState, planAppend, UPLOAD_NODES_FROM_LEVEL } from '../../merkle';
import type { VerifiedRecord } from '../../record-verifier';
import { type BatchReceipt, encodeBatchReceipt, encodeTreeHead } from '../../signed-messages';
import type { IngestRule } from '../step';

export const merkleAppendRule: IngestRule = {
  name: 'merkle append',
  async apply(step) {
    const { ctx, tx, terminalId, records, fresh, leaves } = step;
    const headRecord = records[records.length - 1]!;
    const leafHashes = hashLeaves(fresh.map((r) => r.record));
    const plan = planAppend(await lockTreeState(tx), leafHashes, UPLOAD_NODES_FROM_LEVEL);
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
      batchFirstSeq: records[0]!.seq,
      batchLastSeq: headRecord.seq,
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
    await writeAppend(tx, plan, {
      treeSignature,
      receivedAtMs,
      batchId: step.batchId,
      receiptBytes,
      signature,
    });
    step.result = {
      status: 'accepted',
      receiptId: step.batchId,
      receipt,
      receiptBytes,
      signature,
      alerts: step.alerts,
      quarantined: [...step.unstorable.values()],
    };
  },
};

/** Nodes, state, signed tree head and receipt in one statement: the Merkle lock is held for one round trip after the read. */
export async function writeAppend(
  tx: Queryable,
  plan: ReturnType<typeof planAppend>,
  w: {
    treeSignature: Uint8Array;
    receivedAtMs: number;
    batchId: number | null;
    receiptBytes: Uint8Array | null;
    signature: Uint8Array | null;
  },
): Promise<void> {
  await tx.query(
    `WITH nodes AS (
       INSERT INTO merkle_nodes (level, node_index, hash)
       SELECT u.level, u.node_index, substring($12::bytea FROM ((u.n - 1) * 32 + 1)::integer FOR 32)
       FROM unnest($10::smallint[], $11::bigint[]) WITH ORDINALITY AS u(level, node_index, n)),
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
      smallints(plan.nodes.map((n) => n.level)),
      bigints(plan.nodes.map((n) => n.index)),
      Buffer.concat(plan.nodes.map((n) => n.hash)),
    ],
  );
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
