import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DigestSlab, sha256 } from '../src/sha256';

const reference = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());

describe('SHA-256 digests', () => {
  it('a slab gives every digest OpenSSL gives, in its own 32 bytes, also past its capacity', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 40 }),
        fc.integer({ min: 0, max: 50 }),
        (inputs, capacity) => {
          const slab = new DigestSlab(capacity);
          const digests = inputs.map((d) => slab.sha256(d));
          // Checked after all were written: a later digest never overwrites an earlier one.
          digests.forEach((digest, i) => {
            expect(digest).toEqual(reference(inputs[i]!));
            expect(digest.length).toBe(32);
          });
          expect(inputs.map(sha256)).toEqual(inputs.map(reference));
        },
      ),
    );
  });

  it('keeps every byte value of a digest (it passes through a one-byte-per-character string)', () => {
    // Digests of 0..999 cover every byte value 0x00-0xff in every position many times over.
    const slab = new DigestSlab(1000);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const input = new Uint8Array([i >> 8, i & 0xff]);
      const digest = slab.sha256(input);
      expect(digest).toEqual(reference(input));
      for (const b of digest) seen.add(b);
    }
    expect(seen.size).toBe(256);
  });
});
