import { enginePinPad, nodeHidBackend, PinPadDriver, parsePinPadSpec } from '@huduma/pinpad-hid';
import { PrinterDevice, type PrinterStatus, parsePrinterSpec } from '@huduma/printer-escpos';
import { SimulatedHidBus, SimulatedPinPad } from '@huduma/sim-pinpad';
import { openPtyPair, PrinterSimulator, type PtyPair } from '@huduma/sim-printer';
import type { ApprovedTransaction, PinPad, TerminalConfig } from '@huduma/terminal';
import { receiptDataOf } from './receipt-document';
import { type PrintReport, ReceiptPrinting } from './receipt-printer';

/** The configured devices of a counter, named by spec strings (`escpos:/dev/ttyUSB0`, `hid:1209:4850`). */
export interface CounterDeviceSpecs {
  printer?: string;
  pinpad?: string;
}

export interface DeviceStates {
  printer: PrinterStatus['state'] | 'none';
  pinpad: 'connected' | 'absent' | 'none';
}

export interface CounterDevices {
  printing: ReceiptPrinting | undefined;
  /** For TerminalEngine.open({ pinPad }) when a pad is configured. */
  pinPad: PinPad | undefined;
  /** Simulated devices of the demo world (`escpos:sim`, `hid:sim`), for the demo menu and tests. */
  simulated: { printer?: PrinterSimulator; pad?: SimulatedPinPad };
  printReceipt(
    result: ApprovedTransaction,
    config: Pick<TerminalConfig, 'merchantId' | 'terminalId' | 'location'>,
  ): void;
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
  hooks: { onPrintReport?: (report: PrintReport) => void; onNoPin?: (message: string) => void } = {},
): Promise<CounterDevices> {
  const printerSpec = specs.printer === undefined ? undefined : parsePrinterSpec(specs.printer);
  const padSpec = specs.pinpad === undefined ? undefined : parsePinPadSpec(specs.pinpad);
  const closers: Array<() => Promise<void> | void> = [];
  const simulated: CounterDevices['simulated'] = {};
  let printer: PrinterDevice | undefined;
  if (printerSpec) {
    let path: string;
    let baudRate = 19_200;
    if (printerSpec.kind === 'escpos-sim') {
      const pty: PtyPair = await openPtyPair();
      const sim = new PrinterSimulator();
      await sim.attach(pty.devicePath);
      simulated.printer = sim;
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
    closers.push(() => d.close());
  }
  const printing = printer ? new ReceiptPrinting(printer, (r) => hooks.onPrintReport?.(r)) : undefined;
  return {
    printing,
    pinPad: driver
      ? enginePinPad(driver, { onNoPin: (_reason, message) => hooks.onNoPin?.(message) })
      : undefined,
    simulated,
    printReceipt(result, config) {
      printing?.printReceipt(receiptDataOf(result, config));
    },
    async states() {
      return {
        printer: printer ? (await printer.status()).state : 'none',
        pinpad: driver ? driver.refresh() : 'none',
      };
    },
    async close() {
      await printing?.settled();
      // Closed in reverse: the device before the line under it.
      for (const close of closers.reverse()) await close();
    },
  };
}
