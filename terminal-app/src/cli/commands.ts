import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PinPadConfigError } from '@huduma/pinpad-hid';
import { DevPki } from '@huduma/pki';
import { DeviceSpecError } from '@huduma/printer-escpos';
import type { CardReader } from '@huduma/terminal';
import {
  type ApprovedTransaction,
  devLoadAuthorizer,
  initTerminal,
  type LoadAuthorizer,
  normalizeBillRef,
  type PinPad,
  parseAmount,
  ServiceCatalog,
  storageFailureLine,
  TerminalEngine,
  TerminalError,
  type TerminalEvent,
  TransactionRefusedError,
} from '@huduma/terminal';
import { type CounterDevices, openCounterDevices } from '../devices/counter-devices';
import { CashierConsole, PinPadSlot } from '../ui/console';
import { DemoReader } from '../ui/demo-reader';
import { type ParsedArgs, parseArgs, required, UsageError } from './args';
import { type CardSource, CardSourceError, cardSourceFromFlags, noCardReader } from './card-source';
import {
  type DeclineContext,
  declineText,
  formatCatalog,
  formatShiftReport,
  formatStatus,
  kes,
  recoveryText,
} from './format';
import { runSyncCommand } from './sync';

/** Where the CLI writes; `process` fits. */
export interface TerminalCliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Needed by `console` only. */
  stdin?: NodeJS.ReadableStream;
}

export const EXIT_OK = 0;
export const EXIT_DECLINED = 1;
export const EXIT_USAGE = 2;

export const USAGE = `usage: huduma-terminal <command> [options]
  init --dir D --pki P --terminal-id T --merchant M --location "NAME" [--kind huduma-centre|partner-merchant]
        provision a terminal in D with a key and certificate from the development PKI in P
        (P is created if it holds no PKI yet)
  sale --dir D (--amount 250.00 | --service CODE) --bill-ref REF [--pin 1234] (--card card.cbor | --reader NAME)
        one sale; prints the receipt. Exit 0 approved, 1 declined (reason on stderr), 2 usage
  cancel-last --dir D [--pin 1234] (--card card.cbor | --reader NAME)
        cancel this terminal's last sale (same card, within 15 minutes)
  reload --dir D --amount 500.00 [--reference R] [--pki P] (--card card.cbor | --reader NAME)
        cash reload at a Huduma Centre, authorized by the development PKI's load authority
  recover --dir D (--card card.cbor | --reader NAME)
        settle a card's interrupted transactions (a card pulled out mid-payment)
  totals --dir D        X report: totals of the open shift
  close-shift --dir D   Z report: close the shift (signed checkpoint) and open the next one
  status --dir D        terminal, certificate, shift, sync, unresolved transactions, limits
  catalog               the services and their fees
  console --dir D (--card a.cbor[,b.cbor…] | --reader NAME) [--pki P]
          [--printer escpos:/dev/ttyX[@BAUD]|escpos:sim] [--pinpad hid:VID:PID|hid:sim]
        the interactive cashier console (with card files: a demo reader holding those cards)
--card takes a simulated card file (huduma-sim issue); --reader a PC/SC reader name.`;

const CARD_FLAGS = ['card', 'reader'];
const KNOWN: Record<string, string[]> = {
  init: ['dir', 'pki', 'terminal-id', 'merchant', 'location', 'kind'],
  sale: ['dir', 'amount', 'service', 'bill-ref', 'pin', ...CARD_FLAGS],
  'cancel-last': ['dir', 'pin', ...CARD_FLAGS],
  reload: ['dir', 'amount', 'reference', 'pki', 'pin', ...CARD_FLAGS],
  recover: ['dir', ...CARD_FLAGS],
  totals: ['dir'],
  'close-shift': ['dir'],
  status: ['dir'],
  catalog: [],
  console: ['dir', 'pki', 'printer', 'pinpad', ...CARD_FLAGS],
};

/** CLI settings the terminal directory keeps next to the engine's files. */
export const CLI_FILE = 'cli.json';
interface CliFile {
  /** Development PKI the terminal was provisioned from (its load authority signs dev reloads). */
  devPkiDir?: string;
}

/**
 * Runs `huduma-terminal` with `argv` (without node and script). Resolves the exit code:
 * 0 approved / done, 1 declined or failed (message on stderr), 2 usage.
 */
