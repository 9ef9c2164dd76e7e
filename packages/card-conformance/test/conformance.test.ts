import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { simulatorTarget } from '../src/simulator';
import { formatResults, listChecks, runConformance } from '../src/suite';

describe('conformance suite against the reference simulator', () => {
  it('passes every check, and runs at least the checks SPEC.md §16 lists', async () => {
    const target = await simulatorTarget();
    const results = await runConformance(target);
    const failed = results.filter((r) => r.status === 'failed');
    expect(failed, `failing checks:\n${formatResults(failed)}`).toEqual([]);
    // Only the check that no interface can reach may be "not run" on a simulator with fresh cards.
    expect(results.filter((r) => r.status === 'not run').map((r) => r.id)).toEqual(['counter.exhausted']);

    const spec = readFileSync(new URL('../../../card-applet-spec/SPEC.md', import.meta.url), 'utf8');
    const listed = [...spec.slice(spec.indexOf('## 16.')).matchAll(/^\| `([a-z0-9.-]+)`\s*\|/gm)].map(
      (m) => m[1],
    );
    expect(listed.length).toBeGreaterThan(50);
    expect(results.length).toBeGreaterThanOrEqual(listed.length);
    const ran = new Set(results.map((r) => r.id));
    expect(listed.filter((id) => !ran.has(id!))).toEqual([]);
  });

  it('every command of the command table has at least one check', async () => {
    const { COMMANDS } = await import('@huduma/card-applet-spec');
    const sections = new Set(listChecks(await simulatorTarget()).map((c) => c.section));
    const missing = COMMANDS.filter((cmd) => !sections.has(cmd.section) && !(cmd.section === '7.2')).map(
      (c) => c.name,
    );
    // GENERATE KEY PAIR (§7.2) is exercised inside perso.complete (§7).
    expect(missing).toEqual([]);
  });

  it('reports destructive checks as "not run" when the target cannot give fresh cards', async () => {
    const sim = await simulatorTarget();
    let card: Awaited<ReturnType<typeof sim.openCard>> | undefined;
    const results = await runConformance({
      ...sim,
      name: 'one card',
      freshCards: false,
      openBlankCard: undefined,
      openCard: async () => (card ??= await sim.openCard()),
    });
    const notRun = results.filter((r) => r.status === 'not run');
    expect(notRun.map((r) => r.id)).toEqual(
      expect.arrayContaining(['pin.block', 'puk.terminate', 'block.happy', 'perso.complete']),
    );
    expect(notRun.every((r) => r.detail.startsWith('not run ('))).toBe(true);
    expect(
      results.filter((r) => r.status === 'failed'),
      formatResults(results),
    ).toEqual([]);
    expect(formatResults(results)).toMatch(/SKIP .*pin\.block .*not run \(needs a fresh card\)/);
  });
});
