/** Amounts shown to people: integer cents as KES with two decimals, exactly (no floating point). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test/support/random';
import { kesToCents } from '../src/app';
import { centsToKes, formatKes } from '../src/kes';

const seed = process.env.HUDUMA_SEED === undefined ? Date.now() : Number(process.env.HUDUMA_SEED);

describe('KES for people', () => {
  it('shows cents as KES with two decimals', () => {
    expect(centsToKes(0)).toBe('0.00');
    expect(centsToKes(5)).toBe('0.05');
    expect(centsToKes(150_050)).toBe('1500.50');
    expect(centsToKes(-20_000)).toBe('-200.00');
    expect(formatKes(123_456_789)).toBe('KES 1,234,567.89');
    expect(formatKes(-1_000_00)).toBe('-KES 1,000.00');
  });

  it('round-trips every amount a card can hold through the KES text (seeded)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (cents) => {
        expect(kesToCents(centsToKes(cents))).toBe(cents);
      }),
      { seed, numRuns: propertyRuns(2000), verbose: true },
    );
  });
});
