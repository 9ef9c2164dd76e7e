/**
 * A counter behind the cashier web app: the engine on a card source, the counter's devices
 * (printer, PIN pad) with their states on the page, receipts printed after each approval, and
 * sync with the clearing service named in D/clearing.json. `serve` and the demo on simulated
 * devices both start one.
 */
import type { CliIo } from '@huduma/cli-kit';
import { DevPki } from '@huduma/pki';
import {
  BatchUploader,
  devLoadAuthorizer,
  type LoadAuthorizer,
  loadSavedCatalog,
  type PinPad,
  readClearingConfig,
  servicePublicKeyBytes,
  TerminalEngine,
} from '@huduma/terminal';
import type { CardSource } from '../cli/card-source';
import { type CounterDevices, openCounterDevices } from '../devices/counter-devices';
import type { DeviceSpecs } from '../devices/device-config';
import type { DeviceState } from '../devices/device-states';
import type { DemoCardBox } from '../ui/demo-reader';
import { CounterSession, WebPinPadSlot } from './counter-session';
import { type CounterWebApp, startCounterWebApp } from './server';

export interface CounterAppOptions {
  dir: string;
  port: number;
  source: CardSource;
  /** The reader's state so far (the source reports later ones through `readerStates`). */
  readerState?: DeviceState;
  /** Printer and PIN pad specs (the reader is `source`). */
  devices: DeviceSpecs;
  /** Demo cards for the page's demo panel, and their PINs. */
  demo?: { reader: DemoCardBox; pins: string[] };
  pkiDir?: string;
  /** Where a simulated printer's pages go (receipt-N.txt/.png). */
  simulatedPagesDir?: string;
  /** When `port` is taken, serve on any free port instead of failing (the demo's default port). */
  anyPortIfTaken?: boolean;
  /** How often the printer and PIN pad are asked for their state between prints (default 2 s). */
  devicePollMs?: number;
}

export interface RunningCounterApp {
  app: CounterWebApp;
  session: CounterSession;
  engine: TerminalEngine;
  devices: CounterDevices;
  /** Feeds the reader's state to the device model (the card source's listener). */
  setReaderState(state: DeviceState): void;
  close(): Promise<void>;
}

export async function startCounterApp(options: CounterAppOptions, io: CliIo): Promise<RunningCounterApp> {
  const { dir, source } = options;
  let loadAuthorizer: LoadAuthorizer | undefined;
  if (options.pkiDir !== undefined) loadAuthorizer = devLoadAuthorizer(DevPki.open(options.pkiDir));
  const devices = await openCounterDevices(
    {
      ...(options.devices.printer === undefined ? {} : { printer: options.devices.printer }),
      ...(options.devices.pinpad === undefined ? {} : { pinpad: options.devices.pinpad }),
    },
    {
      onPrintReport: (r) => r.ok || io.stdout.write(`${r.what}: ${r.message}\n`),
      onNoPin: (m) => io.stdout.write(`${m}\n`),
      reader: true,
      ...(options.simulatedPagesDir === undefined ? {} : { simulatedPagesDir: options.simulatedPagesDir }),
    },
  );
  if (options.readerState) devices.deviceStates.set('reader', options.readerState);
  // Ask the printer now and every few seconds, so the page shows paper out (or a cover left
  // open, a pad unplugged) before the next sale rather than after it.
  void devices.states();
  const poll = setInterval(() => void devices.states(), options.devicePollMs ?? 2000);
  poll.unref();
  const pinPad = new WebPinPadSlot();
  try {
    const catalog = await loadSavedCatalog(dir);
    const engine = await TerminalEngine.open({
      dir,
      reader: source.reader,
      pinPad,
      ...(loadAuthorizer ? { loadAuthorizer } : {}),
      ...(catalog ? { catalog } : {}),
    });
    const clearing = await readClearingConfig(dir);
    const uploader = clearing
      ? new BatchUploader({
          engine,
          baseUrl: clearing.baseUrl,
          servicePublicKey: servicePublicKeyBytes(clearing),
        })
      : undefined;
    const session = new CounterSession({
      engine,
      ...(uploader ? { uploader } : {}),
      ...(options.demo ? { demo: options.demo } : {}),
      devices,
    });
    pinPad.target = session;
    const devicePad = devices.pinPad;
    if (devicePad) {
      // The PIN goes through the pad. A simulated pad (hid:sim) has no keys of its own: the
      // page's PIN dialog types on it, and the digits travel as HID reports through the driver.
      let lastRequest: Parameters<PinPad['requestPin']>[0] | undefined;
      pinPad.target = {
        requestPin: (request) => {
          lastRequest = request;
          return devicePad.requestPin(request);
        },
      };
      const simPad = devices.simulated.pad;
      if (simPad)
        simPad.onPinEntry = (pad) =>
          void session
            .requestPin(
              lastRequest ?? {
                cardNumber: '',
                amountCents: pad.display.amountCents,
                triesLeft: 3,
                attempt: 1,
              },
            )
            .then((pin) => (pin ? pad.enterPin(pin) : pad.press('cancel')));
    }
    const app = await startCounterWebApp(session, { port: options.port }).catch((err: { code?: string }) => {
      if (err.code !== 'EADDRINUSE' || !options.anyPortIfTaken) throw err;
      return startCounterWebApp(session, { port: 0 });
    });
    return {
      app,
      session,
      engine,
      devices,
      setReaderState: (state) => devices.deviceStates.set('reader', state),
      async close() {
        clearInterval(poll);
        await app.close();
        await session.close();
        await engine.close();
        await devices.close();
      },
    };
  } catch (err) {
    clearInterval(poll);
    await devices.close();
    throw err;
  }
}
