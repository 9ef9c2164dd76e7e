import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { issueTestCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTerminalCli } from '../src/cli/commands';

// The console's --printer and --pinpad flags: specs parsed by the device packages, the simulated
// devices started and stopped with the console, a bad spec a usage error that names it.
let root: string;
let dir: string;
let card: string;
let pin: string;

async function consoleRun(
  extra: string[],
  input: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const stdin = new PassThrough();
  stdin.end(input);
  const output = new Writable({
    write(chunk, _enc, done) {
      stdout += chunk.toString();
      done();
    },
  });
  const code = await runTerminalCli(['console', '--dir', dir, '--card', card, ...extra], {
    stdin,
    stdout: output,
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'huduma-cli-devices-'));
  dir = join(root, 'terminal');
  const pkiDir = join(root, 'pki');
  const init = await runTerminalCli(
    [
      'init',
      '--dir',
      dir,
      '--pki',
      pkiDir,
      '--terminal-id',
      'T-0001',
      '--merchant',
      'HC-NBI01',
      '--location',
      'Nairobi GPO',
    ],
    { stdout: { write: () => true }, stderr: { write: () => true } },
  );
  expect(init).toBe(0);
  card = join(root, 'card.cbor');
  pin = (await issueTestCard({ pki: DevPki.open(pkiDir), balance: 500_000, path: card })).pin;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('huduma-terminal console with devices', () => {
  it('runs a sale with the simulated printer and PIN pad attached, and closes them', async () => {
    const r = await consoleRun(['--printer', 'escpos:sim', '--pinpad', 'hid:sim'], '1\nA\n10\nCON-1\n1\n0\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('APPROVED: KES 10.00');
  });

  it('takes the PIN of a sale above the CVM limit on the simulated pad, through the HID driver', async () => {
    const r = await consoleRun(['--pinpad', 'hid:sim'], `1\nA\n1050\nCON-2\n1\n${pin}\n0\n`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('PIN pad: "Enter PIN" KES 1,050.00');
    expect(r.stdout).toContain('APPROVED: KES 1,050.00');
    expect(r.stdout).not.toContain(pin);
  });

  it('a bad device spec is a usage error naming what is wrong', async () => {
    const printer = await consoleRun(['--printer', 'escpos:/dev/ttyS0@1234'], '0\n');
    expect(printer.code).toBe(2);
    expect(printer.stderr).toMatch(/baud rate/);
    const pad = await consoleRun(['--pinpad', 'usb:1:2'], '0\n');
    expect(pad.code).toBe(2);
    expect(pad.stderr).toMatch(/hid:VID:PID/);
  });
});
