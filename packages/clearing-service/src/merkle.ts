/**
 * RFC 6962 / RFC 9162 Merkle tree over accepted records.
 *
 *   leaf hash  = SHA-256(0x00 || data)
 *   node hash  = SHA-256(0x01 || left || right)
 *   MTH(D[n])  = split at k, the largest power of two < n: node(MTH(D[0:k]), MTH(D[k:n]))
 *
 * Storage keeps the hash of perfect, aligned subtrees ("node" (level, index) covers leaves
 * [index·2^level, (index+1)·2^level)); those never change once complete, so proofs for any past
 * tree size are assembled from O(log n) of them, and an append only writes the subtrees the new
 * leaf completes. The frontier (roots of the perfect subtrees of the whole tree, largest first)
 * gives the root without reading anything else.
 *
 * Uploads store the nodes of level UPLOAD_NODES_FROM_LEVEL and up only: the levels below are
 * almost two rows per record (a leaf and, every other leaf, its parent), while a proof needs at
 * most one node of each, which it rebuilds from the (immutable) records under it: at most 16.
 */
import { bigints } from './db/array-param';
import type { Queryable } from './db/types';
import { MerkleError } from './errors';
import { DigestSlab, sha256 } from './sha256';

export const HASH_SIZE = 32;

/** Lowest Merkle level an upload stores (see the module comment): 2^4 = 16 leaves per stored node. */
export const UPLOAD_NODES_FROM_LEVEL = 4;

function leafInput(data: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + data.length);
  input[0] = 0x00;
  input.set(data, 1);
  return input;
}

function childrenInput(left: Uint8Array, right: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + left.length + right.length);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return input;
}

export function hashLeaf(data: Uint8Array): Uint8Array {
  return sha256(leafInput(data));
}

/** The leaf hashes of one upload's records, side by side in one slab (sha256.ts). */
export function hashLeaves(data: readonly Uint8Array[]): Uint8Array[] {
  const slab = new DigestSlab(data.length);
  return data.map((d) => slab.sha256(leafInput(d)));
}

export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(childrenInput(left, right));
}

/** SHA-256 of the empty string: the RFC's MTH of an empty tree. */
export const EMPTY_ROOT = sha256(new Uint8Array(0));

/** Largest power of two strictly less than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function log2Exact(n: number): number {
  return Math.round(Math.log2(n));
}

/** Reference MTH over all leaf data, straight from the RFC (tests and small trees). */
export function rootFromLeaves(leaves: readonly Uint8Array[]): Uint8Array {
  return subtreeRoot(leaves.map(hashLeaf), 0, leaves.length);
}

function subtreeRoot(leafHashes: readonly Uint8Array[], start: number, end: number): Uint8Array {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leafHashes[start]!;
  const k = splitPoint(n);
  return hashChildren(subtreeRoot(leafHashes, start, start + k), subtreeRoot(leafHashes, start + k, end));
}

// ---------------------------------------------------------------------------------------------
// Perfect-subtree decomposition

export interface NodeId {
  level: number;
  index: number;
}

/**
 * The perfect aligned subtrees that make up leaves [start, end), largest first, for ranges
 * that arise in RFC 6962 trees (start is a multiple of the largest power of two ≤ end - start).
 */
export function decompose(start: number, end: number): NodeId[] {
  const nodes: NodeId[] = [];
  while (start < end) {
    let size = 1;
    while (size * 2 <= end - start && start % (size * 2) === 0) size *= 2;
    nodes.push({ level: log2Exact(size), index: start / size });
    start += size;
  }
  return nodes;
}

/** Hash of a range from the hashes of its decomposition: fold right to left. */
function foldRange(hashes: Uint8Array[]): Uint8Array {
  let acc = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) acc = hashChildren(hashes[i]!, acc);
  return acc;
}

