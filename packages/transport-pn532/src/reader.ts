import { CardRemovedError, ReaderUnavailableError, TransportTimeoutError } from '@huduma/apdu';
import { Pn532CardTransport, type Pn532Session } from './card';
import {
  atrFromAts,
  BRTY_106_TYPE_A,
  CMD,
  DIAGNOSE_CARD_PRESENCE,
  type FirmwareVersion,
  IC_PN532,
  isIsoDep,
  parseFirmwareVersion,
  parseTypeATarget,
  type TypeATarget,
} from './commands';
import { hex2, Pn532ProtocolError } from './errors';
import { Pn532Link, type Pn532LinkOptions } from './link';
import { type ByteLink, openSerialLink } from './serial';

/** Same shapes as @huduma/transport-pcsc's reader events, so callers treat both alike. */
export interface Pn532CardEvent {
  readonly reader: string;
  readonly atr: Uint8Array;
}

export interface Pn532ReaderEvents {
  'reader-added': (event: { reader: string }) => void;
  'reader-removed': (event: { reader: string }) => void;
  'card-inserted': (event: Pn532CardEvent) => void;
  'card-removed': (event: { reader: string }) => void;
  /** A poll failed (garbled line, timeout); polling goes on. */
  'poll-error': (event: { reader: string; error: Error }) => void;
}

type EventName = keyof Pn532ReaderEvents;

export interface Pn532ReaderOptions extends Pn532LinkOptions {
  /** Serial speed (default 115,200 baud, the PN532's HSU default). */
  baudRate?: number;
  /** Interval between polls for a card coming or going (default 50 ms). */
  pollMs?: number;
  /** Reader name in events and messages (default `PN532 <path>`). */
  name?: string;
}

/**
 * A PN532 on a serial line (HSU) as a card reader: the same names, events and methods as
 * @huduma/transport-pcsc's PcscReaders (`readers()`, `state()`, `waitForCard()`, `connect()`,
 * `card-inserted` / `card-removed`), for the one reader the controller is.
 *
 * The PN532 tells nothing by itself, so presence is polled: InListPassiveTarget (106 kbps type A)
 * while the field is empty, Diagnose test 6 (ISO/IEC 14443-4 presence check) while a card is
 * there and no connection is using it. Polls share the link's queue, so they never interleave with
 * an APDU. Only ISO/IEC 14443-4 cards (that speak APDUs) are reported; others are released.
 */
export class Pn532Reader {
  readonly name: string;
  private readonly link: Pn532Link;
  private readonly pollMs: number;
  private readonly listeners = new Map<EventName, Set<(event: never) => void>>();
  /** The card in the field; `released` once its connection let it go (InRelease) until re-activated. */
  private target: (TypeATarget & { atr: Uint8Array; generation: number; released: boolean }) | undefined;
  private generation = 0;
  private connection: Pn532CardTransport | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private closed = false;
  private gone = false;
  private held = 0;
  /** What GetFirmwareVersion said at open. */
  firmware: FirmwareVersion | undefined;

  private constructor(link: Pn532Link, name: string, pollMs: number) {
    this.link = link;
    this.name = name;
    this.pollMs = pollMs;
  }

  /**
   * Opens the PN532 on serial device `path`: wakes it, SAMConfiguration (normal mode), checks it
   * is a PN532 (GetFirmwareVersion), bounds passive activation retries, and starts polling.
   * Fails with ERR_READER_UNAVAILABLE (path cannot be opened), ERR_TRANSPORT_TIMEOUT (nothing
   * answers) or ERR_PN532_PROTOCOL (something that is not a PN532 answers).
   */
  static async open(path: string, options: Pn532ReaderOptions = {}): Promise<Pn532Reader> {
    const byteLink = await openSerialLink(path, { baudRate: options.baudRate });
    return Pn532Reader.over(byteLink, options.name ?? `PN532 ${path}`, options);
  }

