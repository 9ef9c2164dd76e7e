import { resolve } from 'node:path';
import { type CliSpec, command, defineCli, runCli, UsageError } from '@huduma/cli-kit';
import { PinPadConfigError } from '@huduma/pinpad-hid';
import { DevPki } from '@huduma/pki';
import { DeviceSpecError } from '@huduma/printer-escpos';
import { initTerminal, type LoadAuthorizer, ServiceCatalog } from '@huduma/terminal';
import packageJson from '../../package.json' with { type: 'json' };
import { type CounterDevices, openCounterDevices } from '../devices/counter-devices';
import {
  DEVICE_KINDS,
  type DeviceSpecs,
  mergeDeviceSpecs,
  readCliFile,
  writeCliFile,
} from '../devices/device-config';
import type { DeviceState } from '../devices/device-states';
import { CashierConsole, PinPadSlot } from '../ui/console';
import { DemoReader } from '../ui/demo-reader';
import { demoCommand } from '../web/demo-command';
import { serveCommand } from '../web/serve-command';
import { cardCommands } from './card-commands';
import {
  type CardSource,
  CardSourceError,
  cardSourceFromFlags,
  noCardReader,
  readerSource,
} from './card-source';
import { explainTerminalError, terminalNextStep } from './errors';
import { formatCatalog, formatShiftReport, formatStatus } from './format';
import {
  CARD,
  checkedDeviceFlags,
  DEVICE_FLAGS,
  DIR,
  devLoadAuthorizerFor,
  EXIT_OK,
  type TerminalCliIo,
  withEngine,
} from './shared';
import { syncCommand } from './sync';

export { CLI_FILE, EXIT_DECLINED, EXIT_OK, EXIT_USAGE, type TerminalCliIo } from './shared';

const initCommand = command({
  name: 'init',
  summary: 'provision a terminal in D with a key and certificate from the development PKI in P',
  options: {
    ...DIR,
    pki: {
      type: 'string',
      value: 'P',
      description: 'development PKI (created if P holds none yet)',
      required: true,
    },
    'terminal-id': { type: 'string', value: 'T', description: 'terminal id, e.g. T-0001', required: true },
    merchant: { type: 'string', value: 'M', description: 'merchant id, e.g. HC-NBI01', required: true },
    location: { type: 'string', value: '"NAME"', description: 'where the terminal stands', required: true },
    kind: { type: 'string', value: 'huduma-centre|partner-merchant', description: 'default huduma-centre' },
    reader: {
      type: 'string',
      value: 'SPEC',
      description: 'card reader kept in D/cli.json: pcsc:NAME or pn532:/dev/ttyX[@BAUD]',
    },
    printer: {
      type: 'string',
      value: 'SPEC',
      description: 'receipt printer kept in D/cli.json: escpos:/dev/ttyX[@BAUD]',
    },
    pinpad: { type: 'string', value: 'SPEC', description: 'PIN pad kept in D/cli.json: hid:VID:PID' },
  },
  async run({ values, need, io }) {
    const dir = need('dir');
    const pkiDir = resolve(need('pki'));
    const terminalId = need('terminal-id');
    const merchantId = need('merchant');
    const name = need('location');
    const kind = values.kind ?? 'huduma-centre';
    if (kind !== 'huduma-centre' && kind !== 'partner-merchant')
      throw new UsageError(`--kind must be huduma-centre or partner-merchant, got ${kind}`);
    // Checked before anything is made: a bad device spec leaves no half-provisioned terminal.
    const devices = checkedDeviceFlags(values);
    let pki: DevPki;
    try {
      pki = DevPki.open(pkiDir);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_PKI_NOT_FOUND') throw err;
      pki = DevPki.init(pkiDir);
      io.stdout.write(`created a development PKI in ${pkiDir}\n`);
    }
    const config = await initTerminal({ dir, pki, terminalId, merchantId, location: { kind, name } });
    await writeCliFile(dir, { devPkiDir: pkiDir, devices });
    io.stdout.write(
      `terminal ${config.terminalId} of merchant ${config.merchantId} provisioned in ${dir} (${kind}: ${config.location.name})\n` +
        `certificate valid until ${new Date(config.certificate.notAfter * 1000).toISOString().slice(0, 10)}\n`,
    );
    return EXIT_OK;
  },
});

/** "Devices: reader pn532:/dev/ttyS1, printer escpos:/dev/ttyUSB1, PIN pad not configured" */
function formatDevices(devices: DeviceSpecs): string {
  const names = { reader: 'reader', printer: 'printer', pinpad: 'PIN pad' } as const;
  return `Devices (cli.json): ${DEVICE_KINDS.map((k) => `${names[k]} ${devices[k] ?? 'not configured'}`).join(', ')}\n`;
}

const totalsCommand = command({
  name: 'totals',
  summary: 'X report: totals of the open shift',
  options: DIR,
  run: ({ need, io }) =>
    withEngine(need('dir'), noCardReader, {}, async (engine) => {
      io.stdout.write(formatShiftReport(engine.xReport()));
      return EXIT_OK;
    }),
});

const closeShiftCommand = command({
  name: 'close-shift',
  summary: 'Z report: close the shift (signed checkpoint) and open the next one',
  options: DIR,
  run: ({ need, io }) =>
    withEngine(need('dir'), noCardReader, {}, async (engine) => {
      io.stdout.write(formatShiftReport(await engine.zReport()));
      return EXIT_OK;
    }),
});

