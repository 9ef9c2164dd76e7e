/**
 * `huduma-terminal demo --devices simulated`: the demo world on the simulated PN532 (socat pty),
 * ESC/POS printer (pty) and HID PIN pad. A sale tapped on the PN532 prints its receipt, saved as
 * text and PNG in the demo's directory; the page's state shows every device ready; paper out
 * shows as such and the next sale still completes. (SLOW: socat ptys, seconds.)
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemoCommand, runTerminalCli, type SimulatedDevicesDemo } from '@huduma/terminal-app';
import { afterAll, describe, expect, it } from 'vitest';

const dataDir = mkdtempSync(join(tmpdir(), 'huduma-demo-devices-'));
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

async function post(url: string, path: string, body: object = {}): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

interface State {
  phase: string;
  unresolved: unknown[];
  result?: { kind: string; receipt?: { terminalSeq: number } };
  devices?: Record<string, string>;
}

const state = async (url: string) => (await (await fetch(`${url}/api/state`)).json()) as State;

async function sell(url: string, billRef: string, amount = '150.00', pin?: string): Promise<State> {
  const res = await post(url, '/api/sale', { amount, billRef });
  expect(res.status, await res.text()).toBeLessThan(300);
  if (pin !== undefined) {
    // Above the PIN limit: the page asks, and what is typed there goes through the simulated pad.
    await expect.poll(async () => (await state(url)).phase, { timeout: 20_000 }).toBe('pin');
    expect((await post(url, '/api/pin', { pin })).status).toBeLessThan(300);
  }
  await expect.poll(async () => (await state(url)).phase, { timeout: 20_000 }).toBe('result');
  return state(url);
}

describe('huduma-terminal demo --devices simulated', () => {
  it('runs the counter on the simulated PN532, printer and PIN pad; a sale prints its receipt', async () => {
    const stop = new AbortController();
    const { out, io: cliIo } = io();
    let demo: SimulatedDevicesDemo | undefined;
    const done = runDemoCommand(['--devices', 'simulated', '--data', dataDir, '--port', '0'], cliIo, {
      signal: stop.signal,
      onStarted: (d) => (demo = d),
    });
    await expect.poll(() => demo !== undefined || out.stderr !== '', { timeout: 30_000 }).toBe(true);
    expect(out.stderr).toBe('');
    const { url, receiptsDir } = demo!;
    try {
      expect(out.stdout).toContain(`Cashier web app: ${url}`);
      await expect
        .poll(
          async () => ((await (await fetch(`${url}/api/devices`)).json()) as { devices: unknown }).devices,
          {
            timeout: 10_000,
          },
        )
        .toEqual({ reader: 'ready', printer: 'ready', pinpad: 'ready' });

      expect((await post(url, '/api/demo/present', { card: 0 })).status).toBeLessThan(300);
      const first = await sell(url, 'DEV-1');
      expect(first.result?.kind).toBe('approved');
      await expect
        .poll(() => existsSync(join(receiptsDir, 'receipt-001.png')), { timeout: 10_000 })
        .toBe(true);
      const text = readFileSync(join(receiptsDir, 'receipt-001.txt'), 'utf8');
      expect(text).toContain('HUDUMA PAY');
      expect(text).toContain('DEV-1');
      expect(text).toContain('150.00');
      const png = readFileSync(join(receiptsDir, 'receipt-001.png'));
      expect([...png.subarray(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG');

      const withPin = await sell(url, 'DEV-PIN', '1500.00', demo!.world.cards[0]!.pin);
      expect(withPin.result?.kind, JSON.stringify(withPin.result).slice(0, 300)).toBe('approved');
      expect(demo!.counter.devices.simulated.pad!.received.length).toBeGreaterThan(0);
      await expect
        .poll(() => existsSync(join(receiptsDir, 'receipt-002.txt')), { timeout: 10_000 })
        .toBe(true);

      // Paper runs out: the next sale (the card still on the reader) completes, the page says
      // paper out, and nothing prints.
      demo!.counter.devices.simulated.printer!.faults.paperOut = true;
      const second = await sell(url, 'DEV-2');
      expect(second.result?.kind, JSON.stringify(second.result).slice(0, 300)).toBe('approved');
      await expect
        .poll(async () => (await state(url)).devices?.printer, { timeout: 10_000 })
        .toBe('paper-out');
      expect(readdirSync(receiptsDir).filter((f) => f.endsWith('.txt'))).toEqual([
        'receipt-001.txt',
        'receipt-002.txt',
      ]);

      // The demo panel's "pull the card mid-payment" acts on the PN532's field: the card is
      // charged, the answer lost; tapped again, the interrupted sale completes.
      expect((await post(url, '/api/demo/pull', { afterCardProcessed: true })).status).toBeLessThan(300);
      const torn = await sell(url, 'DEV-TEAR', '80.00');
      expect(torn.result?.kind, JSON.stringify(torn.result).slice(0, 300)).toBe('declined');
      expect((await state(url)).unresolved).toHaveLength(1);
      expect((await post(url, '/api/recover')).status).toBeLessThan(300);
      await expect.poll(async () => (await state(url)).phase, { timeout: 10_000 }).toBe('waiting-card');
      await post(url, '/api/demo/present', { card: 0 });
      await expect.poll(async () => (await state(url)).phase, { timeout: 20_000 }).toBe('result');
      const recovered = await state(url);
      expect(recovered.result?.kind, JSON.stringify(recovered.result).slice(0, 300)).toBe('recovered');
      expect(recovered.unresolved).toEqual([]);

      // Between sales the counter keeps asking: a cover left open shows without a print.
      const printer = demo!.counter.devices.simulated.printer!;
      printer.faults.paperOut = false;
      printer.faults.coverOpen = true;
      await expect
        .poll(async () => (await state(url)).devices?.printer, { timeout: 15_000 })
        .toBe('cover-open');
      printer.faults.coverOpen = false;
      await expect.poll(async () => (await state(url)).devices?.printer, { timeout: 15_000 }).toBe('ready');
    } finally {
      stop.abort();
      expect(await done).toBe(0);
    }
  });

  it('refuses devices other than simulated (exit 2, the flag named)', async () => {
    const { out, io: cliIo } = io();
    expect(await runTerminalCli(['demo', '--devices', 'real', '--data', dataDir], cliIo)).toBe(2);
    expect(out.stderr).toContain('--devices must be simulated');
  });
});
