/**
 * `huduma-terminal serve --dir D [--port N] [--card a.cbor,… | --reader NAME] [--pki P]`: the
 * cashier web app on a provisioned terminal, on 127.0.0.1 only. With --card the counter gets a
 * demo reader holding those simulated cards (and the page its demo panel); with --reader, a
 * PC/SC reader. Syncs with the clearing service named in D/clearing.json when there is one.
 * Runs until SIGINT/SIGTERM (or `signal`).
 */
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
import { parseArgs, required, UsageError } from '../cli/args';
import { type CardSource, CardSourceError, cardSourceFromFlags } from '../cli/card-source';
import type { TerminalCliIo } from '../cli/commands';
import { DemoReader } from '../ui/demo-reader';
import { CounterSession, WebPinPadSlot } from './counter-session';
import { startCounterWebApp } from './server';

export const SERVE_USAGE = `  serve --dir D [--port N] [--card a.cbor[,b.cbor…] | --reader NAME] [--pki P]
        the cashier web app on http://127.0.0.1:N (default 8420; 0 = any free port) until Ctrl-C`;

export const DEFAULT_WEB_PORT = 8420;

export async function runServeCommand(
  argv: readonly string[],
  io: TerminalCliIo,
  options: { signal?: AbortSignal; onListening?: (url: string) => void } = {},
): Promise<number> {
  const args = parseArgs(argv, ['dir', 'port', 'card', 'reader', 'pki']);
  if (args.positional.length) throw new UsageError(`unexpected argument "${args.positional[0]}"`);
  const dir = required(args, 'dir');
  const portText = args.flags.get('port') ?? String(DEFAULT_WEB_PORT);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
    throw new UsageError(`--port must be 0 to 65535, got ${portText}`);
  if (args.flags.has('card') && args.flags.has('reader'))
    throw new UsageError('give --card or --reader, not both');

  let demo: DemoReader | undefined;
  let source: CardSource;
  const cardFiles = args.flags.get('card');
  if (cardFiles !== undefined) {
    try {
      demo = DemoReader.fromFiles(cardFiles.split(',').filter(Boolean));
    } catch (err) {
      throw new CardSourceError(`cannot open the card files: ${(err as Error).message}`);
    }
    source = { reader: demo.cardReader, prompt: undefined, close: async () => demo?.remove() };
  } else if (args.flags.has('reader')) source = await cardSourceFromFlags(args.flags);
  else throw new UsageError('give --card (simulated cards) or --reader NAME (a PC/SC reader)');

  let loadAuthorizer: LoadAuthorizer | undefined;
  const pkiDir = args.flags.get('pki');
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
  const app = await startCounterWebApp(session, { port: Number(portText) });
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
