import { formatKes, MAX_AMOUNT_CENTS, parseKesAmount } from '@huduma/card-applet-spec';
import { AmountFormatError } from './errors';

export { formatKes, MAX_AMOUNT_CENTS };

/**
 * Parses a typed KES amount into integer cents with the one parser every CLI uses
 * (`parseKesAmount` of @huduma/card-applet-spec), raised as the engine's own AmountFormatError
 * (same code, ERR_AMOUNT_FORMAT) so callers keep one error family.
 */
export function parseAmount(text: string, options: { max?: number; allowZero?: boolean } = {}): number {
  try {
    return parseKesAmount(text, options);
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_AMOUNT_FORMAT')
      throw new AmountFormatError((err as Error).message);
    throw err;
  }
}

/** "KES 1,234.50": amounts in the cashier's sentences. */
export function kes(cents: number): string {
  return `KES ${formatKes(cents)}`;
}