/**
 * The subtree ranges whose hashes form the inclusion proof of leaf `m` in a tree of `n` leaves,
 * bottom-up (RFC 9162 §2.1.3.1 order: the sibling nearest the leaf first).
 */
export function inclusionProofRanges(m: number, n: number): Array<[number, number]> {
  if (!(Number.isSafeInteger(m) && Number.isSafeInteger(n) && m >= 0 && m < n)) {
    throw new MerkleError('ERR_MERKLE_RANGE', `leaf index ${m} is not inside a tree of size ${n}`);
  }
  const ranges: Array<[number, number]> = [];
  let start = 0;
  let end = n;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < start + k) {
      ranges.push([start + k, end]);
      end = start + k;
    } else {
      ranges.push([start, start + k]);
      start += k;
    }
  }
  return ranges.reverse();
}

/** Inclusion proof from an in-memory list of leaf hashes (reference; tests). */
export function inclusionProofFromLeafHashes(leafHashes: readonly Uint8Array[], m: number): Uint8Array[] {
  return inclusionProofRanges(m, leafHashes.length).map(([s, e]) => subtreeRoot(leafHashes, s, e));
}

/**
 * RFC 9162 §2.1.3.2: does `proof` show that `leafHash` is leaf `index` of the tree of `treeSize`
 * leaves whose root is `root`? Never throws on malformed input; returns false.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(treeSize)) || index < 0 || index >= treeSize)
    return false;
  if (leafHash.length !== HASH_SIZE || root.length !== HASH_SIZE) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of proof) {
    if (p.length !== HASH_SIZE || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.length === root.length && r.every((b, i) => b === root[i]);
}

// ---------------------------------------------------------------------------------------------
// Persistent log

export interface TreeHead {
  treeSize: number;
  rootHash: Uint8Array;
}

function splitFrontier(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += HASH_SIZE) out.push(bytes.slice(i, i + HASH_SIZE));
  return out;
}

function joinFrontier(hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(hashes.length * HASH_SIZE);
  hashes.forEach((h, i) => {
    out.set(h, i * HASH_SIZE);
  });
  return out;
}

function rootFromFrontier(frontier: readonly Uint8Array[]): Uint8Array {
  return frontier.length === 0 ? EMPTY_ROOT : foldRange([...frontier]);
}

/**
 * Appends leaves (by their data) to the persistent tree and returns their indexes and the new
 * head, with the upload's own steps (lockTreeState, planAppend) but no tree head or receipt:
 * for tools and tests that build a tree. Call inside a transaction; merkle_state's row lock
 * serialises appenders, and a rollback un-appends.
 */
export async function appendLeaves(
  tx: Queryable,
  leavesData: readonly Uint8Array[],
): Promise<{ firstIndex: number; head: TreeHead }> {
  const plan = planAppend(await lockTreeState(tx), leavesData.map(hashLeaf));
  await tx.query(
    `WITH nodes AS (
       INSERT INTO merkle_nodes (level, node_index, hash)
       SELECT u.level, u.node_index, decode(u.hash, 'hex') FROM unnest($3::smallint[], $4::bigint[], $5::text[])
         AS u(level, node_index, hash))
     UPDATE merkle_state SET tree_size = $1, frontier = $2 WHERE singleton`,
    [
      plan.head.treeSize,
      plan.frontier,
      plan.nodes.map((n) => n.level),
      plan.nodes.map((n) => n.index),
      plan.nodes.map((n) => Buffer.from(n.hash).toString('hex')),
    ],
  );
  return { firstIndex: plan.firstIndex, head: plan.head };
}

export async function currentTreeHead(q: Queryable): Promise<TreeHead> {
  const rows = await q.query<{ tree_size: number; frontier: Uint8Array }>(
    'SELECT tree_size, frontier FROM merkle_state WHERE singleton',
  );
  const row = rows[0];
  if (!row)
    throw new MerkleError('ERR_MERKLE_STORE', 'merkle_state row is missing: were migrations applied?');
  return { treeSize: row.tree_size, rootHash: rootFromFrontier(splitFrontier(row.frontier)) };
}

