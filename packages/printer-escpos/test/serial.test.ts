import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openPtyPair, type PrintedPage, PrinterSimulator, type PtyPair } from '@huduma/sim-printer';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  formatShillings,
  PRINT_FAILURE_REASONS,
  type PrintableDocument,
  PrinterDevice,
  type PrinterStatus,
} from '../src/index';

// Through the real serialport binding on a real pty pair (socat); the simulator at the far end.
let pty: PtyPair;
let sim: PrinterSimulator;
let printer: PrinterDevice;
const ARTIFACTS = join(import.meta.dirname, '../../../.tmp/printer');

beforeEach(async () => {
  pty = await openPtyPair();
  sim = new PrinterSimulator();
  await sim.attach(pty.devicePath);
  printer = new PrinterDevice({ path: pty.hostPath, answerTimeoutMs: 500 });
});
afterEach(async () => {
  await printer.close();
  await sim.detach();
  await pty.close();
});

const doc: PrintableDocument = {
  blocks: [
    { kind: 'text', text: 'HUDUMA PAY', bold: true, double: true, align: 'center' },
    { kind: 'text', text: 'SALE', bold: true, align: 'center' },
    { kind: 'rule' },
    { kind: 'row', left: 'Bill ref', right: 'ECZ-GC-7731' },
    { kind: 'row', left: 'Amount', right: formatShillings(105_000), bold: true },
    { kind: 'qr', payload: 'HPR1:T-0001:1:A1B2C3D4', moduleSize: 6, errorLevel: 'M' },
    { kind: 'text', text: 'Asante! Thank you.', align: 'center' },
  ],
};

function nextPage(): Promise<PrintedPage> {
  return new Promise((resolve) => sim.once('page', resolve));
}

describe('PrinterDevice over a pty to the printer simulator', () => {
  it('prints a receipt that reads back as text, and keeps its image', async () => {
    const statuses: PrinterStatus[] = [];
    printer.on('status', (s) => statuses.push(s));
    const page = nextPage();
    const result = await printer.print(doc);
    expect(result).toMatchObject({ ok: true, status: { state: 'ready', paperNearEnd: false } });
    const printed = await page;
    const qr = '[QR HPR1:T-0001:1:A1B2C3D4]';
    expect(printed.text).toBe(
      [
        `${' '.repeat(14)}HUDUMA PAY`, // double width: 10 characters take 20 of 48 columns
        `${' '.repeat(22)}SALE`,
        '-'.repeat(48),
        `Bill ref${' '.repeat(29)}ECZ-GC-7731`,
        `Amount${' '.repeat(30)}Ksh 1,050.00`,
        `${' '.repeat(Math.floor((48 - qr.length) / 2))}${qr}`,
        '', // the line feed after the symbol
        `${' '.repeat(15)}Asante! Thank you.`,
        '',
      ].join('\n'),
    );
    expect(sim.unknownCommands).toEqual([]);
    expect(statuses.map((s) => s.state)).toEqual(['ready']);
    mkdirSync(ARTIFACTS, { recursive: true });
    const png = printed.png();
    expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    writeFileSync(join(ARTIFACTS, 'receipt.png'), png);
  });

  it('reports paper out as a typed state, prints nothing, and prints again once paper is back', async () => {
    sim.faults.paperOut = true;
    expect(await printer.status()).toMatchObject({ state: 'paper-out' });
    expect(await printer.print(doc)).toMatchObject({ ok: false, reason: 'paper-out' });
    expect(sim.pages).toHaveLength(0);
    sim.faults.paperOut = false;
    sim.faults.paperNearEnd = true;
    const page = nextPage();
    expect(await printer.print(doc)).toMatchObject({
      ok: true,
      status: { state: 'ready', paperNearEnd: true },
    });
    expect((await page).text).toContain('ECZ-GC-7731');
  });

  it('reports cover open, offline and a printer that answers nothing', async () => {
    sim.faults.coverOpen = true;
    expect((await printer.status()).state).toBe('cover-open');
    sim.faults.coverOpen = false;
    sim.faults.offline = true;
    expect((await printer.status()).state).toBe('offline');
    sim.faults.offline = false;
    sim.faults.unpowered = true;
    expect(await printer.print(doc)).toMatchObject({ ok: false, reason: 'unreachable' });
    sim.faults.unpowered = false;
    expect((await printer.status()).state).toBe('ready');
  });

  it('a printer answering garbage gives a typed failure, never a throw (seeded)', async () => {
    const seed = Number(process.env.HUDUMA_SEED ?? 20_261_130);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 6 }), async (answer) => {
        sim.receive = () => answer;
        const result = await printer.print(doc);
        if (!result.ok) expect(PRINT_FAILURE_REASONS).toContain(result.reason);
        else expect(result.status.state).toBe('ready');
      }),
      { seed, numRuns: 15 },
    );
  });

  it('reports a line that cannot be opened, without throwing', async () => {
    const missing = new PrinterDevice({ path: '/dev/huduma-no-such-tty', answerTimeoutMs: 200 });
    expect(await missing.print(doc)).toMatchObject({ ok: false, reason: 'unreachable' });
    await missing.close();
  });

  it('refuses a document it cannot lay out, naming the block, and sends nothing', async () => {
    const result = await printer.print({ blocks: [{ kind: 'qr', payload: '' }] });
    expect(result).toMatchObject({ ok: false, reason: 'invalid-document' });
    if (!result.ok) expect(result.detail).toContain('blocks[0].payload');
  });
});
