import { CardRemovedError, type Transport } from '@huduma/apdu';
import { INS, TypicalCardTimeMs } from '@huduma/card-applet-spec';
import type { CommandInfo } from './applet';
import { PowerLossError } from './errors';
import type { SimulatedCard } from './simulated-card';

const BASE_TIME_BY_INS: Record<number, number> = {
  [INS.SELECT]: TypicalCardTimeMs.SELECT,
  [INS.GET_CHALLENGE]: TypicalCardTimeMs.GET_CHALLENGE,
  [INS.GET_DATA]: TypicalCardTimeMs.GET_DATA,
  [INS.VERIFY_PIN]: TypicalCardTimeMs.VERIFY_PIN,
  [INS.CHANGE_PIN]: TypicalCardTimeMs.CHANGE_PIN,
  [INS.UNBLOCK_PIN]: TypicalCardTimeMs.UNBLOCK_PIN,
  [INS.READ_PURSE]: TypicalCardTimeMs.READ_PURSE,
  [INS.READ_RECORD]: TypicalCardTimeMs.READ_RECORD,
  [INS.DEBIT]: TypicalCardTimeMs.DEBIT,
  [INS.UNDEBIT]: TypicalCardTimeMs.UNDEBIT,
  [INS.RELOAD]: TypicalCardTimeMs.RELOAD,
  [INS.GET_TRANSACTION]: TypicalCardTimeMs.GET_TRANSACTION,
  [INS.READ_IDENTITY]: TypicalCardTimeMs.READ_IDENTITY,
  [INS.BLOCK_CARD]: TypicalCardTimeMs.BLOCK_CARD,
  [INS.REGISTER_TERMINAL]: TypicalCardTimeMs.REGISTER_TERMINAL,
  [INS.INITIALIZE_PERSO]: TypicalCardTimeMs.INITIALIZE_PERSO,
  [INS.EXTERNAL_AUTHENTICATE_PERSO]: TypicalCardTimeMs.EXTERNAL_AUTHENTICATE_PERSO,
  [INS.STORE_DATA]: TypicalCardTimeMs.STORE_DATA,
  [INS.GENERATE_KEY_PAIR]: TypicalCardTimeMs.GENERATE_KEY_PAIR,
  [INS.FINALIZE]: TypicalCardTimeMs.FINALIZE,
};

/**
 * Modelled card time (ms) of one exchange on a typical Java Card (chip C of SPEC.md §9): the
 * command's base time and transmission of every byte both ways. OPEN SESSION costs the TAP or
 * the SECURE figure by its P1; a refusal before the work is charged the base time anyway (an
 * upper bound).
 */
export function modelledCardTimeMs(info: CommandInfo, commandBytes: number, responseBytes: number): number {
  const ms = (commandBytes + responseBytes) * TypicalCardTimeMs.PER_BYTE;
  if (info.chainSegment) return ms + TypicalCardTimeMs.CHAIN_SEGMENT;
  if (info.ins === undefined) return ms;
  if (info.ins === INS.OPEN_SESSION) {
    return ms + (info.p1 === 1 ? TypicalCardTimeMs.OPEN_SESSION_SECURE : TypicalCardTimeMs.OPEN_SESSION_TAP);
  }
  return ms + (BASE_TIME_BY_INS[info.ins] ?? 0);
}

export interface SimulatedReaderOptions {
  /**
   * 'none' (default): answer as fast as the simulator computes. 'typical': delay each answer to the
   * modelled card time of TypicalCardTimeMs. A number: the typical time times that factor.
   */
  latency?: 'none' | 'typical' | number;
}

/**
 * An in-process card reader: a `Transport` over a SimulatedCard, with card insertion and
 * removal (including removal in the middle of a command) and an optional latency model.
 */
export class SimulatedReader implements Transport {
  private inserted: SimulatedCard | undefined;
  private lastCard: SimulatedCard | undefined;
  private pendingRemoval: { afterCardProcessed: boolean } | undefined;
  private readonly factor: number;
  /** Sum of modelled card time over all exchanges, ms (kept even when latency is 'none'). */
  modelledTimeMs = 0;
  /** Sum of the host-side time the simulator itself spent computing, ms. */
  hostTimeMs = 0;
  exchanges = 0;

  constructor(options: SimulatedReaderOptions = {}) {
    const l = options.latency ?? 'none';
    this.factor = l === 'none' ? 0 : l === 'typical' ? 1 : l;
    if (!(this.factor >= 0)) throw new RangeError(`latency factor must be >= 0, got ${l}`);
  }

  get card(): SimulatedCard | undefined {
    return this.inserted;
  }

  get cardPresent(): boolean {
    return this.inserted !== undefined;
  }

  /** Inserts (and powers) a card; replaces any card already inserted. */
  insert(card: SimulatedCard): void {
    if (this.inserted && this.inserted !== card) this.inserted.powerOff();
    this.inserted = card;
    this.lastCard = card;
    this.pendingRemoval = undefined;
    card.powerOn();
  }

  /** Puts the last removed card back (after a removal or power loss). */
  reinsert(): void {
    if (!this.lastCard) throw new Error('no card was ever inserted');
    this.insert(this.lastCard);
  }

  /** Takes the card out: it loses power and with it its RAM (challenge, PIN flag, chain buffer). */
  remove(): void {
    this.inserted?.powerOff();
    this.inserted = undefined;
    this.pendingRemoval = undefined;
  }

  /**
   * The next command is interrupted by a removal: with `afterCardProcessed` the card ran it to the
   * end (its state changed) and the answer was lost; without, the card never got it. The host gets
   * CardRemovedError either way.
   */
  removeDuringNextCommand(opts: { afterCardProcessed: boolean }): void {
    this.pendingRemoval = { ...opts };
  }

  async transmit(command: Uint8Array): Promise<Uint8Array> {
    const card = this.inserted;
    if (!card) throw new CardRemovedError('no card in the simulated reader');
    const removal = this.pendingRemoval;
    this.pendingRemoval = undefined;
    if (removal && !removal.afterCardProcessed) {
      this.remove();
      throw new CardRemovedError('card removed before it received the command');
    }
    const started = performance.now();
    let response: Uint8Array;
    try {
      response = card.transmit(command);
    } catch (err) {
      if (err instanceof PowerLossError) {
        this.remove();
        throw new CardRemovedError(`card lost power during the command (${err.label})`, { cause: err });
      }
      throw err;
    }
    const hostMs = performance.now() - started;
    this.hostTimeMs += hostMs;
    this.exchanges++;
    const modelled = modelledCardTimeMs(card.lastCommand, command.length, response.length);
    this.modelledTimeMs += modelled;
    if (removal) {
      this.remove();
      throw new CardRemovedError('card removed before the answer reached the host');
    }
    // Sleep only what the simulator did not already spend computing.
    const wait = modelled * this.factor - hostMs;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    return response;
  }

  async close(): Promise<void> {}
}