async function loadNodes(q: Queryable, ids: readonly NodeId[]): Promise<Map<string, Uint8Array>> {
  const key = (level: number, index: number) => `${level}:${index}`;
  const unique = [...new Map(ids.map((id) => [key(id.level, id.index), id])).values()];
  const found = new Map<string, Uint8Array>();
  for (let i = 0; i < unique.length; i += 1000) {
    const chunk = unique.slice(i, i + 1000);
    const values = chunk.map((_, j) => `($${2 * j + 1}::smallint, $${2 * j + 2}::bigint)`);
    const rows = await q.query<{ level: number; node_index: number; hash: Uint8Array }>(
      `SELECT n.level, n.node_index, n.hash FROM merkle_nodes n
       JOIN (VALUES ${values.join(', ')}) AS wanted(level, node_index)
         ON n.level = wanted.level AND n.node_index = wanted.node_index`,
      chunk.flatMap((id) => [id.level, id.index]),
    );
    for (const r of rows) found.set(key(r.level, r.node_index), r.hash);
  }
  const rebuild = unique.filter(
    (id) => !found.has(key(id.level, id.index)) && id.level < UPLOAD_NODES_FROM_LEVEL,
  );
  if (rebuild.length > 0) {
    const leaves: number[] = [];
    for (const id of rebuild)
      for (let i = 0; i < 2 ** id.level; i++) leaves.push(id.index * 2 ** id.level + i);
    const data = await leafData(q, leaves);
    for (const id of rebuild) {
      const first = id.index * 2 ** id.level;
      const hashes: Uint8Array[] = [];
      for (let i = first; i < first + 2 ** id.level; i++) {
        const d = data.get(i);
        if (d) hashes.push(hashLeaf(d));
      }
      if (hashes.length === 2 ** id.level)
        found.set(key(id.level, id.index), subtreeRoot(hashes, 0, hashes.length));
    }
  }
  for (const id of unique) {
    if (!found.has(key(id.level, id.index))) {
      throw new MerkleError('ERR_MERKLE_STORE', `merkle node level ${id.level} index ${id.index} is missing`);
    }
  }
  return found;
}

/**
 * The stored bytes of leaves by index: each leaf's batch is the one with the greatest
 * first_leaf_index not above it (batches_first_leaf), its record the batch's first_seq plus the
 * offset (accepted_records (terminal_id, seq)). Leaves not found are absent from the map.
 */
async function leafData(q: Queryable, leaves: readonly number[]): Promise<Map<number, Uint8Array>> {
  const rows = await q.query<{ leaf: number; record: Uint8Array }>(
    `SELECT w.leaf, r.record
     FROM unnest($1::bigint[]) AS w(leaf)
     CROSS JOIN LATERAL (SELECT b.terminal_id, b.first_seq, b.first_leaf_index, b.record_count FROM batches b
       WHERE b.first_leaf_index IS NOT NULL AND b.first_leaf_index <= w.leaf
       ORDER BY b.first_leaf_index DESC, b.record_count DESC LIMIT 1) b
     JOIN accepted_records r ON r.terminal_id = b.terminal_id AND r.seq = b.first_seq + (w.leaf - b.first_leaf_index)
     WHERE w.leaf < b.first_leaf_index + b.record_count`,
    [bigints(leaves)],
  );
  return new Map(rows.map((r) => [r.leaf, r.record]));
}

async function rangeHashes(
  q: Queryable,
  ranges: ReadonlyArray<readonly [number, number]>,
): Promise<Uint8Array[]> {
  const plans = ranges.map(([s, e]) => decompose(s, e));
  const nodes = await loadNodes(q, plans.flat());
  return plans.map((plan) => foldRange(plan.map((id) => nodes.get(`${id.level}:${id.index}`)!)));
}

