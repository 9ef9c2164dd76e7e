import type { Transport } from '@huduma/apdu';

/** A card presented to the terminal: the link to it and its answer-to-reset. */
export interface CardTap {
  transport: Transport;
  atr: Uint8Array;
  /** Called by the engine when it is done with this card (disconnects a PC/SC card). */
  release?(): Promise<void>;
}

/**
 * What the engine needs from a card reader: wait for a card. A PC/SC reader, the in-process
 * simulated reader and a virtual reader all fit behind this.
 */
export interface CardReader {
  /** Resolves when a card is in the field (at once if one already is); rejects when `signal` aborts. */
  waitForCard(options?: { signal?: AbortSignal }): Promise<CardTap>;
}

/**
 * A reader over a function that returns the transport of the card currently present (or
 * undefined when none is): polled every `pollMs` until a card shows up. Adapts the in-process
 * simulator's reader and test doubles.
 */
export function pollingCardReader(
  current: () => Transport | undefined | Promise<Transport | undefined>,
  options: { pollMs?: number; atr?: Uint8Array } = {},
): CardReader {
  const pollMs = options.pollMs ?? 20;
  const atr = options.atr ?? new Uint8Array([0x3b, 0x80, 0x80, 0x01, 0x01]);
  return {
    async waitForCard({ signal } = {}) {
      for (;;) {
        signal?.throwIfAborted();
        const transport = await current();
        if (transport) return { transport, atr };
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
  };
}

/** PC/SC shape used by `pcscCardReader` (matches @huduma/transport-pcsc's PcscReaders). */
export interface PcscReadersLike {
  waitForCard(
    reader?: string,
    options?: { timeoutMs?: number },
  ): Promise<{ reader: string; atr: Uint8Array }>;
  connect(reader: string): Promise<Transport & { close?(): Promise<void> }>;
}

/** Adapts PC/SC readers (optionally one named reader) to the engine's CardReader. */
export function pcscCardReader(readers: PcscReadersLike, readerName?: string): CardReader {
  return {
    async waitForCard({ signal } = {}) {
      signal?.throwIfAborted();
      const event = await readers.waitForCard(readerName);
      signal?.throwIfAborted();
      const transport = await readers.connect(event.reader);
      return { transport, atr: event.atr, release: async () => transport.close?.() };
    },
  };
}
