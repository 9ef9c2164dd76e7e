import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Language } from '../src/messages/index';
import { CashierConsole } from '../src/ui/console';
import { type DemoCounter, type DemoWorld, ensureDemoWorld, openDemoCounter } from '../src/ui/demo-world';

/** Runs the console's menu loop over `lines` (then end of input) and returns everything it printed. */
async function session(counter: DemoCounter, lines: string[], language?: Language): Promise<string> {
  let text = '';
  const output = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  const input = new PassThrough();
  input.end(`${lines.join('\n')}\n`);
  const cashier = new CashierConsole({
    engine: counter.engine,
    pinPad: counter.pinPad,
    input,
    output,
    demo: counter.reader,
    terminal: false,
    ...(language ? { language } : {}),
  });
  await cashier.run();
  return text;
}

describe('cashier console, scripted', () => {
  let root: string;
  let world: DemoWorld;
  let counter: DemoCounter;
  const balance = (i: number) => counter.reader.cards[i]!.card.state.balance;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'huduma-console-'));
    world = await ensureDemoWorld(root);
    counter = await openDemoCounter(world);
  });
  afterEach(async () => {
    await counter.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("words the engine's refusals in the cashier's language (Kiswahili)", async () => {
    // A typed KES 250.00 on Baraka's card (KES 120.00): declined, the reason from the sw catalog.
    const out = await session(counter, ['1', 'A', '250', 'PAY-SW', '2', '0'], 'sw');
    expect(out).toContain('Salio halitoshi: kadi ina KES 120.00, mauzo ni KES 250.00.');
    expect(out).not.toContain('Insufficient balance: the card holds');
    expect(balance(1)).toBe(12_000);
  });

  it('a sale, a decline, a PIN sale, cancel-last and the X report', async () => {
    const out = await session(counter, [
      // sale: service 8 (Birth certificate copy, KES 50.00), Amina taps
      '1',
      '8',
      'BC-0001',
      '1',
      // typed amount on Baraka's card (KES 120.00): declined
      '1',
      'A',
      '250',
      'PAY-0002',
      '2',
      // Certificate of good conduct (KES 1,050.00 > PIN limit) on Chebet's card: wrong PIN, then right
      '1',
      '3',
      'GC-0003',
      '3',
      '0000',
      '1234',
      // cancel the last sale: Chebet taps again
      '2',
      '3',
      // X report, quit
      '4',
      '0',
    ]);
    expect(out).toContain('Tap card… to pay KES 50.00 for Birth certificate copy');
    expect(out).toContain('APPROVED: KES 50.00  new balance KES 4,950.00');
    expect(out).toMatch(/Bill ref\s+BC-0001/);
    expect(out).toContain('Declined: insufficient balance (balance KES 120.00)');
    expect(out).toContain('Wrong PIN: 2 tries left.');
    expect(out).toContain('APPROVED: KES 1,050.00  new balance KES 18,950.00');
    expect(out).not.toContain('1234');
    expect(out).toContain('(3 tries left; Enter = cancel): ****');
    expect(out).toContain('CANCELLED: KES 1,050.00  new balance KES 20,000.00');
    expect(out).toMatch(/REFUNDED KES\s+1,050.00/);
    expect(out).toContain('X REPORT (shift still open)');
    expect(out).toMatch(/Sales \(2\)\s+1,100.00/);
    expect(out).toMatch(/Cancelled \(1\)\s+1,050.00/);
    expect(out).toMatch(/NET SALES\s+50.00/);
    expect(out).toMatch(/insufficient balance \(1\)\s+250.00/);
    expect(out).toContain('Goodbye.');
    expect([balance(0), balance(1), balance(2)]).toEqual([495_000, 12_000, 2_000_000]);
  });

  it('a card pulled out mid-payment: the re-tap says whether it went through', async () => {
    const out = await session(counter, [
      // the card completes the DEBIT but the answer is lost; Amina taps again
      '8',
      'P',
      '1',
      'A',
      '250',
      'PAY-0010',
      '1',
      '1',
      // the card never gets the DEBIT; Amina taps again
      '8',
      'N',
      '1',
      'A',
      '100',
      'PAY-0011',
      '1',
      '1',
      '0',
    ]);
    expect(out).toContain('NOT FINISHED: card pulled out mid-payment');
    expect(out).toContain('The earlier sale of KES 250.00 went through — receipt below.');
    expect(out).toContain('SALE (COMPLETED ON RE-TAP)');
    expect(out).toContain('The earlier sale of KES 100.00 did NOT go through; the card was not charged.');
    expect(balance(0)).toBe(500_000 - 25_000);
    expect(counter.engine.status().unresolved).toEqual([]);
  });

  it('Enter at the tap prompt cancels; a wrong card at the re-tap leaves the sale to finish later', async () => {
    const out = await session(counter, [
      '1',
      '8',
      'BC-0020',
      '',
      '8',
      'P',
      '1',
      'A',
      '75',
      'PAY-0021',
      '1',
      '2',
      '6',
      '7',
      '1',
      '0',
    ]);
    expect(out).toContain('Cancelled: no card was tapped, nothing was charged.');
    expect(out).toContain('Nothing to finish on this card');
    expect(out).toMatch(/Unresolved transactions\s+1/);
    expect(out).toContain('The earlier sale of KES 75.00 went through — receipt below.');
    expect(counter.engine.status().unresolved).toEqual([]);
  });

  it('reloads cash at the Huduma Centre and closes the shift with a Z report', async () => {
    const out = await session(counter, ['3', '500', 'RCPT-1', '2', '5', 'y', '4', '0']);
    expect(out).toContain('Tap card… to load KES 500.00 cash');
    expect(out).toContain('LOADED: KES 500.00  new balance KES 620.00');
    expect(out).toContain('Z REPORT (shift closed)');
    expect(out).toMatch(/Cash reloads \(1\)\s+500.00/);
    expect(out).toContain('A new shift is open.');
    // The X report after the Z starts from zero.
    expect(out.slice(out.indexOf('X REPORT'))).toMatch(/Cash reloads \(0\)\s+0.00/);
    expect(balance(1)).toBe(62_000);
  });

  it('ends cleanly when the input ends mid-dialog', async () => {
    const out = await session(counter, ['1', '8']);
    expect(out).toContain('Goodbye.');
  });
});
