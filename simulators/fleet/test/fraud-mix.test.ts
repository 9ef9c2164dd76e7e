/**
 * `--fraud-mix`: the shares a run is given, and every other value refused with a FraudMixError
 * naming the entry at fault. fast-check's seed comes from the vitest setup (HUDUMA_SEED replays).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test/support/random';
import { FraudMixError, parseFraudMix, shareOf } from '../src/fraud-mix';

function refusal(raw: string): FraudMixError {
  try {
    parseFraudMix(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(FraudMixError);
    return err as FraudMixError;
  }
  throw new Error(`${JSON.stringify(raw)} was accepted`);
}

describe('--fraud-mix', () => {
  it('reads the shares of cloned cards and tampering terminals', () => {
    expect(parseFraudMix('clones=0.02,tamper=0.1')).toEqual({ clones: 0.02, tamper: 0.1 });
    expect(parseFraudMix('tamper=1')).toEqual({ tamper: 1 });
    expect(parseFraudMix('clones=0,tamper=.5')).toEqual({ clones: 0, tamper: 0.5 });
    expect(parseFraudMix('tamper=1.000')).toEqual({ tamper: 1 });
  });

  it('turns a share into a count: rounded, at least one unless the share is 0, never more than all', () => {
    expect(shareOf(0.1, 6)).toBe(1);
    expect(shareOf(0.02, 60)).toBe(1);
    expect(shareOf(0.5, 7)).toBe(4);
    expect(shareOf(0, 100)).toBe(0);
    expect(shareOf(1, 3)).toBe(3);
  });

  it('refuses hand-picked hostile values, naming the entry', () => {
    for (const [raw, field] of [
      ['', '--fraud-mix'],
      ['tamper', '--fraud-mix.tamper'],
      ['tamper=', '--fraud-mix.tamper'],
      ['tamper=1.5', '--fraud-mix.tamper'],
      ['tamper=-0.1', '--fraud-mix.tamper'],
      ['tamper=NaN', '--fraud-mix.tamper'],
      ['tamper=1e-3', '--fraud-mix.tamper'],
      ['tamper=0x1', '--fraud-mix.tamper'],
      ['tamper= 0.1', '--fraud-mix.tamper'],
      ['tamper=0.1234567', '--fraud-mix.tamper'],
      ['tamper=0.1,tamper=0.2', '--fraud-mix.tamper'],
      ['clones=0.1,', '--fraud-mix'],
      ['skim=0.1', '--fraud-mix'],
      ['__proto__=0.1', '--fraud-mix'],
      ['Tamper=0.1', '--fraud-mix'],
      [`clones=0.1,${'x'.repeat(200)}`, '--fraud-mix'],
    ] as const) {
      const err = refusal(raw);
      expect(err.code, raw).toBe('ERR_FRAUD_MIX');
      expect(err.field, raw).toBe(field);
      expect(err.message.startsWith(`${field}: `), raw).toBe(true);
      expect(err.message.length, raw).toBeLessThan(200);
    }
  });

  it('generated values: either valid shares in [0, 1] of known kinds, or a FraudMixError, never anything else', () => {
    const entry = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc
        .tuple(
          fc.constantFrom('clones', 'tamper', 'tamper ', 'x', ''),
          fc.oneof(fc.double().map(String), fc.string({ maxLength: 8 }), fc.integer().map(String)),
        )
        .map(([k, v]) => `${k}=${v}`),
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 4 }), (entries) => {
        const raw = entries.join(',');
        let mix: ReturnType<typeof parseFraudMix>;
        try {
          mix = parseFraudMix(raw);
        } catch (err) {
          expect(err).toBeInstanceOf(FraudMixError);
          expect((err as FraudMixError).field).toMatch(/^--fraud-mix(\.(clones|tamper))?$/);
          return;
        }
        for (const [kind, share] of Object.entries(mix)) {
          expect(['clones', 'tamper']).toContain(kind);
          expect(share).toBeGreaterThanOrEqual(0);
          expect(share).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: propertyRuns(500) },
    );
  });
});
