import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueTestCard, type TestCard } from '@huduma/card-simulator';
import { parseReceiptCode } from '@huduma/clearing-protocol';
import { DevPki } from '@huduma/pki';
import type { PrintedPage } from '@huduma/sim-printer';
import { devLoadAuthorizer, initTerminal, pollingCardReader, TerminalEngine } from '@huduma/terminal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qrTextOfPng } from '../../test/support/printed-qr';
import { type CounterDevices, openCounterDevices, type PrintReport, shiftReportDocument } from '../src/index';

// The counter on simulated devices: the printer simulator at the end of a real pty (socat, the
// real serialport binding) and the simulated PIN pad. Sales never wait on the printer.
let dir: string;
let testCard: TestCard;
let engine: TerminalEngine;
let devices: CounterDevices;
const reports: PrintReport[] = [];
const ARTIFACTS = join(import.meta.dirname, '../../.tmp/printer');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'huduma-devices-'));
  const pki = DevPki.inMemory();
  testCard = await issueTestCard({ pki, balance: 1_000_000 });
  const now = Date.now();
  await initTerminal({
    dir,
    pki,
    terminalId: 'T-0001',
    merchantId: 'HC-NBI01',
    location: { kind: 'huduma-centre', name: 'Nairobi GPO' },
    limits: {},
    now,
  });
  devices = await openCounterDevices(
    { printer: 'escpos:sim', pinpad: 'hid:sim' },
    { onPrintReport: (r) => reports.push(r) },
  );
  const reader = testCard.reader;
  engine = await TerminalEngine.open({
    dir,
    reader: pollingCardReader(() => (reader.cardPresent ? reader : undefined)),
    pinPad: devices.pinPad!,
    loadAuthorizer: devLoadAuthorizer(pki),
    clock: () => now,
  });
});
afterAll(async () => {
  await engine?.close();
  await devices?.close();
  rmSync(dir, { recursive: true, force: true });
});

function nextPage(): Promise<PrintedPage> {
  return new Promise((resolve) => devices.simulated.printer!.once('page', resolve));
}

describe('a counter on the simulated printer and PIN pad', () => {
  it('a PIN sale typed on the pad prints its receipt, checked as text and kept as an image', async () => {
    devices.simulated.pad!.onPinEntry = (p) => p.enterPin(testCard.pin);
    expect(await devices.states()).toEqual({ reader: 'not-configured', printer: 'ready', pinpad: 'ready' });
    const page = nextPage();
    const result = await engine.sale({ serviceCode: 201, billRef: 'ECZ-GC-7731' });
    expect(result.status).toBe('approved');
    devices.printReceipt(result, engine.config);
    const text = (await page).text;
    expect(text).toContain('HUDUMA PAY');
    expect(text).toMatch(/Bill ref\s+ECZ-GC-7731/);
    expect(text).toMatch(/Amount\s+Ksh 1,050\.00/);
    expect(text).toMatch(/New balance\s+Ksh 8,950\.00/);
    expect(text).toContain(`T-0001 #${result.terminalSeq}`);
    const code = `HPR1:T-0001:${result.terminalSeq}:${result.proofRef}`;
    expect(text).toContain(`[QR ${code}]`);
    expect(text).not.toContain(testCard.cardNumber);
    // The QR on the paper, read as a phone would, is the receipt code the public check page reads.
    const png = (await page).png();
    expect(qrTextOfPng(png)).toBe(code);
    expect(parseReceiptCode(code)).toEqual({
      terminalId: 'T-0001',
      terminalSeq: result.terminalSeq,
      proofRef: result.proofRef,
    });
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'counter-receipt.png'), png);
    await devices.printing!.settled();
    expect(reports.at(-1)).toEqual({ ok: true, what: `receipt #${result.terminalSeq}` });
  });

  it('paper out: the sale approves all the same, the cashier is told, and the receipt reprints later', async () => {
    const sim = devices.simulated.printer!;
    sim.faults.paperOut = true;
    const pagesBefore = sim.pages.length;
    const result = await engine.sale({ amount: '200.00', billRef: 'ECZ-BC-1' });
    expect(result.status).toBe('approved');
    devices.printReceipt(result, engine.config);
    await devices.printing!.settled();
    expect(reports.at(-1)).toMatchObject({
      ok: false,
      reason: 'paper-out',
      message: expect.stringMatching(/out of paper/),
    });
    expect(sim.pages.length).toBe(pagesBefore);
    expect((await devices.states()).printer).toBe('paper-out');

    sim.faults.paperOut = false;
    const page = nextPage();
    expect(devices.printing!.reprint()).toBe(true);
    const text = (await page).text;
    expect(text).toContain('*** REPRINT ***');
    expect(text).toMatch(/Bill ref\s+ECZ-BC-1/);
  });
});

describe('shift reports on paper', () => {
  it('an X report prints with its totals in shillings', async () => {
    const page = nextPage();
    devices.printing!.printDocument(
      shiftReportDocument(engine.xReport(), engine.config.terminalId),
      'X report',
    );
    const text = (await page).text;
    expect(text).toContain('X REPORT');
    expect(text).toMatch(/Sales \(2\)\s+Ksh 1,250\.00/);
    expect(text).toMatch(/NET SALES\s+Ksh 1,250\.00/);
    expect(devices.simulated.printer!.unknownCommands).toEqual([]);
  });
});
