import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bench = fileURLToPath(new URL('../bench/debit.ts', import.meta.url));

describe('bench/debit.ts', () => {
  it('ends with one JSON line of consistent figures', () => {
    const out = execFileSync(
      process.execPath,
      ['--conditions=huduma-source', '--import', 'tsx', bench, '2', '3'],
      {
        encoding: 'utf8',
      },
    );
    const figures = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(figures).toMatchObject({ benchmark: 'sdk-debit', rounds: 2, debitsPerRound: 3, apdusPerDebit: 3 });
    expect(figures.msPerDebit).toBeGreaterThan(0);
    expect(figures.debitsPerSecond).toBeCloseTo(1000 / figures.msPerDebit, 0);
    expect(figures.cardSideMs).toBeGreaterThan(0);
    expect(figures.terminalCryptoMs).toBeGreaterThan(0);
    expect(figures.cardSideMs + figures.terminalCryptoMs).toBeLessThanOrEqual(figures.msPerDebit * 1.01);
  });
});
