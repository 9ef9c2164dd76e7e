import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runHudumaCli } from './index';

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

  it('dispatches log to the log tool (a missing file is an error, exit 1 or 2)', async () => {
    const c = capture();
    const code = await runHudumaCli(['log', 'verify', '/nonexistent/huduma.log'], c.io);
    expect(code).not.toBe(0);
    expect(c.err()).toMatch(/nonexistent/);
  });

  it('rejects an unknown command with usage and exit 2', async () => {
    const c = capture();
    expect(await runHudumaCli(['frobnicate'], c.io)).toBe(2);
    expect(c.err()).toMatch(/unknown command "frobnicate"/);
  });
});
