import { SpecCodecError } from './errors';

/** Issuer prefix of Huduma card numbers (the first four of the 16 digits). */
export const CARD_NUMBER_PREFIX = '8404';

/**
 * A card number: 16 decimal digits, the last a Luhn check digit. Pseudonymous by design: it is
 * random, not derived from the holder's ID number, so a card number reveals nobody's identity.
 */
export type CardNumber = string;

function luhnCheckDigit(first15: string): number {
  let sum = 0;
  for (let i = 0; i < first15.length; i++) {
    let d = first15.charCodeAt(first15.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** True when `value` is 16 digits with a valid Luhn check digit. */
export function isValidCardNumber(value: string): boolean {
  return /^\d{16}$/.test(value) && luhnCheckDigit(value.slice(0, 15)) === Number(value[15]);
}

/** Builds a card number from the issuer prefix and 11 account digits, adding the check digit. */
export function cardNumberFromAccount(account11: string): CardNumber {
  if (!/^\d{11}$/.test(account11))
    throw new SpecCodecError('ERR_CARD_NUMBER', 'account part must be 11 digits');
  const first15 = CARD_NUMBER_PREFIX + account11;
  return first15 + String(luhnCheckDigit(first15));
}

/** Encodes a card number as 8 bytes of packed BCD. */
export function encodeCardNumber(cardNumber: CardNumber): Uint8Array {
  if (!isValidCardNumber(cardNumber)) {
    throw new SpecCodecError('ERR_CARD_NUMBER', `not a valid card number: "${cardNumber}"`);
  }
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) {
    out[i] = ((cardNumber.charCodeAt(2 * i) - 48) << 4) | (cardNumber.charCodeAt(2 * i + 1) - 48);
  }
  return out;
}

/** Decodes 8 bytes of packed BCD into a card number, checking digits and the Luhn digit. */
export function decodeCardNumber(bytes: Uint8Array, offset = 0): CardNumber {
  if (bytes.length !== 8) throw new SpecCodecError('ERR_CARD_NUMBER', 'card number must be 8 bytes', offset);
  let s = '';
  for (let i = 0; i < 8; i++) {
    const hi = bytes[i]! >> 4;
    const lo = bytes[i]! & 0x0f;
    if (hi > 9 || lo > 9) throw new SpecCodecError('ERR_CARD_NUMBER', 'card number is not BCD', offset + i);
    s += String(hi) + String(lo);
  }
  if (!isValidCardNumber(s))
    throw new SpecCodecError('ERR_CARD_NUMBER', `card number check digit wrong: ${s}`, offset);
  return s;
}

/** Formats a card number in groups of four for receipts and screens. */
export function formatCardNumber(cardNumber: CardNumber): string {
  return cardNumber.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** Masks all but the last four digits, for receipts. */
export function maskCardNumber(cardNumber: CardNumber): string {
  return `**** **** **** ${cardNumber.slice(-4)}`;
}
