import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { issueTestCard, SimulatedCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTerminalCli } from '../src/cli/commands';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runTerminalCli(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

const balanceOf = (path: string) => SimulatedCard.open(path).state.balance;

describe('huduma-terminal CLI', () => {
  let root: string;
  let dir: string;
  let rich: string;
  let poor: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'huduma-terminal-cli-'));
    dir = join(root, 'terminal');
    const init = await cli(
      'init',
      '--dir',
      dir,
      '--pki',
      join(root, 'pki'),
      '--terminal-id',
      'T-0001',
      '--merchant',
      'HC-NBI01',
      '--location',
      'Nairobi GPO',
    );
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('terminal T-0001 of merchant HC-NBI01 provisioned');
    const pki = DevPki.open(join(root, 'pki'));
    rich = join(root, 'rich.cbor');
    poor = join(root, 'poor.cbor');
    await issueTestCard({ pki, balance: 500_000, path: rich });
    await issueTestCard({ pki, balance: 12_000, path: poor });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('refuses to provision a directory twice', async () => {
    const again = await cli(
      'init',
      '--dir',
      dir,
      '--pki',
      join(root, 'pki'),
      '--terminal-id',
      'T-0001',
      '--merchant',
      'HC-NBI01',
      '--location',
      'X',
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already holds a terminal');
  });

  it('sells a catalog service: exit 0, receipt on stdout, card charged', async () => {
    const before = balanceOf(rich);
    const r = await cli('sale', '--dir', dir, '--service', '501', '--bill-ref', 'BC-0001', '--card', rich);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('APPROVED sale KES 50.00');
    expect(r.stdout).toContain('Birth certificate copy');
    expect(r.stdout).toMatch(/Bill ref\s+BC-0001/);
    expect(r.stdout).toMatch(/New balance KES\s+4,950.00/);
    expect(balanceOf(rich)).toBe(before - 5_000);
  });

  it('declines on insufficient balance: exit 1, the balance on stderr, card untouched', async () => {
    const r = await cli('sale', '--dir', dir, '--amount', '250.00', '--bill-ref', 'X-1', '--card', poor);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Declined: insufficient balance (balance KES 120.00)');
    expect(r.stderr).toContain('reason: insufficient-funds');
    expect(balanceOf(poor)).toBe(12_000);
  });

  it('asks for the PIN above the limit: no PIN, wrong PIN and right PIN', async () => {
    const before = balanceOf(rich);
    const args = ['sale', '--dir', dir, '--amount', '2500', '--bill-ref', 'DL-1', '--card', rich];
    const none = await cli(...args);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('Declined: PIN not entered');
    expect(none.stderr).toContain('run again with --pin');
    const wrong = await cli(...args, '--pin', '9999');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('Declined: wrong PIN (2 tries left)');
    expect(balanceOf(rich)).toBe(before);
    const right = await cli(...args, '--pin', '1234');
    expect(right.code).toBe(0);
    expect(right.stdout).toMatch(/AMOUNT KES\s+2,500.00/);
    expect(balanceOf(rich)).toBe(before - 250_000);
  });

  it('cancels the last sale and refunds the card', async () => {
    const before = balanceOf(rich);
    const r = await cli('cancel-last', '--dir', dir, '--card', rich);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('CANCELLATION');
    expect(r.stdout).toMatch(/REFUNDED KES\s+2,500.00/);
    expect(balanceOf(rich)).toBe(before + 250_000);
    const again = await cli('cancel-last', '--dir', dir, '--card', rich);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Declined: nothing to cancel');
  });

  it('reloads with the dev load authority recorded at init', async () => {
    const r = await cli('reload', '--dir', dir, '--amount', '100.00', '--card', poor);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('CASH RELOAD');
    expect(balanceOf(poor)).toBe(22_000);
  });

  it('prints the X report, then the Z report closes the shift', async () => {
    const x = await cli('totals', '--dir', dir);
    expect(x.code).toBe(0);
    expect(x.stdout).toContain('X REPORT');
    expect(x.stdout).toMatch(/Sales \(2\)\s+2,550.00/);
    expect(x.stdout).toMatch(/Cancelled \(1\)\s+2,500.00/);
    expect(x.stdout).toMatch(/NET SALES\s+50.00/);
    expect(x.stdout).toMatch(/Cash reloads \(1\)\s+100.00/);
    expect(x.stdout).toMatch(/insufficient balance \(1\)\s+250.00/);
    const z = await cli('close-shift', '--dir', dir);
    expect(z.code).toBe(0);
    expect(z.stdout).toContain('Z REPORT');
    expect(z.stdout).toMatch(/NET SALES\s+50.00/);
    const after = await cli('totals', '--dir', dir);
    expect(after.stdout).toMatch(/Sales \(0\)\s+0.00/);
  });

  it('shows the status and the catalog', async () => {
    const s = await cli('status', '--dir', dir);
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/Terminal\s+T-0001/);
    expect(s.stdout).toMatch(/Merchant\s+HC-NBI01/);
    expect(s.stdout).toMatch(/Unresolved transactions\s+0/);
    expect(s.stdout).toMatch(/Certificate expires\s+\d{4}-\d\d-\d\d/);
    expect(s.stdout).toContain('Offline sales: allowed');
    const c = await cli('catalog');
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/501\s+Birth certificate copy\s+50.00/);
  });

  it('exits 2 on usage errors, before touching a card', async () => {
    const before = balanceOf(rich);
    expect((await cli()).code).toBe(2);
    const cases: Array<[string[], string]> = [
      [
        ['sale', '--dir', dir, '--amount', '2.505', '--bill-ref', 'X', '--card', rich],
        'more than 2 decimals',
      ],
      [['sale', '--dir', dir, '--amount', '1e3', '--bill-ref', 'X', '--card', rich], 'not a number'],
      [
        ['sale', '--dir', dir, '--amount', '5', '--service', '501', '--bill-ref', 'X', '--card', rich],
        'exactly one',
      ],
      [['sale', '--dir', dir, '--amount', '5', '--bill-ref', 'X'], '--card card.cbor or --reader NAME'],
      [
        ['sale', '--dir', dir, '--amount', '5', '--bill-ref', 'THIS-IS-TOO-LONG-REF', '--card', rich],
        'bill reference',
      ],
      [
        ['sale', '--dir', dir, '--amount', '5', '--bill-ref', 'X', '--colour', 'red'],
        'unknown option --colour',
      ],
      [['refund', '--dir', dir], 'unknown command'],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
    }
    expect(balanceOf(rich)).toBe(before);
  });

  it('says clearly when a PC/SC reader cannot be used', async () => {
    const r = await cli(
      'sale',
      '--dir',
      dir,
      '--amount',
      '5',
      '--bill-ref',
      'X',
      '--reader',
      'No Such Reader 00',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/PC\/SC|pcscd/);
  });

  it('opens the cashier console over card files', async () => {
    let stdout = '';
    const input = new PassThrough();
    input.end('1\nA\n10\nCON-1\n2\n0\n');
    const output = new Writable({
      write(chunk, _enc, done) {
        stdout += chunk.toString();
        done();
      },
    });
    const before = balanceOf(poor);
    const code = await runTerminalCli(['console', '--dir', dir, '--card', `${rich},${poor}`], {
      stdin: input,
      stdout: output,
      stderr: { write: () => true },
    });
    expect(code).toBe(0);
    expect(stdout).toContain('HUDUMA PAY  T-0001  HC-NBI01');
    expect(stdout).toContain('[demo: 1 rich, 2 poor; Enter = cancel]');
    expect(stdout).toContain('APPROVED: KES 10.00');
    expect(balanceOf(poor)).toBe(before - 1_000);
  });

  it('fails with a message for a directory that is not a terminal', async () => {
    const r = await cli('status', '--dir', join(root, 'nowhere'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not a provisioned terminal');
  });
});
