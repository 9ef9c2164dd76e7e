/**
 * The web API on a counter with the simulated printer (pty): GET /api/devices and the live state
 * give each device's state; with the paper out a sale still completes, the page's state says
 * paper out, and once the roll is changed the receipt reprints.
 */
import type { PrintedPage } from '@huduma/sim-printer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CounterDevices, openCounterDevices } from '../src/index';
import { startWebCounter, type WebCounter } from './support/web-counter';

let devices: CounterDevices;
let web: WebCounter;

beforeAll(async () => {
  devices = await openCounterDevices({ printer: 'escpos:sim' }, { reader: true });
  devices.deviceStates.set('reader', 'ready');
  await devices.states();
  web = await startWebCounter({ devices });
});
afterAll(async () => {
  await web?.close();
  await devices?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked by the assertions
const get = async (path: string): Promise<any> => (await fetch(`${web.app.url}${path}`)).json();

const post = (path: string, body: unknown) =>
  fetch(`${web.app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function sale(billRef: string): Promise<{ kind: string }> {
  web.session.demoPresent(0);
  const res = await post('/api/sale', { amount: '75.00', billRef });
  expect(res.status).toBeLessThan(300);
  await web.session.settled();
  return web.session.snapshot().result!;
}

describe('device states through the web API', () => {
  it('GET /api/devices and the live state give each device’s state', async () => {
    const expected = { reader: 'ready', printer: 'ready', pinpad: 'not-configured' };
    expect(await get('/api/devices')).toEqual({ devices: expected });
    expect((await get('/api/state')).devices).toEqual(expected);
    // The reader going away (its driver's reader-removed) shows in both places the page reads.
    devices.deviceStates.set('reader', 'disconnected');
    const state = await get('/api/state');
    expect(state.devices.reader).toBe('disconnected');
    expect(state.readerConnected).toBe(false);
    devices.deviceStates.set('reader', 'ready');
    expect((await get('/api/state')).readerConnected).toBe(true);
  });

  it('paper out: the sale completes, the state says so, POST /api/reprint prints it after the roll is changed', async () => {
    const printer = devices.simulated.printer!;
    printer.faults.paperOut = true;
    expect((await sale('PAPER-1')).kind).toBe('approved');
    await devices.printing!.settled();
    expect(printer.pages).toHaveLength(0);
    expect((await get('/api/devices')).devices.printer).toBe('paper-out');
    expect((await get('/api/state')).devices.printer).toBe('paper-out');

    printer.faults.paperOut = false;
    const page = new Promise<PrintedPage>((resolve) => printer.once('page', resolve));
    const seq = web.session.snapshot().lastReceiptSeq;
    const reprint = await post('/api/reprint', { seq });
    expect(reprint.status, await reprint.text()).toBeLessThan(300);
    const text = (await page).text;
    expect(text).toContain('*** REPRINT ***');
    expect(text).toContain('PAPER-1');
    await devices.printing!.settled();
    expect((await get('/api/devices')).devices.printer).toBe('ready');
  });

  it('a counter without devices says not-configured for each', async () => {
    const plain = await startWebCounter();
    try {
      const res = await (await fetch(`${plain.app.url}/api/devices`)).json();
      expect(res).toEqual({
        devices: { reader: 'not-configured', printer: 'not-configured', pinpad: 'not-configured' },
      });
    } finally {
      await plain.close();
    }
  });
});