/** Root of the first `treeSize` leaves (any past size), from stored subtree hashes. */
export async function treeRootAt(q: Queryable, treeSize: number): Promise<Uint8Array> {
  const head = await currentTreeHead(q);
  if (!Number.isSafeInteger(treeSize) || treeSize < 0 || treeSize > head.treeSize) {
    throw new MerkleError('ERR_MERKLE_RANGE', `tree size ${treeSize} is outside 0..${head.treeSize}`);
  }
  if (treeSize === 0) return EMPTY_ROOT;
  const [root] = await rangeHashes(q, [[0, treeSize]]);
  return root!;
}

/** Inclusion proof of leaf `index` in the tree of `treeSize` leaves (default: current size). */
export async function inclusionProof(
  q: Queryable,
  index: number,
  treeSize?: number,
): Promise<{ leafHash: Uint8Array; treeSize: number; proof: Uint8Array[] }> {
  const size = treeSize ?? (await currentTreeHead(q)).treeSize;
  const head = treeSize === undefined ? { treeSize: size } : await currentTreeHead(q);
  if (size > head.treeSize) {
    throw new MerkleError('ERR_MERKLE_RANGE', `tree size ${size} exceeds the current size ${head.treeSize}`);
  }
  const ranges = inclusionProofRanges(index, size);
  const [leafHash, ...proof] = await rangeHashes(q, [[index, index + 1], ...ranges]);
  return { leafHash: leafHash!, treeSize: size, proof };
}

/**
 * The position-dependent part of an append, without I/O: given the locked state and the leaf
 * hashes (computed before taking the lock), the nodes to insert, the new frontier and head.
 */
export function planAppend(
  state: { treeSize: number; frontier: Uint8Array },
  leafHashes: readonly Uint8Array[],
  /** Nodes below this level are not returned for storing (uploads: UPLOAD_NODES_FROM_LEVEL). */
  storeFromLevel = 0,
): {
  firstIndex: number;
  nodes: Array<{ level: number; index: number; hash: Uint8Array }>;
  frontier: Uint8Array;
  head: TreeHead;
} {
  let frontier = splitFrontier(state.frontier);
  let size = state.treeSize;
  const nodes: Array<{ level: number; index: number; hash: Uint8Array }> = [];
  // n appends complete at most n + 63 nodes (one per trailing 1 bit of each new leaf's index).
  // Their hashes live until the plan is written: one slab for all of them (sha256.ts).
  const slab = new DigestSlab(leafHashes.length + 63);
  for (const leafHash of leafHashes) {
    let hash = leafHash;
    if (storeFromLevel === 0) nodes.push({ level: 0, index: size, hash });
    let level = 0;
    let index = size;
    while (index % 2 === 1) {
      hash = slab.sha256(childrenInput(frontier.pop()!, hash));
      level += 1;
      index = Math.floor(index / 2);
      if (level >= storeFromLevel) nodes.push({ level, index, hash });
    }
    frontier.push(hash);
    size += 1;
  }
  frontier = [...frontier];
  return {
    firstIndex: state.treeSize,
    nodes,
    frontier: joinFrontier(frontier),
    head: { treeSize: size, rootHash: rootFromFrontier(frontier) },
  };
}

/** Locks merkle_state (FOR UPDATE) and returns it; pair with planAppend. */
export async function lockTreeState(tx: Queryable): Promise<{ treeSize: number; frontier: Uint8Array }> {
  const rows = await tx.query<{ tree_size: number; frontier: Uint8Array }>(
    'SELECT tree_size, frontier FROM merkle_state WHERE singleton FOR UPDATE',
  );
  const row = rows[0];
  if (!row)
    throw new MerkleError('ERR_MERKLE_STORE', 'merkle_state row is missing: were migrations applied?');
  return { treeSize: row.tree_size, frontier: row.frontier };
}
