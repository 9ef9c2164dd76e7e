import { maskCardNumber, sha256, toHex } from '@huduma/card-applet-spec';
import { formatKes } from './amount';
import type { TerminalLocation } from './config';

export interface ReceiptData {
  kind: 'sale' | 'recovered-sale' | 'cancel' | 'reload';
  merchantId: string;
  terminalId: string;
  location: TerminalLocation;
  /** ms */
  time: number;
  serviceName: string;
  serviceCode: number;
  billRef: string;
  amountCents: number;
  cardNumber: string;
  cardCounter: number;
  balanceAfterCents: number;
  terminalSeq: number;
  /** The 130-byte card proof (v2). */
  cardProof: Uint8Array;
}

/** A short, printable reference to a card proof: the first 8 hex digits of its SHA-256. */
export function proofReference(cardProof: Uint8Array): string {
  return toHex(sha256(cardProof)).slice(0, 8).toUpperCase();
}

const TITLES: Record<ReceiptData['kind'], string> = {
  sale: 'SALE',
  'recovered-sale': 'SALE (COMPLETED ON RE-TAP)',
  cancel: 'CANCELLATION',
  reload: 'CASH RELOAD',
};

const WIDTH = 40;

function line(left: string, right: string): string {
  const space = Math.max(1, WIDTH - left.length - right.length);
  return left + ' '.repeat(space) + right;
}

/** East Africa Time (UTC+3, no daylight saving) so receipts read the same wherever the test runs. */
export function formatEat(ms: number): string {
  const d = new Date(ms + 3 * 3600_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} EAT`;
}

/** Plain-text receipt, 40 columns, for the counter printer and the CLI. */
export function formatReceipt(r: ReceiptData): string {
  const where = r.location.kind === 'huduma-centre' ? 'Huduma Centre' : 'Partner merchant';
  const rows = [
    'HUDUMA PAY',
    TITLES[r.kind],
    '-'.repeat(WIDTH),
    line('Merchant', r.merchantId),
    line('Location', `${where}: ${r.location.name}`.slice(0, WIDTH - 10)),
    line('Terminal', `${r.terminalId} #${r.terminalSeq}`),
    line('Date', formatEat(r.time)),
    '-'.repeat(WIDTH),
    r.serviceName.slice(0, WIDTH),
    line('Service code', String(r.serviceCode)),
    line('Bill ref', r.billRef),
    line(
      r.kind === 'cancel' ? 'REFUNDED KES' : r.kind === 'reload' ? 'LOADED KES' : 'AMOUNT KES',
      formatKes(r.amountCents),
    ),
    '-'.repeat(WIDTH),
    line('Card', maskCardNumber(r.cardNumber)),
    line('Card counter', String(r.cardCounter)),
    line('New balance KES', formatKes(r.balanceAfterCents)),
    line('Proof ref', proofReference(r.cardProof)),
    '-'.repeat(WIDTH),
    'Offline payment signed by your card.',
  ];
  return `${rows.join('\n')}\n`;
}
