/**
 * A card in a PC/SC reader as a conformance target (the CLI's `--reader NAME`), over
 * @huduma/transport-pcsc.
 *
 * A real card in a real reader is one card: `openCard` hands out the same connection again, so
 * `freshCards` is false and the suite reports the destructive checks (PIN/PUK exhaustion, BLOCK
 * CARD) and the blank-card checks as "not run". A test rig that can put new cards into the reader
 * (simulated cards behind vpcd) passes `cardFeeder`: every `openCard` then swaps in a new card.
 */
import type { PcscCardTransport, PcscConnectOptions, PcscReaders } from '@huduma/transport-pcsc';
import type { CardTransport } from './raw';
import type { ConformanceKeys, ConformanceTarget } from './target';

/** Puts cards into the reader on demand (a vpcd test harness, a robot arm). */
export interface CardFeeder {
  /** Takes the card out of the reader. */
  remove(): Promise<void>;
  /** Puts a NEW card into the reader: ACTIVE and personalized with the target's keys, or blank. */
  insert(kind: 'personalized' | 'blank'): Promise<void>;
}

export interface PcscTargetOptions {
  readers: PcscReaders;
  /** Reader name, exactly as PC/SC lists it. */
  reader: string;
  keys: ConformanceKeys;
  pin: string;
  puk: string;
  hasIdentity: boolean;
  cardFeeder?: CardFeeder;
  connect?: PcscConnectOptions;
  /** How long to wait for pcscd to see a card arrive or leave (default 5 s). */
  cardTimeoutMs?: number;
  /** Closes `readers` on close() (default true). */
  ownsReaders?: boolean;
}

/** Thrown when the reader is not there; lists the readers that are. */
export class ConformanceReaderError extends Error {
  readonly code = 'ERR_CONFORMANCE_READER';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function pcscTarget(options: PcscTargetOptions): ConformanceTarget {
  const { readers, reader, cardFeeder } = options;
  const timeoutMs = options.cardTimeoutMs ?? 5000;
  let current: PcscCardTransport | undefined;

  const checkReader = () => {
    if (!readers.readers().includes(reader)) {
      const present = readers.readers();
      throw new ConformanceReaderError(
        `no PC/SC reader named ${JSON.stringify(reader)}; readers present: ${
          present.length ? present.map((r) => JSON.stringify(r)).join(', ') : '(none)'
        }`,
      );
    }
  };

  async function waitUntil(what: string, done: () => boolean): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(5);
    }
  }

  /**
   * Swaps in a new card. The old one must be seen gone first: a connection opened while pcscd
   * still reports the old card would be for a card that is no longer there.
   */
  async function feed(kind: 'personalized' | 'blank'): Promise<CardTransport> {
    const feeder = cardFeeder!;
    await current?.close();
    current = undefined;
    if (readers.state(reader)?.cardPresent) {
      await feeder.remove();
      await waitUntil(`the card to leave ${reader}`, () => !readers.state(reader)?.cardPresent);
    }
    await feeder.insert(kind);
    await readers.waitForCard(reader, { timeoutMs });
    current = await readers.connect(reader, options.connect);
    return current;
  }

  return {
    name: `PC/SC reader ${JSON.stringify(reader)}${cardFeeder ? ' (fresh cards fed in)' : ''}`,
    keys: options.keys,
    pin: options.pin,
    puk: options.puk,
    hasIdentity: options.hasIdentity,
    freshCards: cardFeeder !== undefined,
    async openCard() {
      checkReader();
      if (cardFeeder) return feed('personalized');
      if (!current) {
        await readers.waitForCard(reader, { timeoutMs }).catch(() => {
          throw new ConformanceReaderError(
            `no card in reader ${JSON.stringify(reader)} within ${timeoutMs} ms`,
          );
        });
        current = await readers.connect(reader, options.connect);
      }
      // The suite closes cards only when they are fresh; ours stays open until close().
      return { transmit: (command) => current!.transmit(command) };
    },
    ...(cardFeeder
      ? {
          openBlankCard: () => {
            checkReader();
            return feed('blank');
          },
        }
      : {}),
    async close() {
      await current?.close();
      current = undefined;
      if (options.ownsReaders ?? true) await readers.close();
    },
  };
}
