import { LifeCycle, type LifeCycleState, type Purse } from '@huduma/card-applet-spec';

/** The life-cycle states (SPEC.md §3) by name. */
export type LifeCycleName = keyof typeof LifeCycle;

/**
 * The purse with names beside the card's raw codes, for integrators: `currency: 0x0404` is also
 * `currencyCode: 'KES'` and `currencyNumeric: 404`; `lifeCycle: 2` is also
 * `lifeCycleName: 'ACTIVE'`. The raw fields stay as they are, so existing callers are unchanged.
 */
export interface PurseView extends Purse {
  /** ISO 4217 alphabetic code: 'KES' for Kenya shillings; the 3-digit numeric code as text otherwise. */
  currencyCode: string;
  /** ISO 4217 numeric code, decoded from the card's BCD (0x0404 → 404). */
  currencyNumeric: number;
  lifeCycleName: LifeCycleName;
}

const ALPHA_CODES: Record<number, string> = { 404: 'KES' };

function bcdToNumber(bcd: number): number {
  let value = 0;
  for (let shift = 12; shift >= 0; shift -= 4) value = value * 10 + ((bcd >> shift) & 0xf);
  return value;
}

const LIFE_CYCLE_NAMES = new Map<LifeCycleState, LifeCycleName>(
  (Object.entries(LifeCycle) as Array<[LifeCycleName, LifeCycleState]>).map(([name, code]) => [code, name]),
);

/** Names for a purse's codes (see {@link PurseView}); the purse itself is copied, not changed. */
export function describePurse(purse: Purse): PurseView {
  const currencyNumeric = bcdToNumber(purse.currency);
  return {
    ...purse,
    currencyCode: ALPHA_CODES[currencyNumeric] ?? String(currencyNumeric).padStart(3, '0'),
    currencyNumeric,
    // decodePurse refuses unknown states, so every purse the SDK holds has a name.
    lifeCycleName: LIFE_CYCLE_NAMES.get(purse.lifeCycle)!,
  };
}
