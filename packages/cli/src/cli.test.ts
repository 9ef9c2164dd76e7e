import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeCryptoSigner, TransactionLog } from '@huduma/txlog';
import { describe, expect, it } from 'vitest';
import { sale, TEST_PRIVATE_KEY, TEST_TERMINAL_ID } from '../../txlog/test/fixtures';
import { runHudumaCli } from './index';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

describe('huduma command', () => {
  it('dispatches pki init to the PKI tool and keeps private keys out of the output', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'huduma-cli-'));
    const c = capture();
    expect(await runHudumaCli(['pki', 'init', dir], c.io)).toBe(0);
    const files = await readdir(dir, { recursive: true });
    const keyFiles = files.filter((f) => String(f).endsWith('.key'));
    expect(keyFiles.length).toBeGreaterThanOrEqual(3);
    for (const f of keyFiles) expect((await stat(join(dir, String(f)))).mode & 0o777).toBe(0o600);
    expect(c.out() + c.err()).not.toMatch(/"d"\s*:/);
  });

  it('dispatches log to the log tool (a missing file is one error line and a next step, exit 1)', async () => {
    const c = capture();
    const code = await runHudumaCli(['log', 'verify', '/nonexistent/huduma.log'], c.io);
    expect(code).toBe(1);
    expect(c.err()).toMatch(/^error: .*nonexistent.*\nnext step: check the path/);
  });

  it('rejects an unknown command with usage and exit 2', async () => {
    const c = capture();
    expect(await runHudumaCli(['frobnicate'], c.io)).toBe(2);
    expect(c.err()).toMatch(/unknown command "frobnicate"/);
    expect(c.err()).toContain('usage: huduma');
  });

  it('answers --version and --help on every level', async () => {
    const v = capture();
    expect(await runHudumaCli(['--version'], v.io)).toBe(0);
    expect(v.out()).toMatch(/^huduma \d+\.\d+\.\d+\n$/);
    for (const argv of [
      ['--help'],
      ['pki', '--help'],
      ['log', 'export', '--help'],
      ['help', 'log', 'verify'],
    ]) {
      const h = capture();
      expect(await runHudumaCli(argv, h.io), argv.join(' ')).toBe(0);
      expect(h.out()).toMatch(/^usage: huduma/);
    }
  });

  it('`huduma log export … | head` ends quietly with exit 0 (EPIPE)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'huduma-cli-epipe-'));
    const file = join(dir, 'big.hlog');
    const log = await TransactionLog.open(file, {
      create: true,
      signer: nodeCryptoSigner(TEST_PRIVATE_KEY, TEST_TERMINAL_ID),
    });
    // Well over a pipe's 64 KiB of JSON, so the writer is still writing when head has gone.
    for (let i = 1; i <= 1500; i++) await log.append(sale(i, 100 + i));
    await log.close();
    const run = spawnSync(
      'bash',
      [
        '-c',
        `set -o pipefail; "${process.execPath}" --conditions=huduma-source --import tsx "${CLI}" log export "${file}" --format json | head -n 2`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n').length).toBe(3);
  });
});
