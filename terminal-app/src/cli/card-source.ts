import type { Transport } from '@huduma/apdu';
import { UsageError } from '@huduma/cli-kit';
import type { CardReader } from '@huduma/terminal';
import { pcscCardReader } from '@huduma/terminal';
import { parseReaderSpec } from '../devices/device-config';
import type { DeviceState } from '../devices/device-states';
import { DemoReader } from '../ui/demo-reader';

/** Hears the reader come and go (for the device-state model). */
export type ReaderStateListener = (state: DeviceState) => void;

interface ReaderEvents {
  on?(event: 'reader-added' | 'reader-removed', listener: (e: { reader: string }) => void): unknown;
}

function watchReader(readers: ReaderEvents, name: string, onState: ReaderStateListener | undefined): void {
  if (!onState) return;
  onState('ready');
  readers.on?.('reader-removed', (e) => e.reader === name && onState('disconnected'));
  readers.on?.('reader-added', (e) => e.reader === name && onState('ready'));
}

/** Where the card of a CLI transaction comes from, and how to let go of it afterwards. */
export interface CardSource {
  reader: CardReader;
  /** Shown before waiting ("Tap card on ACS ACR122U…"); undefined when the card is already there. */
  prompt: string | undefined;
  close(): Promise<void>;
}

/** A problem with the card or reader named on the command line (not a usage error, not a decline). */
export class CardSourceError extends Error {
  readonly code = 'ERR_TERMINAL_CARD_SOURCE';
}

/** `--card card.cbor`: a file-backed simulated card, already in a simulated reader. */
export function cardFileSource(path: string): CardSource {
  let demo: DemoReader;
  try {
    demo = DemoReader.fromFiles([path]);
  } catch (err) {
    throw new CardSourceError(`cannot open the card file ${path}: ${(err as Error).message}`);
  }
  demo.insert(0);
  return { reader: demo.cardReader, prompt: undefined, close: async () => demo.remove() };
}

interface PcscModule {
  PcscReaders: {
    open(options?: object): Promise<
      {
        readers(): string[];
        waitForCard(
          reader?: string,
          options?: { timeoutMs?: number },
        ): Promise<{ reader: string; atr: Uint8Array }>;
        connect(reader: string): Promise<Transport & { close?(): Promise<void> }>;
        close(): Promise<void>;
      } & ReaderEvents
    >;
  };
}

/** `--reader NAME`: a PC/SC reader through @huduma/transport-pcsc (pcscd must be running). */
export async function pcscSource(name: string, onState?: ReaderStateListener): Promise<CardSource> {
  let mod: PcscModule;
  try {
    // Loaded only when asked for: the native addon is not needed for simulated cards.
    mod = (await import('@huduma/transport-pcsc')) as unknown as PcscModule;
    if (typeof mod.PcscReaders?.open !== 'function') throw new Error('PcscReaders is missing');
  } catch (err) {
    throw new CardSourceError(
      `PC/SC readers are not available in this build (@huduma/transport-pcsc: ${(err as Error).message}); use --card card.cbor with a simulated card`,
    );
  }
  let readers: Awaited<ReturnType<PcscModule['PcscReaders']['open']>>;
  try {
    readers = await mod.PcscReaders.open();
  } catch (err) {
    throw new CardSourceError(
      `cannot reach the PC/SC service (is pcscd running?): ${(err as Error).message}`,
    );
  }
  const present = readers.readers();
  if (!present.includes(name)) {
    onState?.('absent');
    await readers.close();
    throw new CardSourceError(
      `no PC/SC reader named ${JSON.stringify(name)}; readers present: ${present.length ? present.map((r) => JSON.stringify(r)).join(', ') : 'none'}`,
    );
  }
  watchReader(readers, name, onState);
  return {
    reader: pcscCardReader(readers, name),
    prompt: `Tap card on ${name}…`,
    close: () => readers.close(),
  };
}

/** `--reader pn532:/dev/ttyX`: a PN532 on a serial line through @huduma/transport-pn532. */
export async function pn532Source(spec: string, onState?: ReaderStateListener): Promise<CardSource> {
  const { openPn532CardSource } = await import('@huduma/transport-pn532');
  try {
    const { reader, name, close } = await openPn532CardSource(spec);
    watchReader(reader as unknown as ReaderEvents, name, onState);
    return { reader: pcscCardReader(reader, name), prompt: `Tap card on ${name}…`, close };
  } catch (err) {
    onState?.('absent');
    throw new CardSourceError((err as Error).message);
  }
}

/** The reader a configuration names (`pcsc:NAME` or `pn532:/dev/ttyX`), reporting its state. */
export async function readerSource(spec: string, onState?: ReaderStateListener): Promise<CardSource> {
  const parsed = parseReaderSpec(spec);
  return parsed.kind === 'pn532' ? pn532Source(parsed.spec, onState) : pcscSource(parsed.name, onState);
}

/** Exactly one of --card and --reader. */
export async function cardSourceFromFlags(flags: { card?: string; reader?: string }): Promise<CardSource> {
  const { card, reader } = flags;
  if (card !== undefined && reader !== undefined) throw new UsageError('give --card or --reader, not both');
  if (card !== undefined) return cardFileSource(card);
  if (reader?.startsWith('pn532:')) return pn532Source(reader);
  if (reader?.startsWith('pcsc:')) return pcscSource(reader.slice('pcsc:'.length));
  if (reader !== undefined) return pcscSource(reader);
  throw new UsageError('--card card.cbor or --reader NAME is required');
}

/** For commands that never touch a card (totals, status): a reader that refuses. */
export const noCardReader: CardReader = {
  waitForCard: async () => {
    throw new CardSourceError('this command does not use a card');
  },
};
