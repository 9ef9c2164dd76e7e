/**
 * @huduma/sim-fleet — a fleet of real terminal engines on simulated cards, trading for simulated
 * days against a clearing service, with outages and injected fraud, reconciled to the cent.
 */

export {
  FRAUD_KINDS,
  type FraudKind,
  type FraudMix,
  FraudMixError,
  parseFraudMix,
  shareOf,
} from './fraud-mix';
export { type CounterKind, hourWeight, nairobiMidnight } from './model';
export { type Random, seededRandom } from './prng';
export type { Expected, MerchantTotals, Reconciliation } from './reconcile';
export { type DayFigures, type FleetOptions, type FleetResult, runFleet } from './run';
export { EXPECTED_REFUSAL, type TamperAttempt, type TamperKind, uploadTampered } from './tamper';
