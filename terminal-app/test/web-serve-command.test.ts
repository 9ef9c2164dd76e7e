/** `huduma-terminal serve`: the web app on a provisioned terminal, loopback only, and its usage errors. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensureDemoWorld,
  readCliFile,
  runServeCommand,
  runTerminalCli,
  writeCliFile,
} from '@huduma/terminal-app';
import { afterAll, describe, expect, it } from 'vitest';

const dataDir = mkdtempSync(join(tmpdir(), 'huduma-serve-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function io() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: { write: (t: string) => (out.stdout += t) },
      stderr: { write: (t: string) => (out.stderr += t) },
    },
  };
}

describe('huduma-terminal serve', () => {
  it('serves the page and its state on 127.0.0.1 with a demo reader of the given cards', async () => {
    const world = await ensureDemoWorld(dataDir);
    const stop = new AbortController();
    const { out, io: cliIo } = io();
    let url = '';
    const done = runServeCommand(
      ['--dir', world.terminalDir, '--port', '0', '--card', world.cards.map((c) => c.path).join(',')],
      cliIo,
      { signal: stop.signal, onListening: (u) => (url = u) },
    );
    await expect.poll(() => url, { timeout: 20_000 }).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    try {
      expect(out.stdout).toContain(`Counter web app for T-0001 at ${url}`);
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await page.text()).toContain('<script type="module" src="/app.js">');
      const state = (await (await fetch(`${url}/api/state`)).json()) as {
        profile: { terminalId: string };
        demo: { cards: unknown[] };
        sync: { state: string };
      };
      expect(state.profile.terminalId).toBe('T-0001');
      expect(state.demo.cards).toHaveLength(3);
      expect(state.sync.state).toBe('unavailable');
    } finally {
      stop.abort();
      expect(await done).toBe(0);
    }
  });

  it('takes its devices from cli.json, a flag overriding the file, and shows their states', async () => {
    const world = await ensureDemoWorld(dataDir);
    await writeCliFile(world.terminalDir, {
      ...(await readCliFile(world.terminalDir)),
      devices: { printer: 'escpos:/dev/huduma-no-such-printer', pinpad: 'hid:sim' },
    });
    const stop = new AbortController();
    const { io: cliIo } = io();
    let url = '';
    const done = runServeCommand(
      ['--dir', world.terminalDir, '--port', '0', '--card', world.cards[0]!.path, '--pinpad', 'hid:sim'],
      cliIo,
      { signal: stop.signal, onListening: (u) => (url = u) },
    );
    try {
      await expect.poll(() => url, { timeout: 20_000 }).not.toBe('');
      await expect
        .poll(
          async () => ((await (await fetch(`${url}/api/devices`)).json()) as { devices: unknown }).devices,
        )
        .toEqual({ reader: 'ready', printer: 'disconnected', pinpad: 'ready' });
    } finally {
      stop.abort();
      expect(await done).toBe(0);
      await writeCliFile(world.terminalDir, { ...(await readCliFile(world.terminalDir)), devices: {} });
    }
  });

  it('a bad device in cli.json or a flag: refused, naming the field', async () => {
    const world = await ensureDemoWorld(dataDir);
    const flag = io();
    const argv = ['serve', '--dir', world.terminalDir, '--port', '0', '--card', world.cards[0]!.path];
    expect(await runTerminalCli([...argv, '--printer', 'escpos:/dev/x@1'], flag.io)).toBe(2);
    expect(flag.out.stderr).toContain('--printer.baudRate');
    writeFileSync(join(world.terminalDir, 'cli.json'), JSON.stringify({ devices: { reader: 'usb:0' } }));
    const file = io();
    expect(await runTerminalCli(argv, file.io)).toBe(1);
    expect(file.out.stderr).toContain('reader');
    rmSync(join(world.terminalDir, 'cli.json'));
  });

  it('refuses bad options with a usage error (exit 2)', async () => {
    for (const argv of [
      ['serve', '--dir', dataDir, '--port', 'eighty', '--card', 'x.cbor'],
      ['serve', '--dir', dataDir, '--port', '70000', '--card', 'x.cbor'],
      ['serve', '--dir', dataDir],
      ['serve', '--port', '0', '--card', 'x.cbor'],
      ['serve', '--dir', dataDir, '--card', 'a.cbor', '--reader', 'R'],
    ]) {
      const { out, io: cliIo } = io();
      expect(await runTerminalCli(argv, cliIo), argv.join(' ')).toBe(2);
      expect(out.stderr).toContain('huduma-terminal serve');
      expect(out.stderr).toContain('usage: huduma-terminal serve --dir D');
    }
  });
});
