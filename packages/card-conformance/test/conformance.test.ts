import { readFileSync } from 'node:fs';
import { SimulatedCard, SimulatedReader } from '@huduma/card-simulator';
import { describe, expect, it } from 'vitest';
import { type CardTransport, RawCard } from '../src/raw';
import { simulatorTarget } from '../src/simulator';
import { formatResults, listChecks, runConformance } from '../src/suite';
import type { ConformanceTarget } from '../src/target';
import { AID_V2 } from '../src/wire';

const SPEC = readFileSync(new URL('../../../card-applet-spec/SPEC.md', import.meta.url), 'utf8');

/** The numbered checks of SPEC §16: `| 12 | \`generic.lc\` | 6.0.3 | …`. */
function specChecks(): Array<{ n: number; id: string; section: string }> {
  const text = SPEC.slice(SPEC.indexOf('## 16. Conformance checks'));
  return [...text.matchAll(/^\|\s*(\d+)\s*\|\s*`([a-z0-9.-]+)`\s*\|\s*([^|]+?)\s*\|/gm)].map((m) => ({
    n: Number(m[1]),
    id: m[2]!,
    section: m[3]!,
  }));
}

/** Checks whose target needs (fresh cards, blank cards, power control) a one-card reader lacks. */
const NEEDS_FRESH = [48, 62, 63, 78, 83, 84, 86, 93, 98, 105, 106, 107, 108, 109];

describe('the suite maps SPEC §16 one to one', () => {
  it('one check per numbered rule, same number, id and section', () => {
    const spec = specChecks();
    expect(spec.length).toBe(128);
    expect(listChecks().map(({ n, id, section }) => ({ n, id, section }))).toEqual(spec);
  });

  it('reports every check once, in order, "not run" with the reason where the target cannot give the card', async () => {
    // A card that answers 6F00 to everything, in a reader that cannot give fresh, blank or tearable cards.
    const dead: ConformanceTarget = {
      name: 'dead card',
      keys: (await simulatorTarget()).keys,
      pin: '1234',
      puk: '12345678',
      hasIdentity: true,
      freshCards: false,
      openCard: async () => ({ transmit: async () => new Uint8Array([0x6f, 0x00]) }),
    };
    const results = await runConformance(dead, { seed: 1 });
    expect(results.map((r) => r.n)).toEqual(Array.from({ length: 128 }, (_, i) => i + 1));
    const notRun = (why: string) => results.filter((r) => r.detail === `not run (${why})`).map((r) => r.n);
    expect(notRun('needs a fresh card')).toEqual(NEEDS_FRESH);
    expect(notRun('needs a blank card in PERSONALIZATION')).toEqual([
      56, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121,
    ]);
    expect(notRun('needs a target that can cut power')).toEqual([122, 123, 124, 125, 126]);
    // Every check that got the dead card failed: none passes by default.
    const shared = results.filter((r) => r.status !== 'not run' && r.n < 127);
    expect(shared.length).toBeGreaterThan(80);
    expect(shared.filter((r) => r.status === 'passed').map((r) => r.id)).toEqual([]);
    expect(formatResults(results)).toMatch(/SKIP\s+93\s+§6\.4\s+pin\.block\s+not run \(needs a fresh card\)/);
  });
});

/**
 * The target as one reader with a card feeder sees it (pcscTarget with cardFeeder): putting in a
 * new card takes the previous one out, so its connection is dead from then on.
 */
function oneReader(sim: ConformanceTarget): ConformanceTarget {
  let live = 0;
  const guard = (id: number, t: CardTransport) => (c: Uint8Array) => {
    if (id !== live) throw new Error('this card was taken out of the reader');
    return t.transmit(c);
  };
  return {
    ...sim,
    openCard: async () => {
      const id = ++live;
      return { transmit: guard(id, await sim.openCard()) };
    },
    openBlankCard: async () => {
      const id = ++live;
      return { transmit: guard(id, await sim.openBlankCard!()) };
    },
    openTearableCard: async () => {
      const id = ++live;
      const t = await sim.openTearableCard!();
      return { transmit: guard(id, t), armTear: (p) => t.armTear(p), powerUp: () => t.powerUp() };
    },
  };
}

/** Whether simulators/card speaks v2 yet (SELECT of the v2 AID on a blank card). */
async function simulatorIsV2(): Promise<boolean> {
  const reader = new SimulatedReader();
  reader.insert(SimulatedCard.create());
  const r = await new RawCard(reader).send(0x00, 0xa4, 0x04, 0x00, AID_V2, 0);
  return r.sw === 0x9000;
}

describe('conformance suite against the reference simulator', async () => {
  const v2 = await simulatorIsV2();
  it.skipIf(!v2)(
    'passes every check it can run; only the counter-exhaustion check is not run',
    async () => {
      const seed = Date.now() % 2 ** 31;
      const results = await runConformance(oneReader(await simulatorTarget()), { seed });
      const failed = results.filter((r) => r.status === 'failed');
      expect(failed, `seed ${seed}; failing checks:\n${formatResults(failed)}`).toEqual([]);
      expect(results.filter((r) => r.status === 'not run').map((r) => r.id)).toEqual([
        'debit.counter-exhausted',
      ]);
    },
    300_000,
  );

  it.skipIf(!v2)(
    'catches a card that breaks a rule: the checks can fail',
    async () => {
      const sim = await simulatorTarget();
      // A card with two v1-style bugs (issue 7): 6700 for a foreign AID of another length, and
      // 6A83 instead of 6A86 for READ RECORD 33.
      const buggy = (t: { transmit(c: Uint8Array): Promise<Uint8Array> }) => ({
        async transmit(c: Uint8Array) {
          if (c[1] === 0xa4 && c[4] === 5) return new Uint8Array([0x67, 0x00]);
          if (c[1] === 0xb2 && c[2] === 33) return new Uint8Array([0x6a, 0x83]);
          return t.transmit(c);
        },
      });
      const results = await runConformance(
        { ...sim, openCard: async () => buggy(await sim.openCard()) },
        { seed: 1 },
      );
      const failed = results.filter((r) => r.status === 'failed').map((r) => r.id);
      expect(failed).toEqual(['select.foreign-aid-any-length', 'read-record.errors']);
    },
    300_000,
  );
});
