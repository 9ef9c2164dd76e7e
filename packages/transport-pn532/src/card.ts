import { CardRemovedError, type Transport, TransportError } from '@huduma/apdu';
import { CMD, DIAGNOSE_CARD_PRESENCE, MAX_EXCHANGE_DATA, MI } from './commands';
import { PN532_STATUS, Pn532ProtocolError, Pn532StatusError } from './errors';
import type { Pn532Link } from './link';

/** What a card transport needs from its reader: the link, and whether its card is still there. */
export interface Pn532Session {
  readonly link: Pn532Link;
  readonly readerName: string;
  /** Target number the PN532 gave the card (Tg). */
  readonly tg: number;
  /** True while the card this session was opened on is the one in the field. */
  current(): boolean;
  /** This connection let the card go (InRelease): the next one activates it again. */
  released(): void;
  /** The reader learnt, from a failed exchange, that the card is gone. */
  cardGone(): void;
  /** Keeps presence polls off the line until the returned function is called (a chained exchange). */
  hold(): () => void;
}

/** Statuses after which the card is checked for: it may have left the field mid-command. */
const MAYBE_GONE = new Set<number>([
  PN532_STATUS.TIMEOUT,
  PN532_STATUS.CRC,
  PN532_STATUS.PARITY,
  PN532_STATUS.FRAMING,
  PN532_STATUS.RF_PROTOCOL,
  PN532_STATUS.WRONG_CONTEXT,
  PN532_STATUS.RELEASED,
]);

/**
 * The card activated in a PN532's field, as a {@link Transport}: APDUs travel in InDataExchange,
 * split with the MI bit when longer than one exchange carries (262 bytes) and gathered again when
 * the answer comes in several parts. A card that leaves the field, before or during a command,
 * gives CardRemovedError (ERR_CARD_REMOVED) — never an answer — and the transport stays dead.
 */
export class Pn532CardTransport implements Transport {
  private dead: TransportError | undefined;
  private closed = false;

  constructor(
    private readonly session: Pn532Session,
    /** ATR as a PC/SC reader would present the card (from the ATS). */
    readonly atr: Uint8Array,
  ) {}

  get reader(): string {
    return this.session.readerName;
  }

  async transmit(command: Uint8Array): Promise<Uint8Array> {
    if (this.closed) throw new TransportError(`connection to the card in ${this.reader} is closed`);
    if (this.dead) throw this.dead;
    if (!this.session.current()) throw this.kill(new CardRemovedError(`card removed from ${this.reader}`));
    const release = this.session.hold();
    try {
      for (let offset = 0; ; offset += MAX_EXCHANGE_DATA) {
        const part = command.subarray(offset, offset + MAX_EXCHANGE_DATA);
        const more = offset + MAX_EXCHANGE_DATA < command.length;
        const answer = await this.exchange(more ? this.session.tg | MI : this.session.tg, part);
        if (more) {
          if (answer.data.length !== 0) throw new Pn532ProtocolError('data in the answer to a chained part');
          continue;
        }
        const parts = [answer.data];
        let chained = answer.more;
        while (chained) {
          const next = await this.exchange(this.session.tg, new Uint8Array(0));
          parts.push(next.data);
          chained = next.more;
        }
        return concat(parts);
      }
    } catch (error) {
      if (error instanceof TransportError && error.code === 'ERR_READER_UNAVAILABLE') throw this.kill(error);
      throw error;
    } finally {
      release();
    }
  }

  /** Releases the card (InRelease); the card stays in the field for the next activation. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.dead || !this.session.current() || this.session.link.closed) return;
    this.session.released();
    await this.session.link.command(CMD.IN_RELEASE, Uint8Array.of(this.session.tg)).catch(() => undefined);
  }

  private async exchange(tg: number, data: Uint8Array): Promise<{ data: Uint8Array; more: boolean }> {
    const answer = await this.session.link.command(CMD.IN_DATA_EXCHANGE, Uint8Array.of(tg, ...data));
    if (answer.length < 1) throw new Pn532ProtocolError('InDataExchange answer without a status byte');
    const status = answer[0]! & 0x3f;
    if (status === PN532_STATUS.OK) return { data: answer.slice(1), more: (answer[0]! & MI) !== 0 };
    if (status === PN532_STATUS.CARD_DISAPPEARED || status === PN532_STATUS.CARD_EXCHANGED) {
      throw this.gone(status);
    }
    if (MAYBE_GONE.has(status) && !(await this.stillPresent())) throw this.gone(status);
    throw new Pn532StatusError(0x40, status);
  }

  /** Diagnose test 6 (ISO/IEC 14443-4 presence check): status 00 when the card answers. */
  private async stillPresent(): Promise<boolean> {
    // A link failure here propagates as itself: not knowing is not a removal.
    const answer = await this.session.link.command(CMD.DIAGNOSE, Uint8Array.of(DIAGNOSE_CARD_PRESENCE), {
      idempotent: true,
    });
    return answer[0] === 0x00;
  }

  private gone(status: number): CardRemovedError {
    this.session.cardGone();
    return this.kill(
      new CardRemovedError(
        `card left the field of ${this.reader} during the command (PN532 status 0x${status.toString(16).padStart(2, '0')})`,
      ),
    ) as CardRemovedError;
  }

  private kill(error: TransportError): TransportError {
    this.dead = error;
    return error;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