const statusCommand = command({
  name: 'status',
  summary: 'terminal, certificate, shift, sync, unresolved transactions, limits',
  options: DIR,
  run: ({ need, io }) =>
    withEngine(need('dir'), noCardReader, {}, async (engine) => {
      io.stdout.write(formatStatus(engine.status(), engine.config.limits));
      io.stdout.write(formatDevices((await readCliFile(need('dir'))).devices ?? {}));
      return EXIT_OK;
    }),
});

const catalogCommand = command({
  name: 'catalog',
  summary: 'the services and their fees',
  run({ io }) {
    io.stdout.write(formatCatalog(new ServiceCatalog()));
    return EXIT_OK;
  },
});

const consoleCommand = command({
  name: 'console',
  summary: 'the interactive cashier console (with card files: a demo reader holding those cards)',
  usage:
    '--dir D [--card a.cbor[,b.cbor…] | --reader NAME|pn532:/dev/ttyX] [--pki P] [--printer escpos:/dev/ttyX[@BAUD]|escpos:sim] [--pinpad hid:VID:PID|hid:sim]  (devices not given: those of D/cli.json)',
  options: {
    ...DIR,
    ...CARD,
    pki: {
      type: 'string',
      value: 'P',
      description: 'development PKI for reloads (default: the one of init)',
    },
    ...DEVICE_FLAGS,
  },
  async run({ values, need, io }) {
    const tio = io as TerminalCliIo;
    const dir = need('dir');
    if (!tio.stdin) throw new UsageError('console needs an input stream');
    const flags = checkedDeviceFlags(values);
    const specs = mergeDeviceSpecs((await readCliFile(dir)).devices ?? {}, flags);
    const cardFiles = values.card;
    let demo: DemoReader | undefined;
    let source: CardSource;
    // The reader opens before the other devices: its first state waits here for their model.
    let readerState: DeviceState | undefined;
    let devices: CounterDevices | undefined;
    if (cardFiles !== undefined) {
      if (values.reader !== undefined) throw new UsageError('give --card or --reader, not both');
      try {
        demo = DemoReader.fromFiles(cardFiles.split(',').filter(Boolean));
      } catch (err) {
        throw new CardSourceError(`cannot open the card files: ${(err as Error).message}`);
      }
      source = { reader: demo.cardReader, prompt: undefined, close: async () => demo?.remove() };
      readerState = 'ready';
    } else if (specs.reader !== undefined)
      source = await readerSource(specs.reader, (state) => {
        readerState = state;
        devices?.deviceStates.set('reader', state);
      });
    else source = await cardSourceFromFlags(values);
    let loadAuthorizer: LoadAuthorizer | undefined;
    try {
      loadAuthorizer = await devLoadAuthorizerFor(dir, values.pki);
    } catch {
      // No dev PKI known: the console still sells; reloads are then declined by the engine.
    }
    const pinPad = new PinPadSlot();
    try {
      devices = await openCounterDevices(
        {
          ...(specs.printer === undefined ? {} : { printer: specs.printer }),
          ...(specs.pinpad === undefined ? {} : { pinpad: specs.pinpad }),
        },
        {
          onPrintReport: (r) => r.ok || io.stdout.write(`${r.message}\n`),
          onNoPin: (m) => io.stdout.write(`${m}\n`),
          reader: true,
        },
      ).catch((err: unknown) => {
        throw err instanceof DeviceSpecError || err instanceof PinPadConfigError
          ? new UsageError(err.message)
          : err;
      });
      const counterDevices = devices;
      if (readerState) counterDevices.deviceStates.set('reader', readerState);
      return await withEngine(
        dir,
        source.reader,
        { pinPad, ...(loadAuthorizer ? { loadAuthorizer } : {}) },
        async (engine) => {
          const cashier = new CashierConsole({
            engine,
            pinPad,
            input: tio.stdin!,
            output: tio.stdout as NodeJS.WritableStream,
            devices: counterDevices,
            ...(demo ? { demo } : {}),
          });
          await cashier.run();
          return EXIT_OK;
        },
      );
    } finally {
      await devices?.close();
      await source.close();
    }
  },
});

/** `huduma-terminal`: the counter terminal from the command line, one command per run. */
export const terminalCli: CliSpec = defineCli({
  name: 'huduma-terminal',
  version: packageJson.version,
  summary: 'the Huduma counter terminal from the command line, one command per run',
  commands: [
    initCommand,
    ...cardCommands,
    totalsCommand,
    closeShiftCommand,
    statusCommand,
    syncCommand,
    catalogCommand,
    consoleCommand,
    serveCommand,
    demoCommand,
  ],
  details: `--card takes a simulated card file (huduma-sim issue); --reader a PC/SC reader name.
Amounts are in KES with two decimals (--amount 250.00).
Exit codes: 0 approved / done, 1 declined or failed (reason on stderr), 2 usage.`,
  nextStep: terminalNextStep,
  explain: explainTerminalError,
});

/**
 * Runs `huduma-terminal` with `argv` (without node and script). Resolves the exit code:
 * 0 approved / done, 1 declined or failed (message on stderr), 2 usage. Never throws.
 */
export async function runTerminalCli(argv: readonly string[], io: TerminalCliIo): Promise<number> {
  return runCli(terminalCli, argv, io);
}
