import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test/support/random';
import {
  BATCH_RECEIPT_DOMAIN,
  type BatchReceipt,
  decodeBatchReceipt,
  encodeBatchReceipt,
} from '../src/signed-messages';

/** The receipt layout written out field by field, independently of the encoder's buffer handling. */
function referenceReceipt(r: BatchReceipt): Buffer {
  const u8 = (v: number) => Buffer.of(v);
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    return b;
  };
  const u64 = (v: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(v));
    return b;
  };
  const ascii = (t: string) => Buffer.concat([u8(Buffer.byteLength(t)), Buffer.from(t)]);
  const totals = [...r.totals].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return Buffer.concat([
    Buffer.from(BATCH_RECEIPT_DOMAIN),
    u8(0),
    ascii(r.terminalId),
    u64(r.heldUpToSeq),
    r.headHash,
    u64(r.batchFirstSeq),
    u64(r.batchLastSeq),
    u32(r.newCount),
    u32(r.duplicateCount),
    u8(totals.length),
    ...totals.flatMap((t) => [ascii(t.type), u32(t.count), u64(t.amountCents)]),
    u64(r.treeSize),
    r.rootHash,
    u64(r.treeTimestampMs),
    u64(r.receivedAtMs),
    u32(r.leaves.length),
    ...r.leaves.flatMap((l) => [u64(l.seq), u64(l.leafIndex)]),
  ]);
}

const u64 = fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1), fc.maxSafeNat());
const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
const ascii = (max: number) =>
  fc.string({ unit: fc.constantFrom(...'ABCT-0123456789'), minLength: 1, maxLength: max });

const receipt: fc.Arbitrary<BatchReceipt> = fc.record({
  terminalId: ascii(40),
  heldUpToSeq: u64,
  headHash: hash,
  batchFirstSeq: u64,
  batchLastSeq: u64,
  newCount: fc.nat({ max: 2 ** 32 - 1 }),
  duplicateCount: fc.nat({ max: 2 ** 32 - 1 }),
  totals: fc.uniqueArray(
    fc.record({ type: ascii(20), count: fc.nat({ max: 2 ** 32 - 1 }), amountCents: u64 }),
    { maxLength: 6, selector: (t) => t.type },
  ),
  treeSize: u64,
  rootHash: hash,
  treeTimestampMs: u64,
  receivedAtMs: u64,
  // Up to a few thousand leaves: the encoder's buffer grows several times, at every field kind.
  leaves: fc.array(fc.record({ seq: u64, leafIndex: u64 }), { maxLength: 3000 }),
});

describe('batch receipt encoding', () => {
  // A receipt is signed: its bytes must be exactly the documented layout, for every size.
  it('writes the documented layout for receipts of every size, and decodes back', () => {
    fc.assert(
      fc.property(receipt, (r) => {
        const bytes = encodeBatchReceipt(r);
        expect(Buffer.from(bytes).equals(referenceReceipt(r))).toBe(true);
        const back = decodeBatchReceipt(bytes);
        expect(back.leaves).toEqual(r.leaves);
        expect(back.terminalId).toBe(r.terminalId);
        expect(back.treeSize).toBe(r.treeSize);
      }),
      { numRuns: propertyRuns(200) },
    );
  });
});
