import { SimulatedCard, type VirtualCard } from './simulated-card';

export type { VirtualCard } from './simulated-card';

/** Entry point for the vpcd harness: opens the card file at `cardPath` as a virtual card. */
export function createCard(options: { cardPath: string }): VirtualCard {
  return SimulatedCard.open(options.cardPath);
}
