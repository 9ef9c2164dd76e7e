import { SpecCodecError } from './errors';

/** Largest amount a card field can hold (u32 cents). */
export const MAX_AMOUNT_CENTS = 0xffff_ffff;

/** A typed amount that is not a valid KES amount ("250.00" is; "2.505", "-1", "1e3" are not). */
export class AmountFormatError extends SpecCodecError {
  override name = 'AmountFormatError';
  constructor(message: string) {
    super('ERR_AMOUNT_FORMAT', message);
  }
}

const AMOUNT = /^(\d{1,10})(?:\.(\d{1,2}))?$/;

/**
 * Parses an amount typed by a person, in KES with up to two decimals, into integer cents, by
 * string arithmetic only (never floats): "250" → 25000, "250.5" → 25050, "250.00" → 25000.
 * Rejects more than two decimals, signs, exponents, separators, zero (unless `allowZero`) and
 * anything above `max` (default the card's u32 range). The one parser every CLI and the
 * terminal use, so that "250.00" means KES 250.00 wherever it is typed.
 */
export function parseKesAmount(text: string, options: { max?: number; allowZero?: boolean } = {}): number {
  const max = options.max ?? MAX_AMOUNT_CENTS;
  const trimmed = text.trim();
  const match = AMOUNT.exec(trimmed);
  if (!match) {
    if (/^\d+\.\d{3,}$/.test(trimmed))
      throw new AmountFormatError(`amount "${text}" has more than 2 decimals: KES has cents only`);
    if (trimmed.startsWith('-')) throw new AmountFormatError(`amount "${text}" is negative`);
    throw new AmountFormatError(`amount "${text}" is not a number like 250 or 250.00`);
  }
  const shillings = match[1]!;
  const cents = (match[2] ?? '').padEnd(2, '0');
  const value = Number(shillings) * 100 + Number(cents);
  if (!Number.isSafeInteger(value) || value > max) {
    throw new AmountFormatError(`amount "${text}" is above the maximum of KES ${formatKes(max)}`);
  }
  if (value === 0 && !options.allowZero) throw new AmountFormatError('amount must be more than KES 0.00');
  return value;
}

/** 25000 → "250.00"; 123456789 → "1,234,567.89". */
export function formatKes(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`amount ${cents} is not an integer number of cents`);
  const negative = cents < 0;
  const abs = Math.abs(cents);
  const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = String(abs % 100).padStart(2, '0');
  return `${negative ? '-' : ''}${whole}.${frac}`;
}
