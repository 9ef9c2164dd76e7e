import type { Transport } from '@huduma/apdu';
import { UsageError } from '@huduma/cli-kit';
import type { CardReader } from '@huduma/terminal';
import { pcscCardReader } from '@huduma/terminal';
import { DemoReader } from '../ui/demo-reader';

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
    open(options?: object): Promise<{
      readers(): string[];
      waitForCard(
        reader?: string,
        options?: { timeoutMs?: number },
      ): Promise<{ reader: string; atr: Uint8Array }>;
      connect(reader: string): Promise<Transport & { close?(): Promise<void> }>;
      close(): Promise<void>;
    }>;
  };
}

/** `--reader NAME`: a PC/SC reader through @huduma/transport-pcsc (pcscd must be running). */
export async function pcscSource(name: string): Promise<CardSource> {
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
    await readers.close();
    throw new CardSourceError(
      `no PC/SC reader named ${JSON.stringify(name)}; readers present: ${present.length ? present.map((r) => JSON.stringify(r)).join(', ') : 'none'}`,
    );
  }
  return {
    reader: pcscCardReader(readers, name),
    prompt: `Tap card on ${name}…`,
    close: () => readers.close(),
  };
}

/** `--reader pn532:/dev/ttyX`: a PN532 on a serial line through @huduma/transport-pn532. */
export async function pn532Source(spec: string): Promise<CardSource> {
  const { openPn532CardSource } = await import('@huduma/transport-pn532');
  try {
    const { reader, name, close } = await openPn532CardSource(spec);
    return { reader: pcscCardReader(reader, name), prompt: `Tap card on ${name}…`, close };
  } catch (err) {
    throw new CardSourceError((err as Error).message);
  }
}

/** Exactly one of --card and --reader. */
export async function cardSourceFromFlags(flags: { card?: string; reader?: string }): Promise<CardSource> {
  const { card, reader } = flags;
  if (card !== undefined && reader !== undefined) throw new UsageError('give --card or --reader, not both');
  if (card !== undefined) return cardFileSource(card);
  if (reader?.startsWith('pn532:')) return pn532Source(reader);
  if (reader !== undefined) return pcscSource(reader);
  throw new UsageError('--card card.cbor or --reader NAME is required');
}

/** For commands that never touch a card (totals, status): a reader that refuses. */
export const noCardReader: CardReader = {
  waitForCard: async () => {
    throw new CardSourceError('this command does not use a card');
  },
};
