/**
 * A printable document: what a receipt, an X/Z report or a reprint looks like on paper, as plain
 * data. The terminal application maps its receipts and reports to this; the printer package knows
 * nothing about sales, so the engine never depends on a printer.
 */
export type Align = 'left' | 'center' | 'right';

export interface TextBlock {
  kind: 'text';
  text: string;
  bold?: boolean;
  /** Double width and height (GS ! 0x11): headings and totals. */
  double?: boolean;
  align?: Align;
}

/** A two-column row: label on the left, value on the right, padded to the paper width. */
export interface RowBlock {
  kind: 'row';
  left: string;
  right: string;
  bold?: boolean;
}

export interface RuleBlock {
  kind: 'rule';
}

export interface FeedBlock {
  kind: 'feed';
  lines: number;
}

/** QR error correction levels (GS ( k function 169): L 7%, M 15%, Q 25%, H 30%. */
export type QrErrorLevel = 'L' | 'M' | 'Q' | 'H';

export interface QrBlock {
  kind: 'qr';
  payload: string;
  /** Module size in dots, 1..16 (GS ( k function 167). */
  moduleSize?: number;
  errorLevel?: QrErrorLevel;
}

export type PrintBlock = TextBlock | RowBlock | RuleBlock | FeedBlock | QrBlock;

export interface PrintableDocument {
  blocks: PrintBlock[];
  /** Partial cut after the document (GS V 66); default true. */
  cut?: boolean;
}

/** Longest QR payload accepted: fits model 2, level M, version 40 in byte mode with margin. */
export const MAX_QR_PAYLOAD = 2000;

/** "Ksh 1,234.50" for people, from integer cents (Intl en-KE; a no-break space becomes a space). */
export function formatShillings(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`amount ${cents} is not an integer number of cents`);
  // An exact decimal string in (never cents / 100 as a float; Intl accepts numeric strings, the
  // lib types here do not say so); Intl only adds grouping and the currency sign.
  const abs = Math.abs(cents);
  const exact = `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  const text = SHILLINGS.format(exact as unknown as number);
  return text.replace(/\u00a0/g, ' ');
}

const SHILLINGS = new Intl.NumberFormat('en-KE', {
  style: 'currency',
  currency: 'KES',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
