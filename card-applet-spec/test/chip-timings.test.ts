import { describe, expect, it } from 'vitest';
import {
  CHIP_TIMINGS,
  type ChipPrimitive,
  ChipTimingError,
  type ChipTimings,
  modelV1Tap,
  TypicalCardTimeMs,
  V1_TAP_BUDGET_MS,
  V1_TAP_WIRE_BYTES,
} from '../src/index';

const PRIMITIVES: ChipPrimitive[] = [
  'ecdsaSign',
  'ecdsaVerify',
  'ecdh',
  'ecKeyGen',
  'aes128Cbc',
  'aes128Mac',
  'sha256',
  'persistentWrite',
  'random',
];

/** "avg op:;32.00" or, in profiles written with a decimal comma, "avg op:;25,53". */
const avgOpOf = (line: string) => line.match(/avg op:;(\d+)[.,](\d+)/);

describe('chip timings (SPEC.md §9.1)', () => {
  it('names at least three chips, each figure cited to a JCAlgTest profile', () => {
    expect(CHIP_TIMINGS.length).toBeGreaterThanOrEqual(3);
    for (const chip of CHIP_TIMINGS) {
      for (const p of PRIMITIVES) {
        const f = chip.primitives[p];
        expect(f.source, `${chip.name} ${p}`).toMatch(/^Profiles\/performance\/fixed\/.+\.csv$/);
        if (f.ms === null) {
          expect(f.line, `${chip.name} ${p}: say why it is missing`).toMatch(/^not /);
          continue;
        }
        // The figure is the quoted line's "avg op", transcribed exactly.
        const avg = avgOpOf(f.line);
        expect(avg, `${chip.name} ${p}: quoted line has no avg op`).not.toBeNull();
        expect(Number(`${avg![1]}.${avg![2]}`), `${chip.name} ${p}`).toBe(f.ms);
      }
    }
  });

  it('models the cached tap as RNG + SHA-256 + verify + sign + commit, and a new terminal as one more verify', () => {
    for (const chip of CHIP_TIMINGS) {
      const ms = (p: ChipPrimitive) => chip.primitives[p].ms ?? chip.substitutes[p]!.ms;
      const cached = modelV1Tap(chip, { terminalCertificateCached: true });
      const fresh = modelV1Tap(chip, { terminalCertificateCached: false });
      const expected =
        ms('random') + ms('sha256') + ms('ecdsaVerify') + ms('ecdsaSign') + ms('persistentWrite');
      expect(cached.cardMs).toBeCloseTo(expected, 2);
      expect(fresh.cardMs).toBeCloseTo(expected + ms('ecdsaVerify'), 2);
      expect(cached.transmissionMs).toBeCloseTo(V1_TAP_WIRE_BYTES * TypicalCardTimeMs.PER_BYTE, 2);
      expect(cached.totalMs).toBeCloseTo(cached.cardMs + cached.transmissionMs, 2);
      expect(cached.withinBudget).toBe(cached.totalMs <= V1_TAP_BUDGET_MS);
      // A borrowed figure is flagged on the step that uses it.
      const commit = cached.steps.find((s) => s.primitive === 'persistentWrite')!;
      expect(commit.substitute !== undefined).toBe(chip.primitives.persistentWrite.ms === null);
    }
  });

  it('refuses to model a chip that neither measures nor substitutes a needed primitive', () => {
    const chip = CHIP_TIMINGS.find((c) => c.substitutes.persistentWrite)!;
    const bare: ChipTimings = { ...chip, substitutes: {} };
    expect(() => modelV1Tap(bare, { terminalCertificateCached: true })).toThrow(ChipTimingError);
    try {
      modelV1Tap(bare, { terminalCertificateCached: true });
    } catch (err) {
      expect((err as ChipTimingError).code).toBe('ERR_CHIP_TIMING_MISSING');
      expect((err as ChipTimingError).primitive).toBe('persistentWrite');
    }
  });
});
