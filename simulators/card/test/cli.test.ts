import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { toHex } from '@huduma/card-applet-spec';
import { runPkiCli } from '@huduma/pki';
import { afterAll, describe, expect, it } from 'vitest';
import { formatKes, runSimCli, SimulatedCard } from '../src/index';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huduma-sim-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function io() {
  const o = { out: '', err: '' };
  return {
    o,
    io: { stdout: { write: (s: string) => (o.out += s) }, stderr: { write: (s: string) => (o.err += s) } },
  };
}

describe('huduma-sim', () => {
  it('issue personalizes a card file with a dev reload; show prints it; no private key is printed', async () => {
    const pkiDir = path.join(dir, 'pki');
    expect(await runPkiCli(['init', pkiDir], io().io)).toBe(0);
    const file = path.join(dir, 'card.cbor');
    const a = io();
    expect(
      await runSimCli(
        [
          'issue',
          '--pki',
          pkiDir,
          '--out',
          file,
          '--card-number',
          '8404000000000013',
          '--balance',
          '2500.75',
          '--pin',
          '4321',
          '--name',
          'Achieng Test',
        ],
        a.io,
      ),
    ).toBe(0);
    const b = io();
    expect(await runSimCli(['show', file], b.io)).toBe(0);
    expect(b.o.out).toContain('card number:    8404 0000 0000 0013');
    expect(b.o.out).toContain('state:          ACTIVE');
    expect(b.o.out).toContain('balance:        KES 2,500.75');
    expect(b.o.out).toContain('Achieng Test');
    expect(b.o.out).toMatch(/#1 RELOAD/);
    const key = toHex(SimulatedCard.open(file).state.signingKey!);
    expect(a.o.out + b.o.out).not.toContain(key);
    expect(fs.statSync(file).mode & 0o077).toBe(0);
  });

  it('exits 2 with usage on unknown commands or missing flags', async () => {
    const c = io();
    expect(await runSimCli(['frobnicate'], c.io)).toBe(2);
    expect(await runSimCli(['issue', '--out', 'x'], c.io)).toBe(2);
    expect(c.o.err).toContain('usage: huduma-sim');
  });

  it('takes --balance in KES with two decimals, as every CLI does (250.00 is KES 250.00)', async () => {
    const pkiDir = path.join(dir, 'pki-kes');
    expect(await runPkiCli(['init', pkiDir], io().io)).toBe(0);
    const file = path.join(dir, 'kes.cbor');
    const a = io();
    expect(await runSimCli(['issue', '--pki', pkiDir, '--out', file, '--balance', '250.00'], a.io)).toBe(0);
    expect(SimulatedCard.open(file).state.balance).toBe(25_000);
    expect(a.o.out).toContain('balance:        KES 250.00');
    const bad = io();
    expect(await runSimCli(['issue', '--pki', pkiDir, '--out', file, '--balance', '2.505'], bad.io)).toBe(2);
    expect(bad.o.err).toContain('--balance: amount "2.505" has more than 2 decimals');
  });

  it('answers --help, help <command> and --version', async () => {
    for (const argv of [['--help'], ['-h'], ['help'], ['help', 'issue'], ['issue', '--help']]) {
      const r = io();
      expect(await runSimCli(argv, r.io), argv.join(' ')).toBe(0);
      expect(r.o.out).toContain('usage: huduma-sim');
      expect(r.o.err).toBe('');
    }
    const v = io();
    expect(await runSimCli(['--version'], v.io)).toBe(0);
    expect(v.o.out).toMatch(/^huduma-sim \d+\.\d+\.\d+\n$/);
  });

  it('formats cents as KES with two decimals', () => {
    expect(formatKes(0)).toBe('KES 0.00');
    expect(formatKes(123456789)).toBe('KES 1,234,567.89');
    expect(formatKes(5)).toBe('KES 0.05');
  });
});
