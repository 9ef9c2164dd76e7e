import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CounterDevices, openCounterDevices } from '../src/index';
import { CashierConsole } from '../src/ui/console';
import { type DemoCounter, type DemoWorld, ensureDemoWorld, openDemoCounter } from '../src/ui/demo-world';

// A sale interrupted at the counter and completed on the re-tap: the customer gets its receipt on
// paper too (before, only the screen showed it).
describe('cashier console with a printer: a sale completed on re-tap', () => {
  let root: string;
  let world: DemoWorld;
  let counter: DemoCounter;
  let devices: CounterDevices;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'huduma-console-recovered-'));
    world = await ensureDemoWorld(root);
    counter = await openDemoCounter(world);
    devices = await openCounterDevices({ printer: 'escpos:sim' });
  });
  afterEach(async () => {
    await counter.close();
    await devices.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('prints the completed sale from the log, titled as completed on re-tap', async () => {
    let text = '';
    const output = new Writable({
      write(chunk, _enc, done) {
        text += chunk.toString();
        done();
      },
    });
    const input = new PassThrough();
    // Service 8 (KES 50.00) on card 1, pulled after the card ran the DEBIT; card 1 taps again.
    input.end(`${['1', '8', 'BC-RETAP', '1', '1', '0'].join('\n')}\n`);
    counter.reader.pullDuringNextValueCommand({ afterCardProcessed: true });
    const cashier = new CashierConsole({
      engine: counter.engine,
      pinPad: counter.pinPad,
      input,
      output,
      demo: counter.reader,
      terminal: false,
      devices,
    });
    await cashier.run();
    await devices.printing!.settled();
    expect(text).toMatch(/went through/);
    const pages = devices.simulated.printer!.pages.map((p) => p.text);
    expect(pages).toHaveLength(1);
    expect(pages[0]).toContain('SALE (COMPLETED ON RE-TAP)');
    expect(pages[0]).toMatch(/Bill ref\s+BC-RETAP/);
    expect(pages[0]).toMatch(/Amount\s+Ksh 50\.00/);
  });
});
