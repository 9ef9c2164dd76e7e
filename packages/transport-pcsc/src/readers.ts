import { TransportTimeoutError } from '@huduma/apdu';
import { PcscCardTransport, type PcscConnectOptions, settleWithin } from './card';
import { PcscNoServiceError, pcscCodeOf, SCARD, toTransportError, UnknownReaderError } from './errors';
import {
  type NativeCardReader,
  type NativePcscLite,
  nativeModule,
  PROTOCOL,
  parseReaderList,
  SHARE,
  STATE,
} from './native';

/** What is known about one reader right now. */
export interface ReaderState {
  readonly name: string;
  readonly cardPresent: boolean;
  /** ATR of the card in the reader; empty when no card. */
  readonly atr: Uint8Array;
}

export interface CardEvent {
  readonly reader: string;
  readonly atr: Uint8Array;
}

export interface PcscReadersEvents {
  'reader-added': (event: { reader: string }) => void;
  'reader-removed': (event: { reader: string }) => void;
  'card-inserted': (event: CardEvent) => void;
  'card-removed': (event: { reader: string }) => void;
  /** pcscd went away (`lost`) or came back (`restored`); events resume by themselves. */
  service: (event: { status: 'lost' | 'restored'; error?: Error }) => void;
}

type EventName = keyof PcscReadersEvents;

export interface PcscReadersOptions {
  /**
   * If pcscd is not running when opening: fail at once with ERR_PCSC_NO_SERVICE (default), or keep
   * retrying in the background and resolve right away (readers appear when it starts).
   */
  waitForService?: boolean;
  /** First delay between attempts to reach a lost pcscd; doubles up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** How long open() waits for the first status of every reader (default 2000 ms). */
  initialStateTimeoutMs?: number;
}

interface ReaderEntry {
  name: string;
  native: NativeCardReader;
  /** False until the first status arrived; the reader is announced only then. */
  announced: boolean;
  cardPresent: boolean;
  atr: Uint8Array;
  /** pcscd's card event counter (upper 16 bits of the state), to see swaps between polls. */
  eventCount: number;
}

/**
 * The PC/SC readers of this machine, with change events, and the door to card connections.
 *
 * Monitoring uses PC/SC contexts of its own (one for the reader list, one per reader for card
 * status), separate from those used to talk to cards, so waiting for changes never blocks or
 * conflicts with a transmit. If pcscd stops, every reader is reported removed, and the monitor
 * re-establishes its context with backoff until the daemon is back.
 *
 * Events are delivered in order per reader and never twice; a listener added with `on()` first
 * hears the current state (`reader-added` for each reader, `card-inserted` for each card present).
 */
export class PcscReaders {
  private readonly options: Required<PcscReadersOptions>;
  private pcsc: NativePcscLite | undefined;
  private readonly entries = new Map<string, ReaderEntry>();
  private readonly listeners = new Map<EventName, Set<(event: never) => void>>();
  private readonly connections = new Set<PcscCardTransport>();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay: number;
  private generation = 0;
  private closed = false;
  private serviceLost = false;
  private firstListing: (() => void) | undefined;

  private constructor(options: PcscReadersOptions) {
    this.options = {
      waitForService: options.waitForService ?? false,
      retryDelayMs: options.retryDelayMs ?? 50,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 2000,
      initialStateTimeoutMs: options.initialStateTimeoutMs ?? 2000,
    };
    this.retryDelay = this.options.retryDelayMs;
  }

  /**
   * Connects to pcscd and resolves once the readers present and their cards are known.
   * Rejects with ERR_PCSC_NO_SERVICE if pcscd is not running (unless `waitForService`).
   */
  static async open(options: PcscReadersOptions = {}): Promise<PcscReaders> {
    const readers = new PcscReaders(options);
    try {
      await readers.establish();
    } catch (error) {
      if (!(error instanceof PcscNoServiceError) || !readers.options.waitForService) throw error;
      readers.serviceLost = true;
      readers.scheduleRetry();
    }
    return readers;
  }

  /** Names of the readers present now. */
  readers(): string[] {
    return [...this.entries.values()].filter((e) => e.announced).map((e) => e.name);
  }

