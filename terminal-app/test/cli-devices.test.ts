import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { issueTestCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTerminalCli } from '../src/cli/commands';
import { readCliFile, writeCliFile } from '../src/devices/device-config';

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runTerminalCli(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

let terminalNumber = 10;
const initArgs = (terminalDir: string) => [
  'init',
  '--dir',
  terminalDir,
  '--pki',
  join(root, 'pki'),
  '--terminal-id',
  `T-00${terminalNumber++}`,
  '--merchant',
  'HC-NBI01',
  '--location',
  'Nairobi GPO',
];

// The console's --printer and --pinpad flags: specs parsed by the device packages, the simulated
// devices started and stopped with the console, a bad spec a usage error that names it.
let root: string;
let dir: string;
let card: string;
let pin: string;

async function consoleRun(
  extra: string[],
  input: string,
  terminalDir = dir,
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
  const code = await runTerminalCli(['console', '--dir', terminalDir, '--card', card, ...extra], {
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

describe('devices in the terminal configuration (cli.json)', () => {
  it('init keeps the device specs; status lists them', async () => {
    const terminalDir = join(root, 'configured');
    const init = await cli([
      ...initArgs(terminalDir),
      '--reader',
      'pn532:/dev/ttyS9',
      '--printer',
      'escpos:/dev/ttyUSB1@115200',
      '--pinpad',
      'hid:1209:4850',
    ]);
    expect(init.code, init.stderr).toBe(0);
    expect((await readCliFile(terminalDir)).devices).toEqual({
      reader: 'pn532:/dev/ttyS9',
      printer: 'escpos:/dev/ttyUSB1@115200',
      pinpad: 'hid:1209:4850',
    });
    const status = await cli(['status', '--dir', terminalDir]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(
      'Devices (cli.json): reader pn532:/dev/ttyS9, printer escpos:/dev/ttyUSB1@115200, PIN pad hid:1209:4850',
    );
    const plain = await cli(['status', '--dir', dir]);
    expect(plain.stdout).toContain('reader not configured, printer not configured, PIN pad not configured');
  });

  it('init with a bad device spec: usage error naming the field, no terminal made', async () => {
    const terminalDir = join(root, 'never');
    const r = await cli([...initArgs(terminalDir), '--printer', 'escpos:/dev/ttyUSB1@7']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--printer.baudRate');
    const reader = await cli([...initArgs(terminalDir), '--reader', 'pn532:ttyS1']);
    expect(reader.code).toBe(2);
    expect(reader.stderr).toContain('--reader');
    expect((await cli(['status', '--dir', terminalDir])).code).not.toBe(0);
  });

  it('the console uses the file’s devices and shows their states; a flag overrides the file', async () => {
    const terminalDir = join(root, 'console-config');
    const made = await cli(initArgs(terminalDir));
    expect(made.code, made.stderr).toBe(0);
    await writeCliFile(terminalDir, {
      ...(await readCliFile(terminalDir)),
      devices: { printer: 'escpos:/dev/huduma-no-such-printer', pinpad: 'hid:sim' },
    });
    const fromFile = await consoleRun([], '6\n0\n', terminalDir);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stdout).toContain('Reader: ready  Printer: disconnected  PIN pad: ready');
    const overridden = await consoleRun(['--printer', 'escpos:sim'], '6\n0\n', terminalDir);
    expect(overridden.code, overridden.stderr).toBe(0);
    expect(overridden.stdout).toContain('Reader: ready  Printer: ready  PIN pad: ready');
  });

  it('a bad spec in cli.json stops the console with a message naming the field', async () => {
    const terminalDir = join(root, 'bad-config');
    const made = await cli(initArgs(terminalDir));
    expect(made.code, made.stderr).toBe(0);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(terminalDir, 'cli.json'), JSON.stringify({ devices: { pinpad: 'usb:1:2' } }));
    const r = await consoleRun([], '0\n', terminalDir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pinpad/);
  });
});
