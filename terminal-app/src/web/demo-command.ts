/**
 * `huduma-terminal demo --devices simulated [--data D] [--port N]`: the demo world (dev PKI, a
 * terminal at a Huduma Centre, three demo cards; made under D on first run) served by the
 * cashier web app on simulated counter hardware: the cards are tapped on a simulated PN532 at the
 * far end of a socat pty (the counter reads them over the serial line), receipts print on the
 * simulated ESC/POS printer on another pty (each page saved as text and PNG in D/receipts), and
 * PINs go through the simulated HID PIN pad (typed on the page). Runs until Ctrl-C.
 */
import { join, resolve } from 'node:path';
import { SimulatedCard } from '@huduma/card-simulator';
import { type CliIo, command, defineCli, runCli, UsageError } from '@huduma/cli-kit';
import { openPtyPair, Pn532Simulator, type PtyPair } from '@huduma/sim-pn532';
import { readerSource } from '../cli/card-source';
import type { DeviceState } from '../devices/device-states';
import { type DemoWorld, ensureDemoWorld } from '../ui/demo-world';
import { Pn532DemoCards } from '../ui/pn532-demo-cards';
import { type RunningCounterApp, startCounterApp } from './counter-app';
import { DEFAULT_WEB_PORT, untilStopped } from './serve-command';

export const DEFAULT_DEMO_DIR = '.huduma-devices';

/** The demo world running on simulated devices; everything a test needs to drive it. */
export interface SimulatedDevicesDemo {
  world: DemoWorld;
  url: string;
  counter: RunningCounterApp;
  /** The PN532 simulator the demo cards are tapped on. */
  pn532: Pn532Simulator;
  /** The demo cards on that PN532 (the page's demo panel acts on them). */
  cards: Pn532DemoCards;
  /** Where the simulated printer's pages are saved (receipt-NNN.txt and .png). */
  receiptsDir: string;
  close(): Promise<void>;
}

/** Starts the demo world on the simulated PN532, printer and PIN pad (needs socat). */
export async function startSimulatedDevicesDemo(
  options: { dataDir: string; port: number; anyPortIfTaken?: boolean },
  io: CliIo,
): Promise<SimulatedDevicesDemo> {
  const world = await ensureDemoWorld(resolve(options.dataDir));
  const receiptsDir = join(world.dataDir, 'receipts');
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
  };
  try {
    const pty: PtyPair = await openPtyPair();
    closers.push(() => pty.close());
    const pn532 = await Pn532Simulator.open(pty.device);
    closers.push(() => pn532.close());
    const cards = new Pn532DemoCards(
      pn532,
      world.cards.map((c) => ({ label: c.label, card: SimulatedCard.open(c.path) })),
    );
    let counter: RunningCounterApp | undefined;
    let readerState: DeviceState | undefined;
    const source = await readerSource(`pn532:${pty.host}`, (state) => {
      readerState = state;
      counter?.setReaderState(state);
    });
    closers.push(() => source.close());
    counter = await startCounterApp(
      {
        dir: world.terminalDir,
        port: options.port,
        source,
        devices: { printer: 'escpos:sim', pinpad: 'hid:sim' },
        ...(readerState ? { readerState } : {}),
        demo: { reader: cards, pins: world.cards.map((c) => c.pin) },
        pkiDir: world.pkiDir,
        simulatedPagesDir: receiptsDir,
        ...(options.anyPortIfTaken ? { anyPortIfTaken: true } : {}),
      },
      io,
    );
    const running = counter;
    closers.push(() => running.close());
    return { world, url: running.app.url, counter: running, pn532, cards, receiptsDir, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

interface DemoHooks {
  signal?: AbortSignal;
  onStarted?: (demo: SimulatedDevicesDemo) => void;
}

function demoCommandWith(hooks: DemoHooks) {
  return command({
    name: 'demo',
    summary: 'the demo world in the cashier web app, on simulated PN532, printer and PIN pad',
    usage: '--devices simulated [--data D] [--port N]',
    options: {
      devices: {
        type: 'string',
        value: 'simulated',
        description: 'which devices the counter runs on (simulated: PN532, ESC/POS printer, HID PIN pad)',
        required: true,
      },
      data: {
        type: 'string',
        value: 'D',
        description: `the demo world's directory (default ${DEFAULT_DEMO_DIR}; made on first run)`,
      },
      port: {
        type: 'integer',
        min: 0,
        max: 65535,
        description: `port on 127.0.0.1 (default ${DEFAULT_WEB_PORT}; 0 = any free port)`,
      },
    },
    async run({ values, need, io }) {
      const devices = need('devices');
      if (devices !== 'simulated')
        throw new UsageError(
          `--devices must be simulated (the only demo devices), got ${JSON.stringify(devices.slice(0, 40))}`,
        );
      const demo = await startSimulatedDevicesDemo(
        {
          dataDir: values.data ?? DEFAULT_DEMO_DIR,
          port: values.port ?? DEFAULT_WEB_PORT,
          // The default port may be taken (another counter): any free one will do; --port N is meant.
          anyPortIfTaken: values.port === undefined,
        },
        io,
      );
      try {
        io.stdout.write(
          `Demo world in ${demo.world.dataDir} on simulated devices: PN532 reader, ESC/POS printer, HID PIN pad.\n` +
            `Cashier web app: ${demo.url}  (the demo panel taps the cards on the PN532; Ctrl-C stops it)\n` +
            `Receipts print to ${demo.receiptsDir} (text and PNG). Demo card PINs: ${demo.world.cards.map((c) => `${c.label} ${c.pin}`).join(', ')}\n`,
        );
        hooks.onStarted?.(demo);
        await untilStopped(hooks.signal);
      } finally {
        await demo.close();
      }
      return 0;
    },
  });
}

/** `huduma-terminal demo` as a command of the terminal CLI. */
export const demoCommand = demoCommandWith({});

/** Runs `demo` with `argv` (after `demo`); `signal` stops it (tests). Resolves the exit code. */
export function runDemoCommand(argv: readonly string[], io: CliIo, hooks: DemoHooks = {}): Promise<number> {
  const cli = defineCli({
    name: 'huduma-terminal',
    version: '0',
    summary: 'the demo world on simulated devices',
    commands: [demoCommandWith(hooks)],
  });
  return runCli(cli, ['demo', ...argv], io);
}
