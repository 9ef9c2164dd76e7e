import { hash } from 'node:crypto';

/**
 * SHA-256 of `data` as a plain Uint8Array view over the digest (no copy). One-shot `hash()`
 * (Node ≥ 20.12; engines require ≥ 20.19) skips a Hash object per call: the ingest path hashes
 * every record leaf, every proof and about one Merkle interior node per record.
 */
export function sha256(data: Uint8Array): Uint8Array {
  const digest = hash('sha256', data, 'buffer');
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
}
