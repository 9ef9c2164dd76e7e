import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueTestCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import type { ShiftReport } from '@huduma/terminal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/terminal-fleet';
import { runTerminalCli } from '../src/cli/commands';
import { formatShiftReport } from '../src/cli/format';

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runTerminalCli(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

const root = tempDir('huduma-terminal-findings-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function provision(name: string): Promise<string> {
  const dir = join(root, name);
  const init = await cli(
    'init',
    '--dir',
    dir,
    '--pki',
    join(root, 'pki'),
    '--terminal-id',
    `T-${name.slice(0, 4).toUpperCase()}`,
    '--merchant',
    'HC-NBI01',
    '--location',
    'Nairobi GPO',
  );
  expect(init.code, init.stderr).toBe(0);
  return dir;
}

describe('huduma-terminal help and version', () => {
  it('help lists sync; sync --help works; --version answers', async () => {
    const help = await cli('help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/\n {2}sync\s+upload the unsynced log/);
    for (const argv of [
      ['sync', '--help'],
      ['help', 'sync'],
      ['sale', '-h'],
    ]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^usage: huduma-terminal (sync|sale) --dir D/);
    }
    const v = await cli('--version');
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^huduma-terminal \d+\.\d+\.\d+\n$/);
  });
});

describe('huduma-terminal failures a cashier can act on', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await provision('corrupt');
    expect((await cli('close-shift', '--dir', dir)).code).toBe(0);
    expect((await cli('close-shift', '--dir', dir)).code).toBe(0);
  });

  it('a corrupted transaction log: one clear line and the command to run next, no stack trace', async () => {
    const log = join(dir, 'transactions.hlog');
    const bytes = readFileSync(log);
    bytes[30]! ^= 0xff; // inside the first record: intact records follow, so this is corruption
    writeFileSync(log, bytes);
    const r = await cli('status', '--dir', dir);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^error: the transaction log .*transactions\.hlog is damaged/);
    expect(lines[0]).toContain('ERR_TXLOG_CORRUPT');
    expect(lines[1]).toBe(
      `next step: run "huduma log verify ${dir}/transactions.hlog --terminal-cert ${dir}/terminal.cert" to see the first bad record, then restore ${dir} from its backup or call support (do not delete the log: it holds sales not yet uploaded)`,
    );
    expect(r.stderr).not.toMatch(/\n\s+at |FrameScanner/);
  });

  it('a directory that is not a terminal: says so and shows the init command', async () => {
    const r = await cli('status', '--dir', join(root, 'nowhere'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*nowhere is not a provisioned terminal \(no terminal.json\)/);
    expect(r.stderr).toMatch(/\nnext step: provision it with: huduma-terminal init --dir /);
    expect(r.stderr).not.toContain('initTerminal');
  });
});

describe('huduma-terminal status', () => {
  it('says "never synced" until the first sync, and states the PIN rule the engine applies', async () => {
    const dir = await provision('status');
    const status = await cli('status', '--dir', dir);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Last sync\s+never synced/);
    expect(status.stdout).toMatch(/PIN required above\s+KES 2,000.00\n\s+or above the card's own PIN limit/);

    // The development card's own PIN limit is KES 1,000.00: a PIN is asked at KES 1,500.00,
    // as the status says (below the terminal's KES 2,000.00, above the card's).
    const card = join(root, 'card.cbor');
    await issueTestCard({ pki: DevPki.open(join(root, 'pki')), balance: 500_000, path: card });
    const sale = await cli(
      'sale',
      '--dir',
      dir,
      '--amount',
      '1500.00',
      '--bill-ref',
      'PIN-1',
      '--card',
      card,
    );
    expect(sale.code).toBe(1);
    expect(sale.stderr).toContain('Declined: PIN not entered');
    const withPin = await cli(
      'sale',
      '--dir',
      dir,
      '--amount',
      '1500.00',
      '--bill-ref',
      'PIN-1',
      '--card',
      card,
      '--pin',
      '1234',
    );
    expect(withPin.code, withPin.stderr).toBe(0);
  });
});

describe('X/Z report layout', () => {
  const zero = { count: 0, amountCents: 0 };
  const report: ShiftReport = {
    kind: 'X',
    shiftId: 'S-1',
    openedAt: Date.UTC(2026, 0, 1, 6),
    at: Date.UTC(2026, 0, 1, 9),
    approved: { count: 3, amountCents: 15_000 },
    recovered: { count: 1, amountCents: 25_000 },
    cancelled: zero,
    reloads: zero,
    declined: {
      count: 1,
      amountCents: 2_000,
      byReason: { 'insufficient-funds': { count: 1, amountCents: 2_000 } },
    },
    interrupted: { count: 1, amountCents: 25_000 },
    byService: [{ serviceCode: 501, name: 'Birth certificate copy', count: 3, amountCents: 15_000 }],
    netSalesCents: 40_000,
    unresolvedPending: 0,
  };
  const text = formatShiftReport(report);

  it('the by-service line shows the count and the total, not count × total', () => {
    expect(text).toMatch(/ {2}501 Birth certificate copy\s+\(3\) 150.00\n/);
    expect(text).not.toContain('×');
  });

  it('"Interrupted" is its own section, after the declines and their reasons', () => {
    const lines = text.split('\n');
    const declined = lines.findIndex((l) => l.startsWith('Declined (1)'));
    const reason = lines.findIndex((l) => l.startsWith('  insufficient balance (1)'));
    const interrupted = lines.findIndex((l) => l.startsWith('Interrupted (see recovered) (1)'));
    expect(declined).toBeGreaterThan(0);
    expect(reason).toBe(declined + 1);
    expect(lines[interrupted - 1]).toMatch(/^-+$/);
    expect(interrupted).toBeGreaterThan(reason);
  });
});
