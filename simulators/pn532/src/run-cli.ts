import type { VirtualCard } from '@huduma/card-simulator';
import { openPtyPair, type PtyPair } from './pty';
import { Pn532Simulator, type Pn532SimulatorOptions } from './simulator';

export interface Pn532SimIo {
  out(line: string): void;
  err(line: string): void;
  openCard(path: string): VirtualCard;
  /** Commands typed by the operator, one per line. */
  lines: AsyncIterable<string>;
  /** Registers what stops the simulator (SIGINT, SIGTERM). */
  signals(stop: () => void): void;
}

/** A command line the simulator cannot run with. Code `ERR_SIM_PN532_USAGE`; `field` names the option. */
export class Pn532SimUsageError extends Error {
  readonly code = 'ERR_SIM_PN532_USAGE';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const USAGE =
  'usage: huduma-sim-pn532 --card card.cbor (--link PATH | --device /dev/ttyX) [--corrupt-rate P] [--drop-rate P] [--slow-ms MS] [--seed N]';

interface SimArgs {
  card: string;
  link?: string;
  device?: string;
  options: Pn532SimulatorOptions;
}

export function parsePn532SimArgs(argv: readonly string[]): SimArgs {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--'))
      throw new Pn532SimUsageError('argv', `unexpected argument ${JSON.stringify(arg)}`);
    const name = arg.slice(2);
    if (!['card', 'link', 'device', 'corrupt-rate', 'drop-rate', 'slow-ms', 'seed'].includes(name)) {
      throw new Pn532SimUsageError(name, `unknown option --${name}`);
    }
    const value = argv[++i];
    if (value === undefined || value.startsWith('--'))
      throw new Pn532SimUsageError(name, `--${name} needs a value`);
    flags.set(name, value);
  }
  const card = flags.get('card');
  if (!card) throw new Pn532SimUsageError('card', '--card card.cbor is required');
  const link = flags.get('link');
  const device = flags.get('device');
  if ((link === undefined) === (device === undefined)) {
    throw new Pn532SimUsageError(
      'link',
      'give exactly one of --link PATH (a new pty pair) and --device PATH',
    );
  }
  const number = (name: string, min: number, max: number, integer: boolean): number | undefined => {
    const text = flags.get(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (
      text.trim() === '' ||
      !Number.isFinite(value) ||
      value < min ||
      value > max ||
      (integer && !Number.isInteger(value))
    ) {
      throw new Pn532SimUsageError(
        name,
        `--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(text)}`,
      );
    }
    return value;
  };
  return {
    card,
    link,
    device,
    options: {
      corruptRate: number('corrupt-rate', 0, 1, false),
      dropRate: number('drop-rate', 0, 1, false),
      slowCardMs: number('slow-ms', 0, 60_000, true),
      seed: number('seed', 0, 2 ** 32 - 1, true),
    },
  };
}

/** Runs the simulator until `quit` or a signal; returns the exit code. */
export async function runPn532SimCli(argv: readonly string[], io: Pn532SimIo): Promise<number> {
  let args: SimArgs;
  try {
    args = parsePn532SimArgs(argv);
  } catch (error) {
    io.err(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  let card: VirtualCard;
  try {
    card = io.openCard(args.card);
  } catch (error) {
    io.err(`cannot open the card file ${args.card}: ${(error as Error).message}`);
    return 1;
  }
  let pty: PtyPair | undefined;
  let sim: Pn532Simulator;
  try {
    if (args.link) pty = await openPtyPair({ host: args.link, device: `${args.link}.device` });
    sim = await Pn532Simulator.open(pty?.device ?? args.device!, args.options);
  } catch (error) {
    await pty?.close();
    io.err((error as Error).message);
    return 1;
  }
  sim.insert(card);
  io.out(`PN532 simulator ready (fault seed ${sim.seed}); card ${args.card} in the field`);
  if (pty) io.out(`reader: pn532:${pty.host}`);
  let stopped = false;
  let stop: () => void = () => {};
  const stopping = new Promise<void>((resolve) => {
    stop = () => {
      stopped = true;
      resolve();
    };
  });
  io.signals(stop);
  const commands = (async () => {
    for await (const line of io.lines) {
      const command = line.trim();
      if (command === 'quit' || stopped) {
        stop();
        break;
      }
      if (command === 'remove') sim.remove();
      else if (command === 'insert') sim.insert(card);
      else if (command === 'pull-before' || command === 'pull-after') {
        void sim
          .removeCardDuringNextApdu({ afterCardProcessed: command === 'pull-after' })
          .then(() => io.out('card pulled'));
      } else if (command !== '') {
        io.err(`unknown command ${JSON.stringify(command)}: remove, insert, pull-before, pull-after, quit`);
        continue;
      }
      io.out(`ok: ${command}`);
    }
  })();
  // End of input (run in the background, stdin closed) does not stop it: `quit` or a signal does.
  void commands;
  await stopping;
  await sim.close();
  await pty?.close();
  return 0;
}
