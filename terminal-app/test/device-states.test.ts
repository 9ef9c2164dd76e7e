/**
 * The device-state model: configured devices start absent, drivers' news changes them, listeners
 * hear only changes; on the simulated printer (pty) and PIN pad the states follow what the
 * devices do (paper out after a failed print, the pad unplugged), in words in EN and SW.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CounterDevices, openCounterDevices } from '../src/devices/counter-devices';
import {
  DEVICE_STATES,
  DeviceStateModel,
  type DeviceStates,
  pinPadDeviceState,
  printerDeviceState,
  printFailureDeviceState,
} from '../src/devices/device-states';
import { DEVICE_WORDS, deviceStatesLine } from '../src/messages/device-words';

describe('DeviceStateModel', () => {
  it('configured devices start absent, the others not configured', () => {
    expect(new DeviceStateModel({ printer: true }).snapshot()).toEqual({
      reader: 'not-configured',
      printer: 'absent',
      pinpad: 'not-configured',
    });
  });

  it('tells listeners of changes only, and lists the devices that are not ready', () => {
    const model = new DeviceStateModel({ reader: true, printer: true, pinpad: true });
    const heard: DeviceStates[] = [];
    const stop = model.subscribe((s) => heard.push(s));
    model.subscribe(() => {
      throw new Error('a broken listener');
    });
    model.set('reader', 'ready');
    model.set('reader', 'ready');
    model.set('printer', 'paper-out');
    expect(heard).toEqual([
      { reader: 'ready', printer: 'absent', pinpad: 'absent' },
      { reader: 'ready', printer: 'paper-out', pinpad: 'absent' },
    ]);
    expect(model.problems()).toEqual([
      { kind: 'printer', state: 'paper-out' },
      { kind: 'pinpad', state: 'absent' },
    ]);
    stop();
    model.set('pinpad', 'ready');
    expect(heard).toHaveLength(2);
    expect(model.get('pinpad')).toBe('ready');
  });

  it('maps the drivers’ words to device states', () => {
    expect(printerDeviceState('unreachable')).toBe('disconnected');
    expect(printerDeviceState('cover-open')).toBe('cover-open');
    expect(printFailureDeviceState('write-failed')).toBe('disconnected');
    expect(printFailureDeviceState('paper-out')).toBe('paper-out');
    expect(printFailureDeviceState('invalid-document')).toBeUndefined();
    expect(pinPadDeviceState('connected')).toBe('ready');
    expect(pinPadDeviceState('absent')).toBe('absent');
  });

  it('every state has words in English and Kiswahili', () => {
    for (const lang of ['en', 'sw'] as const)
      for (const state of DEVICE_STATES) expect(DEVICE_WORDS[lang][`device.state.${state}`]).toBeTruthy();
    const states: DeviceStates = { reader: 'ready', printer: 'paper-out', pinpad: 'not-configured' };
    expect(deviceStatesLine(states)).toBe('Reader: ready  Printer: out of paper  PIN pad: not set up');
    expect(deviceStatesLine(states, 'sw')).toBe(
      'Kisoma kadi: tayari  Printa: karatasi imeisha  Kibodi ya PIN: haijawekwa',
    );
  });
});

describe('the model on the simulated printer and PIN pad', () => {
  let devices: CounterDevices;
  beforeAll(async () => {
    devices = await openCounterDevices({ printer: 'escpos:sim', pinpad: 'hid:sim' });
  });
  afterAll(() => devices?.close());

  it('follows the printer and the pad from their events and answers', async () => {
    expect(devices.deviceStates.get('pinpad')).toBe('ready');
    expect(await devices.states()).toEqual({ reader: 'not-configured', printer: 'ready', pinpad: 'ready' });
    const printer = devices.simulated.printer!;
    printer.faults.paperOut = true;
    // A failed print is enough: the model hears of it without anyone asking.
    devices.printing!.printDocument({ blocks: [{ kind: 'text', text: 'test' }], cut: true }, 'test page');
    await devices.printing!.settled();
    expect(devices.deviceStates.get('printer')).toBe('paper-out');
    printer.faults.paperOut = false;
    printer.faults.coverOpen = true;
    expect((await devices.states()).printer).toBe('cover-open');
    printer.faults.coverOpen = false;
    expect((await devices.states()).printer).toBe('ready');
    devices.simulated.pad!.unplug();
    expect((await devices.states()).pinpad).toBe('absent');
    devices.simulated.pad!.plugIn();
    expect((await devices.states()).pinpad).toBe('ready');
  });
});
