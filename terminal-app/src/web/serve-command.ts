/**
 * `huduma-terminal serve --dir D [--port N] [--card a.cbor,… | --reader SPEC] [--printer SPEC]
 * [--pinpad SPEC] [--pki P]`: the cashier web app on a provisioned terminal, on 127.0.0.1 only.
 * With --card the counter gets a demo reader holding those simulated cards (and the page its demo
 * panel); with --reader (or the reader of D/cli.json), a PC/SC reader or a PN532. The printer and
 * PIN pad come from D/cli.json unless a flag names them; their states show on the page. Syncs with the clearing service named in D/clearing.json when there is one.
 * Runs until SIGINT/SIGTERM (or `signal`).
 */
import { type CliIo, command, defineCli, runCli, UsageError } from '@huduma/cli-kit';
import { type CardSource, CardSourceError, readerSource } from '../cli/card-source';
import { checkedDeviceFlags, DEVICE_FLAGS } from '../cli/shared';
import { mergeDeviceSpecs, readCliFile } from '../devices/device-config';
import type { DeviceState } from '../devices/device-states';
import { DemoReader } from '../ui/demo-reader';
import { type RunningCounterApp, startCounterApp } from './counter-app';

export const DEFAULT_WEB_PORT = 8420;

interface ServeHooks {
  signal?: AbortSignal;
  onListening?: (url: string) => void;
}

function serveCommandWith(hooks: ServeHooks) {
  return command({
    name: 'serve',
    summary: 'the cashier web app on http://127.0.0.1:N until Ctrl-C',
    usage:
      '--dir D [--port N] [--card a.cbor[,b.cbor…] | --reader NAME|pn532:/dev/ttyX] [--printer SPEC] [--pinpad SPEC] [--pki P]  (devices not given: those of D/cli.json)',
    options: {
      dir: {
        type: 'string',
        value: 'D',
        description: 'the terminal directory (huduma-terminal init)',
        required: true,
      },
      port: {
        type: 'integer',
        min: 0,
        max: 65535,
        description: `port on 127.0.0.1 (default ${DEFAULT_WEB_PORT}; 0 = any free port)`,
      },
      card: {
        type: 'string',
        value: 'FILES',
        description: 'simulated card files, comma-separated (a demo reader)',
      },
      reader: {
        type: 'string',
        value: 'NAME',
        description: 'a PC/SC reader name, pcsc:NAME or pn532:/dev/ttyX (overrides cli.json)',
      },
      ...DEVICE_FLAGS,
      pki: {
        type: 'string',
        value: 'P',
        description: 'the development PKI whose load authority signs reloads',
      },
    },
    run: ({ values, need, io }) =>
      serveTerminal(
        {
          dir: need('dir'),
          port: values.port ?? DEFAULT_WEB_PORT,
          ...(values.card === undefined ? {} : { cardFiles: values.card }),
          ...(values.reader === undefined ? {} : { reader: values.reader }),
          ...(values.printer === undefined ? {} : { printer: values.printer }),
          ...(values.pinpad === undefined ? {} : { pinpad: values.pinpad }),
          ...(values.pki === undefined ? {} : { pkiDir: values.pki }),
        },
        io,
        hooks,
      ),
  });
}

/** `huduma-terminal serve` as a command of the terminal CLI. */
export const serveCommand = serveCommandWith({});

/**
 * Runs `serve` with `argv` (the arguments after `serve`); resolves the exit code (2 on a usage
 * error). `signal` stops it (tests); without one it runs until SIGINT/SIGTERM.
 */
export function runServeCommand(argv: readonly string[], io: CliIo, hooks: ServeHooks = {}): Promise<number> {
  const cli = defineCli({
    name: 'huduma-terminal',
    version: '0',
    summary: 'the cashier web app',
    commands: [serveCommandWith(hooks)],
  });
  return runCli(cli, ['serve', ...argv], io);
}

async function serveTerminal(
  args: {
    dir: string;
    port: number;
    cardFiles?: string;
    reader?: string;
    printer?: string;
    pinpad?: string;
    pkiDir?: string;
  },
  io: CliIo,
  options: ServeHooks,
): Promise<number> {
  const { dir } = args;
  if (args.cardFiles !== undefined && args.reader !== undefined)
    throw new UsageError('give --card or --reader, not both');
  const specs = mergeDeviceSpecs((await readCliFile(dir)).devices ?? {}, checkedDeviceFlags(args));
  let demo: DemoReader | undefined;
  let source: CardSource;
  let readerState: DeviceState | undefined;
  let counter: RunningCounterApp | undefined;
  const cardFiles = args.cardFiles;
  if (cardFiles !== undefined) {
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
      counter?.setReaderState(state);
    });
  else
    throw new UsageError(
      'give --card (simulated cards) or --reader NAME|pn532:/dev/ttyX, or set reader in D/cli.json',
    );
  try {
    counter = await startCounterApp(
      {
        dir,
        port: args.port,
        source,
        devices: specs,
        ...(readerState ? { readerState } : {}),
        ...(demo ? { demo: { reader: demo, pins: [] } } : {}),
        ...(args.pkiDir === undefined ? {} : { pkiDir: args.pkiDir }),
      },
      io,
    );
    io.stdout.write(
      `Counter web app for ${counter.engine.config.terminalId} at ${counter.app.url} (Ctrl-C stops it)\n`,
    );
    options.onListening?.(counter.app.url);
    await untilStopped(options.signal);
  } finally {
    await counter?.close();
    await source.close();
  }
  return 0;
}

/** Resolves on `signal` (tests), or on SIGINT/SIGTERM without one. */
export function untilStopped(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => resolve();
    signal?.addEventListener('abort', stop, { once: true });
    if (signal?.aborted) stop();
    if (!signal) {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
  });
}
