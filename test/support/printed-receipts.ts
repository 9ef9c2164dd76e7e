/**
 * Reading printed receipts back the way a person (or an auditor's phone) would: the text the
 * printer simulator rendered, and the QR code decoded from the PNG image of the paper, not from
 * the bytes the terminal sent. Pages are kept as PNG files for a person to look at.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeReceiptCode } from '@huduma/clearing-protocol';
import type { ReceiptData } from '@huduma/terminal';
import { expect } from 'vitest';
import { qrTextOfPng } from './printed-qr';

/** What a checked receipt says, as read from the paper. */
export interface ReadReceipt {
  title: string;
  /** The amount row's label: Amount (sale), Refunded (cancel), Loaded (reload). */
  amountLabel: string;
  amountCents: number;
  terminalId: string;
  terminalSeq: number;
  /** The payload printed under the QR code in the text rendering. */
  qrText: string;
  /** The payload jsQR decodes from the page's PNG. */
  qrImage: string | undefined;
  reprint: boolean;
}

/** "Ksh 1,050.00" → 105000; anything else (no decimals, stray characters) → undefined. */
export function shillingsToCents(text: string): number | undefined {
  const m = /^Ksh (\d{1,3}(?:,\d{3})*)\.(\d{2})$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]!.replaceAll(',', '')) * 100 + Number(m[2]);
}

/**
 * Reads the facts a receipt must carry from its rendered text and image. Throws naming what is
 * missing, so a failing test says which line of the paper was wrong.
 */
export function readReceipt(page: { text: string; png(): Uint8Array }): ReadReceipt {
  const { text } = page;
  const lines = text.split('\n').map((l) => l.trim());
  const title = lines.find((l) => /^(SALE|CANCELLATION|CASH RELOAD)/.test(l));
  if (!title) throw new Error(`no receipt title on the page:\n${text}`);
  const amount = /^(Amount|Refunded|Loaded)\s+(Ksh \S+)$/m.exec(lines.join('\n'));
  if (!amount) throw new Error(`no amount row on the page:\n${text}`);
  const amountCents = shillingsToCents(amount[2]!);
  if (amountCents === undefined) throw new Error(`amount "${amount[2]}" is not shillings with two decimals`);
  const terminal = /^Terminal\s+(\S+) #(\d+)$/m.exec(lines.join('\n'));
  if (!terminal) throw new Error(`no terminal row on the page:\n${text}`);
  const qr = /\[QR ([^\]]+)\]/.exec(text);
  if (!qr) throw new Error(`no QR code on the page:\n${text}`);
  return {
    title,
    amountLabel: amount[1]!,
    amountCents,
    terminalId: terminal[1]!,
    terminalSeq: Number(terminal[2]),
    qrText: qr[1]!,
    qrImage: qrTextOfPng(page.png()),
    reprint: lines.includes('*** REPRINT ***'),
  };
}

/** Writes a page's PNG under `dir` as `name`.png; returns the path. */
export function keepPagePng(dir: string, name: string, png: Uint8Array): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  writeFileSync(path, png);
  return path;
}

/** The facts a receipt must show, whichever way it was printed. */
export interface ExpectedReceipt {
  kind: ReceiptData['kind'];
  amountCents: number;
  terminalSeq: number;
  cardCounter: number;
  proofRef: string;
  cardNumber: string;
}

const TITLES: Record<ReceiptData['kind'], string> = {
  sale: 'SALE',
  'recovered-sale': 'SALE (COMPLETED ON RE-TAP)',
  cancel: 'CANCELLATION',
  reload: 'CASH RELOAD',
};
const AMOUNT_LABELS: Record<ReceiptData['kind'], string> = {
  sale: 'Amount',
  'recovered-sale': 'Amount',
  cancel: 'Refunded',
  reload: 'Loaded',
};

/**
 * Reads `page` and asserts it is the receipt of `tx`: title, amount in shillings with two
 * decimals, terminal and transaction number, the QR payload in the text and the same payload
 * decoded from the PNG, and no full card number anywhere. `name` labels the failures.
 */
export function checkReceipt(
  page: { text: string; png(): Uint8Array },
  tx: ExpectedReceipt,
  counter: { merchantId: string; terminalId: string },
  name: string,
): ReadReceipt {
  const read = readReceipt(page);
  expect(read.title, name).toBe(TITLES[tx.kind]);
  expect(read.amountLabel, name).toBe(AMOUNT_LABELS[tx.kind]);
  expect(read.amountCents, name).toBe(tx.amountCents);
  expect([read.terminalId, read.terminalSeq], name).toEqual([counter.terminalId, tx.terminalSeq]);
  expect(read.qrText, name).toBe(
    encodeReceiptCode({ terminalId: counter.terminalId, terminalSeq: tx.terminalSeq, proofRef: tx.proofRef }),
  );
  expect(read.qrImage, `${name}: the QR decoded from the PNG`).toBe(read.qrText);
  expect(page.text, name).not.toContain(tx.cardNumber);
  return read;
}
