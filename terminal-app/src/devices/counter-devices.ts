import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { enginePinPad, nodeHidBackend, PinPadDriver, parsePinPadSpec } from '@huduma/pinpad-hid';
import { PrinterDevice, parsePrinterSpec } from '@huduma/printer-escpos';
import { SimulatedHidBus, SimulatedPinPad } from '@huduma/sim-pinpad';
import { openPtyPair, PrinterSimulator, type PtyPair } from '@huduma/sim-printer';
import type { ApprovedTransaction, PinPad, TerminalConfig } from '@huduma/terminal';
import {
  DeviceStateModel,
  type DeviceStates,
  pinPadDeviceState,
  printerDeviceState,
  printFailureDeviceState,
} from './device-states';
import { receiptDataOf } from './receipt-document';
import { type PrintReport, ReceiptPrinting } from './receipt-printer';

/** The configured devices of a counter, named by spec strings (`escpos:/dev/ttyUSB0`, `hid:1209:4850`). */
export interface CounterDeviceSpecs {
  printer?: string;
  pinpad?: string;
}

export interface CounterDevices {
  printing: ReceiptPrinting | undefined;
  /** For TerminalEngine.open({ pinPad }) when a pad is configured. */
  pinPad: PinPad | undefined;
  /** Simulated devices of the demo world (`escpos:sim`, `hid:sim`), for the demo menu and tests. */
  simulated: { printer?: PrinterSimulator; pad?: SimulatedPinPad };
  /** Each device's state, kept up to date from the drivers' events (the reader's too, when a card source reports to it). */
  deviceStates: DeviceStateModel;
  printReceipt(
    result: ApprovedTransaction,
    config: Pick<TerminalConfig, 'merchantId' | 'terminalId' | 'location'>,
  ): void;
  /** Asks the printer and the PIN pad now, then gives every device's state. */
  states(): Promise<DeviceStates>;
  close(): Promise<void>;
}

/**
 * Opens the devices the specs name. Bad specs throw the packages' typed errors (field named)
 * before anything is opened; a device that is missing is not an error here: it shows as absent
 * or unreachable, and sales go on without it.
 */
export async function openCounterDevices(
  specs: CounterDeviceSpecs,
  hooks: {
    onPrintReport?: (report: PrintReport) => void;
    onNoPin?: (message: string) => void;
    /** The reader's state is tracked too (its card source reports to the model). */
    reader?: boolean;
    /** Where the simulated printer (escpos:sim) puts its pages, as receipt-N.txt and receipt-N.png. */
    simulatedPagesDir?: string;
  } = {},
): Promise<CounterDevices> {
  const printerSpec = specs.printer === undefined ? undefined : parsePrinterSpec(specs.printer);
  const padSpec = specs.pinpad === undefined ? undefined : parsePinPadSpec(specs.pinpad);
  const closers: Array<() => Promise<void> | void> = [];
  const simulated: CounterDevices['simulated'] = {};
  const deviceStates = new DeviceStateModel({
    reader: hooks.reader === true,
    printer: printerSpec !== undefined,
    pinpad: padSpec !== undefined,
  });
  let printer: PrinterDevice | undefined;
  if (printerSpec) {
    let path: string;
    let baudRate = 19_200;
    if (printerSpec.kind === 'escpos-sim') {
      const pty: PtyPair = await openPtyPair();
      const sim = new PrinterSimulator();
      await sim.attach(pty.devicePath);
      simulated.printer = sim;
      const pagesDir = hooks.simulatedPagesDir;
      if (pagesDir !== undefined) keepPages(sim, pagesDir);
      closers.push(
        () => pty.close(),
        () => sim.detach(),
      );
      path = pty.hostPath;
    } else {
      path = printerSpec.path;
      baudRate = printerSpec.baudRate;
    }
    const device = new PrinterDevice({ path, baudRate });
    printer = device;
    device.on('status', (status) => deviceStates.set('printer', printerDeviceState(status.state)));
    device.on('printed', () => deviceStates.set('printer', 'ready'));
    device.on('print-failed', ({ reason }) => {
      const state = printFailureDeviceState(reason);
      if (state) deviceStates.set('printer', state);
    });
    closers.push(() => device.close());
  }
  let driver: PinPadDriver | undefined;
  if (padSpec) {
    if (padSpec.kind === 'hid-sim') {
      const bus = new SimulatedHidBus();
      simulated.pad = bus.attach(new SimulatedPinPad());
      driver = new PinPadDriver({ backend: bus });
    } else {
      driver = new PinPadDriver({
        backend: await nodeHidBackend(),
        vendorId: padSpec.vendorId,
        productId: padSpec.productId,
      });
    }
    const d = driver;
    d.on('state', (state) => deviceStates.set('pinpad', pinPadDeviceState(state)));
    deviceStates.set('pinpad', pinPadDeviceState(d.refresh()));
    closers.push(() => d.close());
  }
  const printing = printer ? new ReceiptPrinting(printer, (r) => hooks.onPrintReport?.(r)) : undefined;
  return {
    printing,
    pinPad: driver
      ? enginePinPad(driver, { onNoPin: (_reason, message) => hooks.onNoPin?.(message) })
      : undefined,
    simulated,
    deviceStates,
    printReceipt(result, config) {
      printing?.printReceipt(receiptDataOf(result, config));
    },
    async states() {
      // The printer's answer arrives through its 'status' event; the pad's through refresh().
      if (printer) await printer.status();
      if (driver) deviceStates.set('pinpad', pinPadDeviceState(driver.refresh()));
      return deviceStates.snapshot();
    },
    async close() {
      await printing?.settled();
      // Closed in reverse: the device before the line under it.
      for (const close of closers.reverse()) await close();
    },
  };
}

/** Saves each page the simulated printer cuts as text and PNG (the demo world's receipts). */
function keepPages(sim: PrinterSimulator, dir: string): void {
  let n = 0;
  let writing: Promise<unknown> = mkdir(dir, { recursive: true });
  sim.on('page', (page) => {
    n += 1;
    const base = join(dir, `receipt-${String(n).padStart(3, '0')}`);
    // Each file appears whole (written aside, then renamed): a viewer never opens half a receipt.
    const save = async (path: string, data: string | Uint8Array) => {
      await writeFile(`${path}.part`, data);
      await rename(`${path}.part`, path);
    };
    writing = writing
      .then(() => save(`${base}.txt`, page.text))
      .then(() => save(`${base}.png`, page.png()))
      .catch(() => {
        // A demo directory that cannot be written loses its copies; the counter goes on.
      });
  });
}
