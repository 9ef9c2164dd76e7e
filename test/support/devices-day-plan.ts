/**
 * The plan of a day at a counter with devices (test/e2e-devices-day.test.ts), drawn from a seeded
 * generator: which card taps, for how much, and at which sales the faults of the day happen.
 */

/** One kind of day event at a chosen sale. */
export type DaySpecial =
  | 'wrong-pin'
  | 'unplug'
  | 'pulled'
  | 'garbled'
  | 'corrupt'
  | 'paper-out'
  | 'cancel'
  | 'reload';

/** Sales cut short with their outcome unknown: the next sale is the same card tapped again. */
const INTERRUPTED: readonly DaySpecial[] = ['pulled', 'garbled'];

/** Every special happens exactly once a day; the interrupted ones are placed first. */
const SPECIALS: readonly DaySpecial[] = [
  'pulled',
  'garbled',
  'wrong-pin',
  'unplug',
  'corrupt',
  'paper-out',
  'cancel',
  'reload',
];

/** Specials that take a PIN: their amount is above the counter's PIN limit. */
const NEEDS_PIN: readonly DaySpecial[] = ['wrong-pin', 'unplug'];

export interface PlannedSale<Card> {
  card: Card;
  amountCents: number;
  special?: DaySpecial;
}

/**
 * 18–25 taps (15–23 approved sales once the two interrupted ones and the unplugged pad's are
 * out), about a third above the PIN limit. Specials fall on distinct sales after the first; an
 * interrupted sale is followed by the same card (the re-tap), a plain sale.
 */
export function planDay<Card>(
  random: () => number,
  cards: readonly Card[],
  fees: { small: readonly number[]; pin: readonly number[] },
): PlannedSale<Card>[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const count = 18 + Math.floor(random() * 8);
  const sales: PlannedSale<Card>[] = Array.from({ length: count }, () => ({
    card: pick(cards),
    amountCents: random() < 0.3 ? pick(fees.pin) : pick(fees.small),
  }));
  const free = new Set(Array.from({ length: count - 1 }, (_, i) => i + 1));
  for (const special of SPECIALS) {
    const interrupted = INTERRUPTED.includes(special);
    // An interrupted sale needs its next sale free too (or to be the last one): that is the re-tap.
    const candidates = [...free].filter((i) => !interrupted || i + 1 === count || free.has(i + 1));
    const at = candidates[Math.floor(random() * candidates.length)]!;
    free.delete(at);
    const sale = sales[at]!;
    sale.special = special;
    if (interrupted) {
      sale.amountCents = pick(fees.small);
      free.delete(at + 1);
      if (at + 1 < count) sales[at + 1]!.card = sale.card;
      else sales.push({ card: sale.card, amountCents: pick(fees.small) });
    }
    if (NEEDS_PIN.includes(special)) sale.amountCents = pick(fees.pin);
  }
  return sales;
}
