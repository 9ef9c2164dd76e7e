import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatKes, parseAmount } from '../src/index';

describe('amounts', () => {
  it('parses KES strings to exact cents', () => {
    expect(parseAmount('250.00')).toBe(25_000);
    expect(parseAmount('250')).toBe(25_000);
    expect(parseAmount('250.5')).toBe(25_050);
    expect(parseAmount('0.01')).toBe(1);
    expect(parseAmount(' 4550.00 ')).toBe(455_000);
    expect(parseAmount('42949672.95')).toBe(0xffff_ffff);
  });

  it('rejects what is not a KES amount', () => {
    for (const bad of [
      '2.505',
      '-1',
      '-1.00',
      '1e3',
      '1,000.00',
      '.5',
      '5.',
      '',
      'abc',
      '0',
      '0.00',
      '42949672.96',
      '+5',
    ])
      expect(() => parseAmount(bad), bad).toThrow(expect.objectContaining({ code: 'ERR_AMOUNT_FORMAT' }));
    expect(() => parseAmount('2.505')).toThrow(/more than 2 decimals/);
    expect(() => parseAmount('-1')).toThrow(/negative/);
    expect(() => parseAmount('500.00', { max: 10_000 })).toThrow(/above the maximum of KES 100.00/);
  });

  it('formatKes and parseAmount round-trip every cent value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0xffff_ffff }), (cents) => {
        expect(parseAmount(formatKes(cents).replaceAll(',', ''))).toBe(cents);
      }),
    );
    expect(formatKes(123_456_789)).toBe('1,234,567.89');
    expect(formatKes(5)).toBe('0.05');
  });
});
