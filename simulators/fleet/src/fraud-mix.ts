/**
 * `--fraud-mix clones=0.02,tamper=0.1`: the share of cards cloned and the share of terminals whose
 * operator tampers with its uploads. Entries are `kind=share`, comma-separated, each kind at most
 * once; a share is a decimal from 0 to 1 with at most 6 decimals. Anything else is refused with
 * a FraudMixError naming the entry, before the run starts.
 */
export const FRAUD_KINDS = ['clones', 'tamper'] as const;
export type FraudKind = (typeof FRAUD_KINDS)[number];
export type FraudMix = Partial<Record<FraudKind, number>>;

export class FraudMixError extends RangeError {
  override name = 'FraudMixError';
  readonly code = 'ERR_FRAUD_MIX';
  constructor(
    /** The entry at fault, e.g. `--fraud-mix.tamper`, or `--fraud-mix` for the whole value. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

const MAX_LENGTH = 100;
const SHARE = /^(0(\.\d{1,6})?|1(\.0{1,6})?|\.\d{1,6})$/;

export function parseFraudMix(raw: string): FraudMix {
  const field = '--fraud-mix';
  if (raw.length === 0) throw new FraudMixError(field, 'is empty; expected e.g. clones=0.02,tamper=0.1');
  if (raw.length > MAX_LENGTH) throw new FraudMixError(field, `is longer than ${MAX_LENGTH} characters`);
  const mix: FraudMix = {};
  for (const entry of raw.split(',')) {
    const eq = entry.indexOf('=');
    const kind = eq < 0 ? entry : entry.slice(0, eq);
    const show = JSON.stringify(kind).slice(0, 40);
    if (!(FRAUD_KINDS as readonly string[]).includes(kind))
      throw new FraudMixError(field, `unknown kind ${show}; the kinds are ${FRAUD_KINDS.join(', ')}`);
    const name = `${field}.${kind}`;
    if (eq < 0) throw new FraudMixError(name, 'needs a share, e.g. tamper=0.1');
    if (mix[kind as FraudKind] !== undefined) throw new FraudMixError(name, 'is given twice');
    const share = entry.slice(eq + 1);
    if (!SHARE.test(share))
      throw new FraudMixError(
        name,
        `must be a share from 0 to 1 with at most 6 decimals (got ${JSON.stringify(share).slice(0, 40)})`,
      );
    mix[kind as FraudKind] = Number(share);
  }
  return mix;
}

/** How many of `population` a share means: rounded, and at least 1 when the share is not 0. */
export function shareOf(share: number, population: number): number {
  if (share === 0) return 0;
  return Math.min(population, Math.max(1, Math.round(share * population)));
}
