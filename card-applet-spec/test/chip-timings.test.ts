import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CHIP_TIMINGS,
  type ChipPrimitive,
  ChipTimingError,
  type ChipTimings,
  modelTap,
  TAP_BUDGET_MS,
  type TapModel,
  V2_STEP_MS,
} from '../src/index';

const SPEC = readFileSync(new URL('../SPEC.md', import.meta.url), 'utf8');

/** The text of one SPEC.md section, from its heading to the next heading of any level. */
function section(heading: string): string {
  const start = SPEC.indexOf(`\n${heading}`);
  if (start < 0) throw new Error(`SPEC.md has no section ${heading}`);
  const next = SPEC.slice(start + heading.length + 1).search(/\n#{2,4} /);
  return SPEC.slice(start, next < 0 ? undefined : start + heading.length + 1 + next);
}

/** The table row of `text` whose first cell contains `label`, as its cells. */
function row(text: string, label: string): string[] {
  const line = text.split('\n').find((l) => l.startsWith('|') && l.split('|')[1]!.includes(label));
  if (!line) throw new Error(`no table row "${label}"`);
  return line
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
}

/** "188.4 / 168.0 / 143.0" (any bold, units or trailing notes) → the A / B / C figures, as written. */
function abc(cell: string): string[] {
  const m = cell.replace(/\*\*/g, '').match(/([\d.]+) \/ ([\d.]+) \/ ([\d.]+)/);
  if (!m) throw new Error(`not an A / B / C cell: ${cell}`);
  return [m[1]!, m[2]!, m[3]!];
}

/** Equal to the spec's figure as the spec rounds it (half a unit of its last digit). */
function expectAsWritten(actual: number, written: string, what: string) {
  const decimals = written.includes('.') ? written.split('.')[1]!.length : 0;
  expect(
    Math.abs(actual - Number(written)),
    `${what}: model ${actual}, SPEC.md ${written}`,
  ).toBeLessThanOrEqual(0.5 * 10 ** -decimals + 1e-9);
}

/** SPEC.md §9.1's chip letters, mapped to CHIP_TIMINGS by the name the profile gives. */
function specChips(): ChipTimings[] {
  const s91 = section('### 9.1 Sources');
  return ['A', 'B', 'C'].map((letter) => {
    const name = row(s91, `${letter} — `)[0]!.replace(`${letter} — `, '');
    const chip = CHIP_TIMINGS.find((c) => c.name === name);
    if (!chip) throw new Error(`SPEC.md §9.1 chip ${letter} (${name}) is not in CHIP_TIMINGS`);
    return chip;
  });
}

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

  it('uses the figures SPEC.md §9.1 quotes for chips A, B and C (fails when either side drifts)', () => {
    const s91 = section('### 9.1 Sources');
    const chips = specChips();
    const rows: Array<[string, ChipPrimitive]> = [
      ['Signature_sign()', 'ecdsaSign'],
      ['Signature_verify()', 'ecdsaVerify'],
      ['ALG_EC_SVDP_DH_PLAIN KeyAgreement_generateSecret()', 'ecdh'],
      ['KeyPair_genKeyPair()', 'ecKeyGen'],
      ['MessageDigest_doFinal()', 'sha256'],
    ];
    for (const [label, primitive] of rows) {
      const cells = row(s91, label);
      chips.forEach((chip, i) => {
        expect(chip.primitives[primitive].ms, `${chip.name} ${primitive}`).toBe(Number(cells[1 + i]));
      });
    }
  });

  it('models the cached tap of §9.3 per chip: one public-key operation (the proof signature), within 300 ms', () => {
    const s93 = section('### 9.3 The cached tap');
    const chips = specChips();
    const models = chips.map((c) => modelTap(c, { firstTapAtTerminal: false }));
    const perExchange: Array<[string, number]> = [
      ['SELECT', 0],
      ['OPEN SESSION (TAP)', 1],
      ['DEBIT', 2],
    ];
    for (const [label, index] of perExchange) {
      const written = abc(row(s93, label)[3]!);
      models.forEach((m, i) => {
        expectAsWritten(m.exchanges[index]!.cardMs, written[i]!, `${m.chip} ${label}`);
      });
    }
    const totals = abc(row(s93, '**Total**')[3]!);
    const taps = abc(row(s93, 'Tap, card detected')[3]!);
    const wire = row(s93, '**Total**')[1]!.match(/(\d+) → ([\d.]+) ms \+ (\d+) ms/)!;
    models.forEach((m, i) => {
      expectAsWritten(m.cardMs, totals[i]!, `${m.chip} card total`);
      expectAsWritten(m.totalMs, taps[i]!, `${m.chip} tap`);
      expect(m.wireBytes).toBe(Number(wire[1]));
      expectAsWritten(m.wireBytes * V2_STEP_MS.PER_BYTE, wire[2]!, 'wire');
      expect(m.exchanges.length * V2_STEP_MS.PER_EXCHANGE).toBe(Number(wire[3]));
      expect(publicKeySteps(m)).toEqual(['ecdsaSign']);
      expect(m.withinBudget).toBe(true);
      expect(m.totalMs).toBeLessThanOrEqual(TAP_BUDGET_MS);
    });
  });

  it('models the first tap at a new terminal of §9.4 per chip: verify + ECDH + sign, over 300 ms', () => {
    const s94 = section('### 9.4 The first tap at a new terminal');
    const chips = specChips();
    const models = chips.map((c) => modelTap(c, { firstTapAtTerminal: true }));
    const register = abc(row(s94, 'REGISTER TERMINAL')[3]!);
    const rest = abc(row(s94, 'rest of the tap')[3]!);
    const notRegistered = abc(row(s94, 'OPEN SESSION → 9F12')[3]!);
    const firstTap = abc(row(s94, 'First tap at a new terminal')[3]!);
    models.forEach((m, i) => {
      const reg = m.exchanges.find((e) => e.command === 'REGISTER TERMINAL')!;
      expectAsWritten(reg.cardMs, register[i]!, `${m.chip} REGISTER TERMINAL`);
      const refused = m.exchanges[0]!;
      const refusedWithWire =
        refused.cardMs +
        (refused.commandBytes + refused.responseBytes) * V2_STEP_MS.PER_BYTE +
        V2_STEP_MS.PER_EXCHANGE;
      expectAsWritten(refusedWithWire, notRegistered[i]!, `${m.chip} OPEN SESSION → 9F12`);
      expectAsWritten(modelTap(chips[i]!, { firstTapAtTerminal: false }).totalMs, rest[i]!, `${m.chip} rest`);
      expectAsWritten(m.totalMs, firstTap[i]!, `${m.chip} first tap`);
      expect(publicKeySteps(m).sort()).toEqual(['ecdh', 'ecdsaSign', 'ecdsaVerify']);
      expect(m.publicKeyOperations).toBe(3);
      expect(m.withinBudget).toBe(false);
    });
  });

  it('models every named chip, each public-key step carrying the chip’s own measured figure', () => {
    for (const chip of CHIP_TIMINGS) {
      for (const firstTapAtTerminal of [false, true]) {
        const m = modelTap(chip, { firstTapAtTerminal });
        const steps = m.exchanges.flatMap((e) => e.steps);
        for (const s of steps.filter((x) => x.primitive && x.primitive !== 'sha256'))
          expect(s.ms, `${chip.name} ${s.primitive}`).toBe(chip.primitives[s.primitive!].ms);
        expect(m.cardMs).toBeCloseTo(
          steps.reduce((sum, s) => sum + s.ms, 0),
          1,
        );
        expect(m.totalMs).toBeCloseTo(m.cardMs + m.transmissionMs, 2);
      }
    }
  });

  it('refuses to model a chip that neither measures nor substitutes a needed primitive', () => {
    const chip = CHIP_TIMINGS[0]!;
    const bare: ChipTimings = {
      ...chip,
      primitives: {
        ...chip.primitives,
        ecdsaSign: { ...chip.primitives.ecdsaSign, ms: null, line: 'not measured' },
      },
      substitutes: {},
    };
    expect(() => modelTap(bare, { firstTapAtTerminal: false })).toThrow(ChipTimingError);
    try {
      modelTap(bare, { firstTapAtTerminal: false });
    } catch (err) {
      expect((err as ChipTimingError).code).toBe('ERR_CHIP_TIMING_MISSING');
      expect((err as ChipTimingError).primitive).toBe('ecdsaSign');
    }
  });
});

function publicKeySteps(m: TapModel): ChipPrimitive[] {
  return m.exchanges
    .flatMap((e) => e.steps)
    .map((s) => s.primitive)
    .filter((p): p is ChipPrimitive => p !== undefined && p !== 'sha256');
}
