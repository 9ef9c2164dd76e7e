import { basename } from 'node:path';
import type { Transport } from '@huduma/apdu';
import { INS } from '@huduma/card-applet-spec';
import { SimulatedCard, SimulatedReader, type SimulatedReaderOptions } from '@huduma/card-simulator';
import { type CardReader, pollingCardReader } from '@huduma/terminal';

/** A simulated card the counter can "tap": a label for menus and the card itself. */
export interface DemoCard {
  label: string;
  card: SimulatedCard;
}

/** A box of demo cards and the reader they are tapped on, as the demo panel and console use it. */
export interface DemoCardBox {
  readonly cards: DemoCard[];
  readonly cardPresent: boolean;
  readonly inserted: DemoCard | undefined;
  insert(index: number): DemoCard;
  remove(): void;
  pullDuringNextValueCommand(options: { afterCardProcessed: boolean }): void;
}

const VALUE_COMMANDS = new Set<number>([INS.DEBIT, INS.UNDEBIT, INS.RELOAD]);

/** DEBIT, UNDEBIT or RELOAD, and (when chained) its last segment: the command that moves value. */
export function isValueCommand(command: Uint8Array): boolean {
  const ins = command[1];
  // A chained DEBIT: only its last segment (chaining bit clear) makes the card act.
  const last = ((command[0] ?? 0) & 0x10) === 0;
  return ins !== undefined && VALUE_COMMANDS.has(ins) && last;
}

/**
 * One simulated counter reader with a box of simulated cards: insert and remove them, and pull a
 * card out in the middle of the next value command (DEBIT, UNDEBIT or RELOAD) to show tear
 * recovery. The engine sees it as an ordinary CardReader.
 */
export class DemoReader implements DemoCardBox {
  readonly simulated: SimulatedReader;
  readonly cardReader: CardReader;
  private pull: { afterCardProcessed: boolean } | undefined;
  private current: DemoCard | undefined;

  constructor(
    readonly cards: DemoCard[],
    options: SimulatedReaderOptions & { pollMs?: number } = {},
  ) {
    this.simulated = new SimulatedReader(options.latency === undefined ? {} : { latency: options.latency });
    const link: Transport = { transmit: (command) => this.transmit(command) };
    this.cardReader = pollingCardReader(() => (this.simulated.cardPresent ? link : undefined), {
      pollMs: options.pollMs ?? 20,
    });
  }

  /** Opens card files (e.g. made by `huduma-sim issue` or issueTestCard({ path })). */
  static fromFiles(paths: string[], options: SimulatedReaderOptions & { pollMs?: number } = {}): DemoReader {
    return new DemoReader(
      paths.map((p) => ({ label: basename(p).replace(/\.cbor$/, ''), card: SimulatedCard.open(p) })),
      options,
    );
  }

  get inserted(): DemoCard | undefined {
    return this.simulated.cardPresent ? this.current : undefined;
  }

  get cardPresent(): boolean {
    return this.simulated.cardPresent;
  }

  /** Puts card `index` (0-based) in the reader, replacing any card in it. */
  insert(index: number): DemoCard {
    const demo = this.cards[index];
    if (!demo) throw new RangeError(`there is no demo card ${index + 1} (1..${this.cards.length})`);
    this.simulated.insert(demo.card);
    this.current = demo;
    return demo;
  }

  remove(): void {
    this.simulated.remove();
  }

  /**
   * The card will leave the reader during the next value command: with `afterCardProcessed` the
   * card completes it (it is charged) and the answer is lost; without, the card never gets it.
   */
  pullDuringNextValueCommand(options: { afterCardProcessed: boolean }): void {
    this.pull = { ...options };
  }

  private async transmit(command: Uint8Array): Promise<Uint8Array> {
    if (this.pull && isValueCommand(command)) {
      this.simulated.removeDuringNextCommand(this.pull);
      this.pull = undefined;
    }
    return this.simulated.transmit(command);
  }
}