  /** Same as {@link open} on an already open byte link (another UART binding, a socket). */
  static async over(
    byteLink: ByteLink,
    name: string,
    options: Pn532ReaderOptions = {},
  ): Promise<Pn532Reader> {
    const link = new Pn532Link(byteLink, name, options);
    const reader = new Pn532Reader(link, name, options.pollMs ?? 50);
    try {
      // SAMConfiguration first: it is what takes a PN532 out of its power-on low-battery mode.
      await link.command(CMD.SAM_CONFIGURATION, Uint8Array.of(0x01, 0x14, 0x01), { idempotent: true });
      const firmware = parseFirmwareVersion(
        await link.command(CMD.GET_FIRMWARE_VERSION, new Uint8Array(0), { idempotent: true }),
      );
      if (firmware.ic !== IC_PN532) {
        throw new Pn532ProtocolError(`${name} is not a PN532 (IC 0x${hex2(firmware.ic)}, expected 0x32)`);
      }
      reader.firmware = firmware;
      // MaxRetries: MxRtyATR FF, MxRtyPSL 01, MxRtyPassiveActivation 01, so a poll of an empty
      // field returns at once instead of waiting for a card.
      await link.command(CMD.RF_CONFIGURATION, Uint8Array.of(0x05, 0xff, 0x01, 0x01), { idempotent: true });
    } catch (error) {
      await link.close();
      throw error;
    }
    link.closedHook = () => reader.lineGone();
    reader.schedule(0);
    return reader;
  }

  /** Bytes and NACKs on the line so far (the bench's line-rate arithmetic). */
  get lineStats(): { bytesOut: number; bytesIn: number; nacksSent: number } {
    return { bytesOut: this.link.bytesOut, bytesIn: this.link.bytesIn, nacksSent: this.link.nacksSent };
  }

  /** The one reader this controller is (none once its line is gone). */
  readers(): string[] {
    return this.gone ? [] : [this.name];
  }

  state(reader: string = this.name): { name: string; cardPresent: boolean; atr: Uint8Array } | undefined {
    if (reader !== this.name || this.gone) return undefined;
    return {
      name: this.name,
      cardPresent: this.target !== undefined,
      atr: this.target?.atr ?? new Uint8Array(0),
    };
  }