  /** State of every reader present now. */
  states(): ReaderState[] {
    return [...this.entries.values()]
      .filter((e) => e.announced)
      .map((e) => ({ name: e.name, cardPresent: e.cardPresent, atr: e.atr }));
  }

  /** State of one reader, or undefined if it is not present. */
  state(reader: string): ReaderState | undefined {
    return this.states().find((s) => s.name === reader);
  }

  on<E extends EventName>(event: E, listener: PcscReadersEvents[E]): this {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (event: never) => void);
    this.replay(event, listener);
    return this;
  }

  off<E extends EventName>(event: E, listener: PcscReadersEvents[E]): this {
    this.listeners.get(event)?.delete(listener as (event: never) => void);
    return this;
  }

  /**
   * Resolves with the first card present in `reader` (any reader if omitted), now or later.
   * Rejects with TransportTimeoutError after `timeoutMs` (default: wait forever).
   */
  waitForCard(reader?: string, options: { timeoutMs?: number } = {}): Promise<CardEvent> {
    const present = this.states().find((s) => s.cardPresent && (reader === undefined || s.name === reader));
    if (present) return Promise.resolve({ reader: present.name, atr: present.atr });
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const listener = (event: CardEvent) => {
        if (reader !== undefined && event.reader !== reader) return;
        if (timer) clearTimeout(timer);
        this.off('card-inserted', listener);
        resolve(event);
      };
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.off('card-inserted', listener);
          const where = reader === undefined ? 'any reader' : `reader ${JSON.stringify(reader)}`;
          reject(new TransportTimeoutError(`no card in ${where} within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      }
      this.on('card-inserted', listener);
    });
  }

  /**
   * Connects to the card in `reader`. Defaults: shared mode, T=0 or T=1 (whatever the card
   * offers), disposition LEAVE on close. Throws ERR_PCSC_UNKNOWN_READER (listing the readers
   * present), ERR_CARD_REMOVED when there is no card, ERR_PCSC_SHARING_VIOLATION when another
   * connection holds the card exclusively.
   */
  async connect(reader: string, options: PcscConnectOptions = {}): Promise<PcscCardTransport> {
    if (this.closed) throw new Error('PcscReaders.connect: closed');
    if (!this.entries.get(reader)?.announced) throw new UnknownReaderError(reader, this.readers());
    const transport = await PcscCardTransport.connect(this, reader, options);
    this.connections.add(transport);
    return transport;
  }

  /** Closes every card connection this object opened and stops monitoring. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await Promise.allSettled([...this.connections].map((c) => c.close()));
    this.teardown(false);
    this.listeners.clear();
  }

  /** @internal */
  forget(connection: PcscCardTransport): void {
    this.connections.delete(connection);
  }

  /** @internal Card event counter for `reader`, to spot a card swapped under a connection. */
  cardSession(reader: string): { present: boolean; eventCount: number } {
    const entry = this.entries.get(reader);
    return { present: entry?.cardPresent ?? false, eventCount: entry?.eventCount ?? -1 };
  }

  private replay<E extends EventName>(event: E, listener: PcscReadersEvents[E]): void {
    const call = listener as (event: unknown) => void;
    if (event === 'reader-added') for (const name of this.readers()) call({ reader: name });
    if (event === 'card-inserted') {
      for (const s of this.states()) if (s.cardPresent) call({ reader: s.name, atr: s.atr });
    }
  }

  private emit<E extends EventName>(event: E, payload: Parameters<PcscReadersEvents[E]>[0]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as (event: unknown) => void)(payload);
      } catch (error) {
        // A throwing listener must not stop the others or the monitor.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  private establish(): Promise<void> {
    const { PCSCLite } = nativeModule();
    let pcsc: NativePcscLite;
    try {
      pcsc = new PCSCLite();
    } catch (error) {
      throw toTransportError(error, { operation: 'SCardEstablishContext' });
    }
    this.pcsc = pcsc;
    const generation = ++this.generation;
    const listed = new Promise<void>((resolve) => {
      this.firstListing = resolve;
    });
    pcsc.start((error, list) => {
      if (generation !== this.generation || this.closed) return;
      if (error) {
        this.lost(error);
        return;
      }
      this.updateList(parseReaderList(list), generation);
    });
    return settleWithin(listed, this.options.initialStateTimeoutMs);
  }

  private updateList(names: string[], generation: number): void {
    for (const [name, entry] of this.entries) {
      if (!names.includes(name)) this.dropReader(entry);
    }
    const waiting: Promise<void>[] = [];
    for (const name of names) {
      if (this.entries.has(name)) continue;
      waiting.push(this.watchReader(name, generation));
    }
    const done = this.firstListing;
    this.firstListing = undefined;
    if (done) void Promise.all(waiting).then(done);
  }

  private watchReader(name: string, generation: number): Promise<void> {
    const { CardReader } = nativeModule();
    const native = new CardReader(name);
    const entry: ReaderEntry = {
      name,
      native,
      announced: false,
      cardPresent: false,
      atr: new Uint8Array(0),
      eventCount: 0,
    };
    this.entries.set(name, entry);
    native.on('error', () => {});
    native.on('end', () => {});
    return new Promise((firstStatus) => {
      native.get_status((error, state, atr) => {
        if (generation !== this.generation || this.entries.get(name) !== entry) return;
        if (error) {
          // The reader's own context failed: pcscd went away, or the reader did.
          if (pcscCodeOf(error) !== SCARD.E_CANCELLED) this.dropReader(entry);
          firstStatus();
          return;
        }
        this.applyStatus(entry, state ?? 0, atr);
        firstStatus();
      });
    });
  }

  private applyStatus(entry: ReaderEntry, state: number, atr: Buffer | undefined): void {
    if (!entry.announced) {
      entry.announced = true;
      this.emit('reader-added', { reader: entry.name });
    }
    if (state & (STATE.UNKNOWN | STATE.UNAVAILABLE)) return; // the list update will drop it
    const present = (state & STATE.PRESENT) !== 0 && (state & STATE.MUTE) === 0;
    const eventCount = state >>> 16;
    const swapped = present && entry.cardPresent && eventCount !== entry.eventCount;
    entry.eventCount = eventCount;
    if (entry.cardPresent && (!present || swapped)) {
      entry.cardPresent = false;
      entry.atr = new Uint8Array(0);
      this.emit('card-removed', { reader: entry.name });
    }
    if (present && !entry.cardPresent) {
      entry.cardPresent = true;
      entry.atr = new Uint8Array(atr ?? []);
      this.emit('card-inserted', { reader: entry.name, atr: entry.atr });
    }
  }

  private dropReader(entry: ReaderEntry): void {
    if (this.entries.get(entry.name) !== entry) return;
    this.entries.delete(entry.name);
    closeNativeReader(entry.native);
    if (!entry.announced) return;
    if (entry.cardPresent) this.emit('card-removed', { reader: entry.name });
    this.emit('reader-removed', { reader: entry.name });
  }

  private teardown(emit: boolean): void {
    this.generation++;
    for (const entry of [...this.entries.values()]) {
      if (emit) this.dropReader(entry);
      else {
        this.entries.delete(entry.name);
        closeNativeReader(entry.native);
      }
    }
    try {
      this.pcsc?.close();
    } catch {
      // already stopped
    }
    this.pcsc = undefined;
    this.firstListing?.();
    this.firstListing = undefined;
  }

  private lost(error: Error): void {
    this.teardown(true);
    if (!this.serviceLost) {
      this.serviceLost = true;
      this.emit('service', { status: 'lost', error });
    }
    this.retryDelay = this.options.retryDelayMs;
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.options.maxRetryDelayMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed) return;
      this.establish().then(
        () => {
          if (this.serviceLost && this.pcsc) {
            this.serviceLost = false;
            this.emit('service', { status: 'restored' });
          }
        },
        () => this.scheduleRetry(),
      );
    }, delay);
  }
}

/**
 * Closes a reader's native status watcher on the next turn of the event loop, never inside a
 * callback. The addon runs a reader's status callback holding that reader's mutex, and close()
 * takes the same (non-recursive) mutex: closing from inside the callback, as a reader error after
 * pcscd dies would, deadlocks the main thread.
 */
function closeNativeReader(native: NativeCardReader): void {
  setImmediate(() => {
    try {
      native.close();
    } catch {
      // already stopped
    }
  });
}

export { PROTOCOL, SHARE };
