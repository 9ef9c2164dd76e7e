import type { Pn532Simulator } from '@huduma/sim-pn532';
import { type DemoCard, type DemoCardBox, isValueCommand } from './demo-reader';

/**
 * The demo cards tapped on a simulated PN532 (the counter reads them over the serial line, as it
 * would a real PN532): the demo panel's "present", "remove" and "pull mid-payment" act on the
 * simulator's field.
 */
export class Pn532DemoCards implements DemoCardBox {
  private current: DemoCard | undefined;

  constructor(
    private readonly simulator: Pn532Simulator,
    readonly cards: DemoCard[],
  ) {}

  get cardPresent(): boolean {
    return this.simulator.cardPresent;
  }

  get inserted(): DemoCard | undefined {
    return this.simulator.cardPresent ? this.current : undefined;
  }

  insert(index: number): DemoCard {
    const demo = this.cards[index];
    if (!demo) throw new RangeError(`there is no demo card ${index + 1} (1..${this.cards.length})`);
    this.simulator.insert(demo.card);
    this.current = demo;
    return demo;
  }

  remove(): void {
    this.simulator.remove();
  }

  pullDuringNextValueCommand(options: { afterCardProcessed: boolean }): void {
    void this.simulator.removeCardDuringNextApdu({ ...options, when: isValueCommand });
  }
}
