/**
 * At most `slots` holders at once; the others wait their turn in arrival order. The upload path
 * admits its store phase (one database transaction) through one of these (ingest.ts).
 */
export class Admission {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly slots: number) {
    if (!Number.isInteger(slots) || slots < 1) {
      throw new RangeError(`an admission needs at least one slot, got ${slots}`);
    }
  }

  /** Runs `work` once a slot is free, and frees the slot when it settles, whichever way. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active < this.slots) this.active++;
    // A freed slot passes straight to the next waiter: `active` counts it all along.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
