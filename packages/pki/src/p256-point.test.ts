import { sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test/support/random';
import { generateP256PrivateKey, isP256Point, p256PublicKeyObject, p256RawPublicKey } from './index';

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;

function rawPoint(): Uint8Array {
  return p256RawPublicKey(generateP256PrivateKey());
}

/** What OpenSSL says about the same 65 bytes: the reference the BigInt check must agree with. */
function opensslAccepts(point: Uint8Array): boolean {
  try {
    p256PublicKeyObject(point);
    return true;
  } catch {
    return false;
  }
}

describe('isP256Point', () => {
  it('accepts real public keys and refuses them with one bit of y flipped', () => {
    for (let i = 0; i < 20; i++) {
      const point = rawPoint();
      expect(isP256Point(point)).toBe(true);
      const bent = point.slice();
      bent[64]! ^= 1;
      expect(isP256Point(bent)).toBe(false);
      expect(opensslAccepts(bent)).toBe(false);
    }
  });

  it('refuses wrong lengths, compressed or infinity encodings, and coordinates ≥ p', () => {
    const point = rawPoint();
    expect(isP256Point(point.subarray(0, 64))).toBe(false);
    expect(isP256Point(Uint8Array.of(0))).toBe(false);
    const compressed = point.slice();
    compressed[0] = 0x02;
    expect(isP256Point(compressed)).toBe(false);
    // x + p has the same residue as x: on the curve mod p, but not a canonical encoding.
    const x = BigInt(`0x${Buffer.from(point.subarray(1, 33)).toString('hex')}`);
    if (x + P < 2n ** 256n) {
      const shifted = point.slice();
      shifted.set(Buffer.from((x + P).toString(16).padStart(64, '0'), 'hex'), 1);
      expect(isP256Point(shifted)).toBe(false);
      expect(opensslAccepts(shifted)).toBe(false);
    }
  });

  // The global seed (test/support/seed.ts) drives the properties and is printed on failure.
  it('agrees with OpenSSL on generated points, valid and mutated', () => {
    const valid = Array.from({ length: 8 }, rawPoint);
    fc.assert(
      fc.property(
        fc.nat(valid.length - 1),
        fc.array(fc.tuple(fc.nat(64), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        (which, edits) => {
          const point = valid[which]!.slice();
          for (const [at, value] of edits) point[at] = value;
          expect(isP256Point(point)).toBe(opensslAccepts(point));
        },
      ),
      { numRuns: propertyRuns(300) },
    );
  });
});

describe('generateP256PrivateKey', () => {
  it('makes distinct P-256 keys whose signatures verify under their raw public point', () => {
    const a = generateP256PrivateKey();
    const b = generateP256PrivateKey();
    expect(a.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const pointA = p256RawPublicKey(a);
    expect(isP256Point(pointA)).toBe(true);
    expect(pointA).not.toEqual(p256RawPublicKey(b));
    const message = new TextEncoder().encode('huduma');
    const signature = sign('sha256', message, { key: a, dsaEncoding: 'ieee-p1363' });
    expect(
      verify('sha256', message, { key: p256PublicKeyObject(pointA), dsaEncoding: 'ieee-p1363' }, signature),
    ).toBe(true);
    expect(
      verify(
        'sha256',
        message,
        { key: p256PublicKeyObject(p256RawPublicKey(b)), dsaEncoding: 'ieee-p1363' },
        signature,
      ),
    ).toBe(false);
  });
});
