import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkpointTreeHead, latestSignedTreeHead } from '../src/checkpoints';
import {
  appendLeaves,
  currentTreeHead,
  EMPTY_ROOT,
  hashLeaf,
  inclusionProof,
  inclusionProofFromLeafHashes,
  rootFromLeaves,
  treeRootAt,
  verifyInclusion,
} from '../src/merkle';
import { encodeTreeHead } from '../src/signed-messages';
import { generateSigner, verifyP256 } from '../src/signer';
import { BACKENDS, databaseFor } from './backends';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

// Certificate Transparency's reference inputs and tree heads (merkle_test.cc), as reproduced by
// many independent RFC 6962 implementations.
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(unhex);
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
// [leaf index (0-based), tree size, audit path]
const CT_INCLUSION: Array<[number, number, string[]]> = [
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    1,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];

describe('RFC 6962 Merkle hashing (in memory)', () => {
  it('matches the CT reference tree heads for sizes 0..8', () => {
    expect(hex(EMPTY_ROOT)).toBe(CT_ROOTS[0]);
    for (let n = 0; n <= 8; n++)
      expect(hex(rootFromLeaves(CT_LEAVES.slice(0, n))), `size ${n}`).toBe(CT_ROOTS[n]);
  });

  it('produces and verifies the CT reference inclusion proofs', () => {
    const leafHashes = CT_LEAVES.map(hashLeaf);
    for (const [index, size, path] of CT_INCLUSION) {
      const proof = inclusionProofFromLeafHashes(leafHashes.slice(0, size), index);
      expect(proof.map(hex), `leaf ${index} of ${size}`).toEqual(path);
      expect(verifyInclusion(leafHashes[index]!, index, size, proof, unhex(CT_ROOTS[size]!))).toBe(true);
    }
  });

  it('every proof verifies and any altered proof fails (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 8 }), { minLength: 1, maxLength: 70 }),
        fc.nat(),
        fc.nat(),
        (leaves, indexSeed, tamperSeed) => {
          // Distinct leaves: with equal leaves a proof for one index is honestly valid for another.
          const distinct = leaves.map((l, i) => Uint8Array.of(i, ...l));
          const leafHashes = distinct.map(hashLeaf);
          const root = rootFromLeaves(distinct);
          const n = leaves.length;
          const index = indexSeed % n;
          const proof = inclusionProofFromLeafHashes(leafHashes, index);
          expect(verifyInclusion(leafHashes[index]!, index, n, proof, root)).toBe(true);
          // Wrong leaf, wrong index, truncated/extended path, flipped bit: all rejected. (The size is
          // bound by the root, not the path: leaf 0 has the same path shape in sizes 3 and 4.)
          if (n > 1) expect(verifyInclusion(leafHashes[index]!, (index + 1) % n, n, proof, root)).toBe(false);
          expect(
            verifyInclusion(hashLeaf(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9)), index, n, proof, root),
          ).toBe(false);
          expect(verifyInclusion(leafHashes[index]!, index, n, [...proof, root], root)).toBe(false);
          if (proof.length > 0) {
            expect(verifyInclusion(leafHashes[index]!, index, n, proof.slice(1), root)).toBe(false);
            const tampered = proof.map((p) => p.slice());
            const at = tamperSeed % (tampered.length * 256);
            tampered[Math.floor(at / 256)]![Math.floor((at % 256) / 8)]! ^= 1 << (at % 8);
            expect(verifyInclusion(leafHashes[index]!, index, n, tampered, root)).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe.each(BACKENDS)('persistent Merkle log on $name', (backend) => {
  const db = databaseFor(backend);

  it('appends incrementally to the CT reference roots and proves from stored nodes', async () => {
    expect(await currentTreeHead(db())).toEqual({ treeSize: 0, rootHash: EMPTY_ROOT });
    for (let n = 1; n <= 8; n++) {
      const { firstIndex, head } = await db().transaction((tx) => appendLeaves(tx, [CT_LEAVES[n - 1]!]));
      expect(firstIndex).toBe(n - 1);
      expect(hex(head.rootHash)).toBe(CT_ROOTS[n]);
    }
    for (let n = 0; n <= 8; n++) expect(hex(await treeRootAt(db(), n))).toBe(CT_ROOTS[n]);
    for (const [index, size, path] of CT_INCLUSION) {
      const p = await inclusionProof(db(), index, size);
      expect(p.proof.map(hex)).toEqual(path);
      expect(p.leafHash).toEqual(hashLeaf(CT_LEAVES[index]!));
    }
  });

  it('agrees with the reference for batch appends and every past tree size', async () => {
    const extra = Array.from({ length: 29 }, (_, i) => Uint8Array.of(i, i * 3, 7));
    await db().transaction((tx) => appendLeaves(tx, extra.slice(0, 13)));
    await db().transaction((tx) => appendLeaves(tx, extra.slice(13)));
    const all = [...CT_LEAVES, ...extra];
    const leafHashes = all.map(hashLeaf);
    expect((await currentTreeHead(db())).rootHash).toEqual(rootFromLeaves(all));
    for (const size of [1, 2, 9, 16, 17, 31, 37]) {
      const root = await treeRootAt(db(), size);
      expect(root).toEqual(rootFromLeaves(all.slice(0, size)));
      for (let i = 0; i < size; i++) {
        const p = await inclusionProof(db(), i, size);
        expect(p.proof).toEqual(inclusionProofFromLeafHashes(leafHashes.slice(0, size), i));
        expect(verifyInclusion(p.leafHash, i, size, p.proof, root)).toBe(true);
      }
    }
  });

  it('un-appends when the surrounding transaction rolls back', async () => {
    const before = await currentTreeHead(db());
    await expect(
      db().transaction(async (tx) => {
        await appendLeaves(tx, [Uint8Array.of(0xee)]);
        throw new Error('batch rejected');
      }),
    ).rejects.toThrow('batch rejected');
    expect(await currentTreeHead(db())).toEqual(before);
  });

  it('serialises concurrent appenders without losing leaves', async () => {
    const before = (await currentTreeHead(db())).treeSize;
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        db().transaction((tx) => appendLeaves(tx, [Uint8Array.of(0xa0, i), Uint8Array.of(0xb0, i)])),
      ),
    );
    const starts = results.map((r) => r.firstIndex).sort((a, b) => a - b);
    expect(starts).toEqual([0, 2, 4, 6, 8].map((d) => before + d));
    const head = await currentTreeHead(db());
    expect(head.treeSize).toBe(before + 10);
    const p = await inclusionProof(db(), head.treeSize - 1);
    expect(verifyInclusion(p.leafHash, head.treeSize - 1, head.treeSize, p.proof, head.rootHash)).toBe(true);
  });

  it('signs tree heads as checkpoints, once per size, verifiable with the service key', async () => {
    const signer = generateSigner();
    const sth = await checkpointTreeHead(db(), signer, () => 1_760_000_000_000);
    const head = await currentTreeHead(db());
    expect(sth).toMatchObject({
      treeSize: head.treeSize,
      rootHash: head.rootHash,
      timestampMs: 1_760_000_000_000,
    });
    expect(verifyP256(signer.publicKey, encodeTreeHead(sth), sth.signature)).toBe(true);
    expect(
      verifyP256(signer.publicKey, encodeTreeHead({ ...sth, treeSize: sth.treeSize - 1 }), sth.signature),
    ).toBe(false);
    expect(await checkpointTreeHead(db(), signer, () => 1)).toEqual(sth);
    expect(await latestSignedTreeHead(db())).toEqual(sth);
  });

  it('rejects proofs for leaves or sizes beyond the tree', async () => {
    const { treeSize } = await currentTreeHead(db());
    await expect(inclusionProof(db(), treeSize)).rejects.toMatchObject({ code: 'ERR_MERKLE_RANGE' });
    await expect(inclusionProof(db(), 0, treeSize + 1)).rejects.toMatchObject({ code: 'ERR_MERKLE_RANGE' });
  });
});
