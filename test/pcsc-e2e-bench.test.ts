/**
 * `npm run bench:pcsc` keeps working: a short run (few debits and APDUs) must end with its JSON
 * figures, leave no pcscd or card host behind, and show the quickack fix doing its job.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Size } from '@huduma/card-applet-spec';
import { describe, expect, it } from 'vitest';
import { DEBIAN_PYTHON, requireTool } from './pcsc-e2e-support';

const BENCH = fileURLToPath(new URL('../packages/transport-pcsc/bench/pcsc.ts', import.meta.url));

describe('bench:pcsc', () => {
  it('prints the debit and round-trip figures as its last line, one JSON object', async () => {
    requireTool(DEBIAN_PYTHON, 'python3-pyscard');
    const { code, stdout, stderr } = await new Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
    }>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--conditions=huduma-source', '--import', 'tsx', BENCH, '20', '100'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve({ code: c, stdout: out, stderr: err });
      });
    });
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const last = stdout.trimEnd().split('\n').at(-1)!;
    const figures = JSON.parse(last) as Record<string, number | boolean | string>;
    expect(figures).toMatchObject({ benchmark: 'pcsc', debits: 20, apduRoundTrips: 100, quickack: true });
    // SELECT + DEBIT in two chained segments, the same through pcscd and in process.
    expect(figures.apdusPerDebit).toBe(3);
    // SELECT + OPEN SESSION + DEBIT (44-byte request + C-MAC) out; FCI, session and the proof back.
    expect(figures.bytesOutPerDebit).toBeGreaterThan(Size.DEBIT_REQUEST + 8);
    expect(figures.bytesInPerDebit).toBeGreaterThan(Size.FCI + Size.TRANSACTION_PROOF);
    for (const key of [
      'debitPcscMedianMs',
      'debitInProcessMedianMs',
      'apduOursMedianMs',
      'apduPyscardMedianMs',
    ]) {
      expect(figures[key], key).toBeGreaterThan(0);
    }
    // With quickack a round trip is well under the ~40 ms delayed-ACK stall; without, it is not.
    expect(figures.apduOursMedianMs).toBeLessThan(10);
    expect(figures.apduWithoutQuickackMedianMs).toBeGreaterThan(30);
  });
});