  on<E extends EventName>(event: E, listener: Pn532ReaderEvents[E]): this {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (event: never) => void);
    const call = listener as (event: unknown) => void;
    if (event === 'reader-added' && !this.gone) call({ reader: this.name });
    if (event === 'card-inserted' && this.target) call({ reader: this.name, atr: this.target.atr });
    return this;
  }

  off<E extends EventName>(event: E, listener: Pn532ReaderEvents[E]): this {
    this.listeners.get(event)?.delete(listener as (event: never) => void);
    return this;
  }

  /** Resolves with the card in the field, now or when one comes; TransportTimeoutError after `timeoutMs`. */
  waitForCard(reader?: string, options: { timeoutMs?: number } = {}): Promise<Pn532CardEvent> {
    if (reader !== undefined && reader !== this.name) {
      return Promise.reject(
        new ReaderUnavailableError(
          `no reader named ${JSON.stringify(reader)}; this PN532 is ${JSON.stringify(this.name)}`,
        ),
      );
    }
    if (this.target) return Promise.resolve({ reader: this.name, atr: this.target.atr });
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        this.off('card-inserted', inserted);
        this.off('reader-removed', removed);
      };
      const inserted = (event: Pn532CardEvent) => {
        done();
        resolve(event);
      };
      const removed = () => {
        done();
        reject(new ReaderUnavailableError(`${this.name} went away while waiting for a card`));
      };
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          done();
          reject(new TransportTimeoutError(`no card in ${this.name} within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      }
      this.on('card-inserted', inserted);
      this.on('reader-removed', removed);
    });
  }

  /**
   * A transport to the card in the field. ERR_CARD_REMOVED when there is none; a connection
   * still open on the same card is closed first (one card, one connection).
   */
  async connect(reader: string = this.name): Promise<Pn532CardTransport> {
    if (this.gone || this.closed) throw new ReaderUnavailableError(`${this.name} is not available`);
    if (reader !== this.name) {
      throw new ReaderUnavailableError(
        `no reader named ${JSON.stringify(reader)}; this PN532 is ${JSON.stringify(this.name)}`,
      );
    }
    await this.polling;
    await this.connection?.close();
    if (this.target?.released) await this.reactivate();
    const target = this.target;
    if (!target) throw new CardRemovedError(`no card in ${this.name}`);
    const session: Pn532Session = {
      link: this.link,
      readerName: this.name,
      tg: target.tg,
      current: () => this.target?.generation === target.generation,
      released: () => {
        if (this.target?.generation === target.generation) this.target.released = true;
      },
      cardGone: () => {
        if (this.target?.generation === target.generation) this.dropCard();
      },
      hold: () => {
        this.held++;
        let released = false;
        return () => {
          if (!released) this.held--;
          released = true;
        };
      },
    };
    this.connection = new Pn532CardTransport(session, target.atr);
    return this.connection;
  }

  /** Stops polling, releases the card and closes the serial line. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
    await this.connection?.close();
    await this.link.close();
    this.listeners.clear();
  }

  private emit<E extends EventName>(event: E, payload: Parameters<Pn532ReaderEvents[E]>[0]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as (event: unknown) => void)(payload);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  private schedule(ms: number): void {
    if (this.closed || this.gone) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.polling = this.poll().finally(() => {
        this.polling = undefined;
        this.schedule(this.pollMs);
      });
    }, ms);
  }

  private async poll(): Promise<void> {
    if (this.held > 0) return;
    try {
      if (!this.target) await this.lookForCard();
      else if (this.target.released) await this.reactivate();
      else await this.checkCardStillThere();
    } catch (error) {
      if (this.link.closed) this.lineGone();
      else if (!this.closed) this.emit('poll-error', { reader: this.name, error: error as Error });
    }
  }

  private async lookForCard(): Promise<void> {
    const answer = await this.link.command(CMD.IN_LIST_PASSIVE_TARGET, Uint8Array.of(0x01, BRTY_106_TYPE_A), {
      idempotent: true,
    });
    const found = parseTypeATarget(answer);
    if (!found || this.closed) return;
    if (!isIsoDep(found)) {
      // A memory card (MIFARE Classic, Ultralight...): no APDUs to talk; let it be.
      await this.link.command(CMD.IN_RELEASE, Uint8Array.of(found.tg), { idempotent: true });
      return;
    }
    this.target = { ...found, atr: atrFromAts(found.ats), generation: ++this.generation, released: false };
    this.emit('card-inserted', { reader: this.name, atr: this.target.atr });
  }

  /**
   * Activates again the card a connection released: the same card (same UID) carries on; none
   * means it left; another UID means a swap (removed, then inserted).
   */
  private async reactivate(): Promise<void> {
    const before = this.target;
    if (!before) return;
    const answer = await this.link.command(CMD.IN_LIST_PASSIVE_TARGET, Uint8Array.of(0x01, BRTY_106_TYPE_A), {
      idempotent: true,
    });
    const found = parseTypeATarget(answer);
    if (this.target !== before) return;
    if (found && isIsoDep(found) && bytesEqual(found.uid, before.uid)) {
      this.target = { ...before, tg: found.tg, released: false };
      return;
    }
    this.dropCard();
    if (found && isIsoDep(found)) {
      this.target = { ...found, atr: atrFromAts(found.ats), generation: ++this.generation, released: false };
      this.emit('card-inserted', { reader: this.name, atr: this.target.atr });
    } else if (found) {
      await this.link.command(CMD.IN_RELEASE, Uint8Array.of(found.tg), { idempotent: true });
    }
  }

  private async checkCardStillThere(): Promise<void> {
    const checked = this.target;
    const answer = await this.link.command(CMD.DIAGNOSE, Uint8Array.of(DIAGNOSE_CARD_PRESENCE), {
      idempotent: true,
    });
    // A connection may have released the card while the check waited its turn on the line: then
    // "not present" only means "not activated", and the next poll re-activates it instead.
    if (answer[0] !== 0x00 && checked && this.target === checked && !checked.released) this.dropCard();
  }

  private dropCard(): void {
    if (!this.target) return;
    this.target = undefined;
    this.connection = undefined;
    this.emit('card-removed', { reader: this.name });
  }

  private lineGone(): void {
    if (this.gone) return;
    this.gone = true;
    if (this.timer) clearTimeout(this.timer);
    this.dropCard();
    this.emit('reader-removed', { reader: this.name });
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
