/**
 * `huduma-terminal serve --dir D [--port N] [--card a.cbor,… | --reader NAME] [--pki P]`: the
 * cashier web app on a provisioned terminal, on 127.0.0.1 only. With --card the counter gets a
 * demo reader holding those simulated cards (and the page its demo panel); with --reader, a
 * PC/SC reader. Syncs with the clearing service named in D/clearing.json when there is one.
 * Runs until SIGINT/SIGTERM (or `signal`).
 */
import { type CliIo, command, defineCli, runCli, UsageError } from '@huduma/cli-kit';
import { DevPki } from '@huduma/pki';
import {
  BatchUploader,
  devLoadAuthorizer,
  type LoadAuthorizer,
  loadSavedCatalog,
  readClearingConfig,
  servicePublicKeyBytes,
  TerminalEngine,
} from '@huduma/terminal';
import { type CardSource, CardSourceError, cardSourceFromFlags } from '../cli/card-source';
import { DemoReader } from '../ui/demo-reader';
import { CounterSession, WebPinPadSlot } from './counter-session';
import { startCounterWebApp } from './server';

export const DEFAULT_WEB_PORT = 8420;

interface ServeHooks {
  signal?: AbortSignal;
  onListening?: (url: string) => void;
}

function serveCommandWith(hooks: ServeHooks) {
  return command({
    name: 'serve',
    summary: 'the cashier web app on http://127.0.0.1:N until Ctrl-C',
    usage: '--dir D [--port N] [--card a.cbor[,b.cbor…] | --reader NAME] [--pki P]',
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
      reader: { type: 'string', value: 'NAME', description: 'a PC/SC reader name' },
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
  args: { dir: string; port: number; cardFiles?: string; reader?: string; pkiDir?: string },
  io: CliIo,
  options: ServeHooks,
): Promise<number> {
  const { dir } = args;
  if (args.cardFiles !== undefined && args.reader !== undefined)
    throw new UsageError('give --card or --reader, not both');
  let demo: DemoReader | undefined;
  let source: CardSource;
  const cardFiles = args.cardFiles;
  if (cardFiles !== undefined) {
    try {
      demo = DemoReader.fromFiles(cardFiles.split(',').filter(Boolean));
    } catch (err) {
      throw new CardSourceError(`cannot open the card files: ${(err as Error).message}`);
    }
    source = { reader: demo.cardReader, prompt: undefined, close: async () => demo?.remove() };
  } else if (args.reader !== undefined) source = await cardSourceFromFlags({ reader: args.reader });
  else throw new UsageError('give --card (simulated cards) or --reader NAME (a PC/SC reader)');

  let loadAuthorizer: LoadAuthorizer | undefined;
  const pkiDir = args.pkiDir;
  if (pkiDir !== undefined) loadAuthorizer = devLoadAuthorizer(DevPki.open(pkiDir));
  const pinPad = new WebPinPadSlot();
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
    ...(demo ? { demo: { reader: demo, pins: [] } } : {}),
  });
  pinPad.target = session;
  const app = await startCounterWebApp(session, { port: args.port });
  io.stdout.write(`Counter web app for ${engine.config.terminalId} at ${app.url} (Ctrl-C stops it)\n`);
  options.onListening?.(app.url);
  try {
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      options.signal?.addEventListener('abort', stop, { once: true });
      if (options.signal?.aborted) stop();
      if (!options.signal) {
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }
    });
  } finally {
    await app.close();
    await session.close();
    await engine.close();
    await source.close();
  }
  return 0;
}
