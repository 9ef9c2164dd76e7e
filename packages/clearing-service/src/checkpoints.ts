import type { Queryable } from './db/types';
import { currentTreeHead } from './merkle';
import { encodeTreeHead } from './signed-messages';
import type { Signer } from './signer';

export interface SignedTreeHead {
  treeSize: number;
  rootHash: Uint8Array;
  timestampMs: number;
  /** Raw r||s over encodeTreeHead(...) by the service key. */
  signature: Uint8Array;
}

/**
 * Signs the current tree head unless it is already signed, stores it and returns it. Tree heads
 * are kept forever: each one is a checkpoint a terminal or auditor may hold a receipt against.
 */
export async function checkpointTreeHead(
  q: Queryable,
  signer: Signer,
  now: () => number = Date.now,
): Promise<SignedTreeHead> {
  const head = await currentTreeHead(q);
  const existing = await signedTreeHeadAt(q, head.treeSize);
  if (existing) return existing;
  const timestampMs = now();
  const signature = await signer.sign(encodeTreeHead({ ...head, timestampMs }));
  await q.query(
    `INSERT INTO merkle_tree_heads (tree_size, root_hash, timestamp_ms, signature) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tree_size) DO NOTHING`,
    [head.treeSize, head.rootHash, timestampMs, signature],
  );
  // Another instance may have won the race; both heads are valid, the stored one is canonical.
  return (await signedTreeHeadAt(q, head.treeSize))!;
}

type HeadRow = { tree_size: number; root_hash: Uint8Array; timestamp_ms: number; signature: Uint8Array };

function toHead(r: HeadRow): SignedTreeHead {
  return {
    treeSize: r.tree_size,
    rootHash: r.root_hash,
    timestampMs: r.timestamp_ms,
    signature: r.signature,
  };
}

export async function signedTreeHeadAt(q: Queryable, treeSize: number): Promise<SignedTreeHead | undefined> {
  const rows = await q.query<HeadRow>(
    'SELECT tree_size, root_hash, timestamp_ms, signature FROM merkle_tree_heads WHERE tree_size = $1',
    [treeSize],
  );
  return rows[0] && toHead(rows[0]);
}

export async function latestSignedTreeHead(q: Queryable): Promise<SignedTreeHead | undefined> {
  const rows = await q.query<HeadRow>(
    'SELECT tree_size, root_hash, timestamp_ms, signature FROM merkle_tree_heads ORDER BY tree_size DESC LIMIT 1',
  );
  return rows[0] && toHead(rows[0]);
}