export async function runTerminalCli(argv: readonly string[], io: TerminalCliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    (command === undefined ? io.stderr : io.stdout).write(`${USAGE}\n`);
    return command === undefined ? EXIT_USAGE : EXIT_OK;
  }
  try {
    if (command === 'sync') return await runSyncCommand(rest, io);
    const known = KNOWN[command];
    if (!known) throw new UsageError(`unknown command "${command}"`);
    const args = parseArgs(rest, known);
    if (args.positional.length) throw new UsageError(`unexpected argument "${args.positional[0]}"`);
    switch (command) {
      case 'init':
        return await init(args, io);
      case 'catalog':
        io.stdout.write(formatCatalog(new ServiceCatalog()));
        return EXIT_OK;
      case 'console':
        return await cashierConsole(args, io);
      case 'totals':
      case 'close-shift':
      case 'status':
        return await withEngine(args, noCardReader, {}, async (engine) => {
          if (command === 'status') io.stdout.write(formatStatus(engine.status(), engine.config.limits));
          else
            io.stdout.write(
              formatShiftReport(command === 'totals' ? engine.xReport() : await engine.zReport()),
            );
          return EXIT_OK;
        });
      default:
        return await cardCommand(command, args, io);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`huduma-terminal: ${err.message}\n${USAGE}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof TerminalError || err instanceof CardSourceError) {
      io.stderr.write(`huduma-terminal: ${err.message}\n`);
      return EXIT_DECLINED;
    }
    // The log or another terminal file could not be read or written (a full disk, an I/O
    // error): one line that says so and what to do, never a stack trace.
    const storage = storageFailureLine(err);
    if (storage) {
      io.stderr.write(`huduma-terminal: ${storage}\n`);
      return EXIT_DECLINED;
    }
    throw err;
  }
}

async function init(args: ParsedArgs, io: TerminalCliIo): Promise<number> {
  const dir = required(args, 'dir');
  const pkiDir = resolve(required(args, 'pki'));
  const kind = args.flags.get('kind') ?? 'huduma-centre';
  if (kind !== 'huduma-centre' && kind !== 'partner-merchant')
    throw new UsageError(`--kind must be huduma-centre or partner-merchant, got ${kind}`);
  let pki: DevPki;
  try {
    pki = DevPki.open(pkiDir);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_PKI_NOT_FOUND') throw err;
    pki = DevPki.init(pkiDir);
    io.stdout.write(`created a development PKI in ${pkiDir}\n`);
  }
  const config = await initTerminal({
    dir,
    pki,
    terminalId: required(args, 'terminal-id'),
    merchantId: required(args, 'merchant'),
    location: { kind, name: required(args, 'location') },
  });
  await writeFile(join(dir, CLI_FILE), `${JSON.stringify({ devPkiDir: pkiDir } satisfies CliFile)}\n`);
  io.stdout.write(
    `terminal ${config.terminalId} of merchant ${config.merchantId} provisioned in ${dir} (${kind}: ${config.location.name})\n` +
      `certificate valid until ${new Date(config.certificate.notAfter * 1000).toISOString().slice(0, 10)}\n`,
  );
  return EXIT_OK;
}

async function withEngine<T>(
  args: ParsedArgs,
  reader: CardReader,
  extra: { pinPad?: PinPad; loadAuthorizer?: LoadAuthorizer; onEvent?: (e: TerminalEvent) => void },
  fn: (engine: TerminalEngine) => Promise<T>,
): Promise<T> {
  const engine = await TerminalEngine.open({ dir: required(args, 'dir'), reader, ...extra });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

async function devLoadAuthorizerFor(args: ParsedArgs): Promise<LoadAuthorizer> {
  let pkiDir = args.flags.get('pki');
  if (pkiDir === undefined) {
    try {
      const file = JSON.parse(await readFile(join(required(args, 'dir'), CLI_FILE), 'utf8')) as CliFile;
      pkiDir = file.devPkiDir;
    } catch {
      // no cli.json: the terminal was provisioned another way
    }
  }
  if (pkiDir === undefined)
    throw new UsageError('--pki P is required: the development PKI whose load authority signs the reload');
  return devLoadAuthorizer(DevPki.open(pkiDir));
}

/** sale, cancel-last, reload, recover: the commands that need a card. */
async function cardCommand(command: string, args: ParsedArgs, io: TerminalCliIo): Promise<number> {
  // Validate everything that needs no card before asking for one.
  required(args, 'dir');
  const pin = args.flags.get('pin');
  if (pin !== undefined && !/^\d{4,8}$/.test(pin)) throw new UsageError('--pin must be 4 to 8 digits');
  let sale: { serviceCode: number; billRef: string } | { amount: string; billRef: string } | undefined;
  let reloadCents: number | undefined;
  if (command === 'sale') {
    const amount = args.flags.get('amount');
    const service = args.flags.get('service');
    if ((amount === undefined) === (service === undefined))
      throw new UsageError('give exactly one of --amount and --service');
    const billRef = required(args, 'bill-ref');
    if (service !== undefined) {
      if (!/^\d{1,5}$/.test(service))
        throw new UsageError(`--service must be a service code, got ${service}`);
      sale = { serviceCode: Number(service), billRef };
    } else sale = { amount: amount!, billRef };
    // A malformed amount or bill reference is a usage error (exit 2), not a decline.
    try {
      if (amount !== undefined) parseAmount(amount);
      normalizeBillRef(billRef);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const loadAuthorizer = command === 'reload' ? await devLoadAuthorizerFor(args) : undefined;
  if (command === 'reload') {
    try {
      reloadCents = parseAmount(required(args, 'amount'));
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError((err as Error).message);
    }
  }

  const source: CardSource = await cardSourceFromFlags(args.flags);
  const context: DeclineContext = {};
  const pinPad: PinPad = {
    // One try only: a CLI cannot ask again, and a second wrong PIN would waste a try.
    requestPin: async ({ attempt }) => (attempt === 1 ? pin : undefined),
  };
  const onEvent = (e: TerminalEvent) => {
    if (e.type === 'insert-card' && source.prompt) io.stderr.write(`${source.prompt}\n`);
    if (e.type === 'card-read') context.balanceCents = e.balanceCents;
    if (e.type === 'wrong-pin') context.triesLeft = e.triesLeft;
    if (e.type === 'recovered') {
      io.stdout.write(`${recoveryText(e.notice)}\n`);
      if (e.notice.receipt) io.stdout.write(`${e.notice.receipt}\n`);
    }
  };
  try {
    return await withEngine(
      args,
      source.reader,
      { pinPad, onEvent, ...(loadAuthorizer ? { loadAuthorizer } : {}) },
      async (engine) => {
        let result: ApprovedTransaction | undefined;
        try {
          if (command === 'sale') result = await engine.sale(sale!);
          else if (command === 'cancel-last') result = await engine.cancelLast();
          else if (command === 'reload')
            result = await engine.reload({ amountCents: reloadCents!, ...reference(args) });
          else {
            const notices = await engine.recoverCard();
            if (!notices.length)
              io.stdout.write('Nothing to recover on this card: no interrupted transaction.\n');
            return EXIT_OK;
          }
        } catch (err) {
          if (err instanceof TransactionRefusedError) {
            if (err.triesLeft !== undefined) context.triesLeft = err.triesLeft;
            io.stderr.write(`${declineText(err.reason, err.cashierMessage, context)}\n`);
            if (err.reason === 'outcome-unknown')
              io.stderr.write('  Finish it with: huduma-terminal recover --dir D and the same card.\n');
            if (err.reason === 'pin-cancelled' && pin === undefined)
              io.stderr.write("  This needs the cardholder's PIN: run again with --pin.\n");
            io.stderr.write(`reason: ${err.reason}\n`);
            return EXIT_DECLINED;
          }
          throw err;
        }
        io.stdout.write(`APPROVED ${result.operation} ${kes(result.amountCents)}\n${result.receipt}`);
        return EXIT_OK;
      },
    );
  } finally {
    await source.close();
  }
}

async function cashierConsole(args: ParsedArgs, io: TerminalCliIo): Promise<number> {
  if (!io.stdin) throw new UsageError('console needs an input stream');
  const cardFiles = args.flags.get('card');
  let demo: DemoReader | undefined;
  let source: CardSource;
  if (cardFiles !== undefined) {
    if (args.flags.has('reader')) throw new UsageError('give --card or --reader, not both');
    try {
      demo = DemoReader.fromFiles(cardFiles.split(',').filter(Boolean));
    } catch (err) {
      throw new CardSourceError(`cannot open the card files: ${(err as Error).message}`);
    }
    source = { reader: demo.cardReader, prompt: undefined, close: async () => demo?.remove() };
  } else source = await cardSourceFromFlags(args.flags);
  let loadAuthorizer: LoadAuthorizer | undefined;
  try {
    loadAuthorizer = await devLoadAuthorizerFor(args);
  } catch {
    // No dev PKI known: the console still sells; reloads are then declined by the engine.
  }
  const pinPad = new PinPadSlot();
  let devices: CounterDevices | undefined;
  try {
    devices = await openCounterDevices(
      { printer: args.flags.get('printer'), pinpad: args.flags.get('pinpad') },
      {
        onPrintReport: (r) => r.ok || io.stdout.write(`${r.message}\n`),
        onNoPin: (m) => io.stdout.write(`${m}\n`),
      },
    ).catch((err: unknown) => {
      throw err instanceof DeviceSpecError || err instanceof PinPadConfigError
        ? new UsageError(err.message)
        : err;
    });
    const counterDevices = devices;
    return await withEngine(
      args,
      source.reader,
      { pinPad, ...(loadAuthorizer ? { loadAuthorizer } : {}) },
      async (engine) => {
        const cashier = new CashierConsole({
          engine,
          pinPad,
          input: io.stdin!,
          output: io.stdout as NodeJS.WritableStream,
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
}

function reference(args: ParsedArgs): { reference?: string } {
  const r = args.flags.get('reference');
  return r === undefined ? {} : { reference: r };
}
