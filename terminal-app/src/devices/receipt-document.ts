import { decodeTransactionProof, encodeTransactionProof, maskCardNumber } from '@huduma/card-applet-spec';
import { encodeReceiptCode } from '@huduma/clearing-protocol';
import { formatShillings, type PrintableDocument, type PrintBlock } from '@huduma/printer-escpos';
import {
  type ApprovedTransaction,
  formatEat,
  proofReference,
  type ReceiptData,
  type ShiftReport,
  type TerminalConfig,
} from '@huduma/terminal';

/** The receipt of an approved transaction as data (the engine gives it as text). */
export function receiptDataOf(
  result: ApprovedTransaction,
  config: Pick<TerminalConfig, 'merchantId' | 'terminalId' | 'location'>,
): ReceiptData {
  const rec = result.proof.record;
  return {
    kind: result.operation,
    merchantId: config.merchantId,
    terminalId: config.terminalId,
    location: config.location,
    time: rec.time * 1000,
    serviceName: result.serviceName,
    serviceCode: result.serviceCode,
    billRef: result.billRef,
    amountCents: result.amountCents,
    cardNumber: result.cardNumber,
    cardCounter: result.cardCounter,
    balanceAfterCents: result.balanceAfterCents,
    terminalSeq: result.terminalSeq,
    cardProof: encodeTransactionProof(result.proof),
  };
}

/**
 * The receipt of a sale or recovered sale as the log holds it: what prints on paper when a re-tap
 * completed an interrupted sale (no ApprovedTransaction exists for it), or for a receipt asked for
 * later. The amounts, counter, balance and sequence come from the card's signed proof, not from the
 * record's copies of them, so the paper says what the card signed.
 */
export function receiptDataOfRecord(
  record: { type: 'sale' | 'recovered-sale'; cardNumber: string; serviceCode: string; cardProof: Uint8Array },
  config: Pick<TerminalConfig, 'merchantId' | 'terminalId' | 'location'>,
  serviceName: (serviceCode: number) => string,
): ReceiptData {
  const rec = decodeTransactionProof(record.cardProof).record;
  const serviceCode = Number(record.serviceCode);
  return {
    kind: record.type,
    merchantId: config.merchantId,
    terminalId: config.terminalId,
    location: config.location,
    time: rec.time * 1000,
    serviceName: serviceName(serviceCode),
    serviceCode,
    billRef: rec.billRef,
    amountCents: rec.amount,
    cardNumber: record.cardNumber,
    cardCounter: rec.counter,
    balanceAfterCents: rec.balanceAfter,
    terminalSeq: rec.terminalSeq,
    cardProof: record.cardProof,
  };
}

const TITLES: Record<ReceiptData['kind'], string> = {
  sale: 'SALE',
  'recovered-sale': 'SALE (COMPLETED ON RE-TAP)',
  cancel: 'CANCELLATION',
  reload: 'CASH RELOAD',
};

/**
 * What the receipt QR code holds: the receipt code of @huduma/clearing-protocol (terminal,
 * transaction number, proof reference), which the clearing service's public check page reads.
 */
export function receiptQrPayload(r: ReceiptData): string {
  return encodeReceiptCode({
    terminalId: r.terminalId,
    terminalSeq: r.terminalSeq,
    proofRef: proofReference(r.cardProof),
  });
}

/** A receipt (or its reprint) as a printable document: the same facts as formatReceipt, plus the QR. */
export function receiptDocument(r: ReceiptData, options: { reprint?: boolean } = {}): PrintableDocument {
  const where = r.location.kind === 'huduma-centre' ? 'Huduma Centre' : 'Partner merchant';
  const amountLabel = r.kind === 'cancel' ? 'Refunded' : r.kind === 'reload' ? 'Loaded' : 'Amount';
  const blocks: PrintBlock[] = [
    { kind: 'text', text: 'HUDUMA PAY', bold: true, double: true, align: 'center' },
    { kind: 'text', text: TITLES[r.kind], bold: true, align: 'center' },
  ];
  if (options.reprint) blocks.push({ kind: 'text', text: '*** REPRINT ***', bold: true, align: 'center' });
  blocks.push(
    { kind: 'rule' },
    { kind: 'row', left: 'Merchant', right: r.merchantId },
    { kind: 'row', left: 'Location', right: `${where}: ${r.location.name}` },
    { kind: 'row', left: 'Terminal', right: `${r.terminalId} #${r.terminalSeq}` },
    { kind: 'row', left: 'Date', right: formatEat(r.time) },
    { kind: 'rule' },
    { kind: 'text', text: r.serviceName },
    { kind: 'row', left: 'Service code', right: String(r.serviceCode) },
    { kind: 'row', left: 'Bill ref', right: r.billRef },
    { kind: 'row', left: amountLabel, right: formatShillings(r.amountCents), bold: true },
    { kind: 'rule' },
    { kind: 'row', left: 'Card', right: maskCardNumber(r.cardNumber) },
    { kind: 'row', left: 'Card counter', right: String(r.cardCounter) },
    { kind: 'row', left: 'New balance', right: formatShillings(r.balanceAfterCents) },
    { kind: 'row', left: 'Proof ref', right: proofReference(r.cardProof) },
    { kind: 'qr', payload: receiptQrPayload(r), moduleSize: 6, errorLevel: 'M' },
    { kind: 'text', text: 'Offline payment signed by your card.', align: 'center' },
  );
  return { blocks, cut: true };
}

function countRow(label: string, t: { count: number; amountCents: number }): PrintBlock {
  return { kind: 'row', left: `${label} (${t.count})`, right: formatShillings(t.amountCents) };
}

/** An X (mid-shift) or Z (closing) report as a printable document. */
export function shiftReportDocument(report: ShiftReport, terminalId: string): PrintableDocument {
  const blocks: PrintBlock[] = [
    { kind: 'text', text: `${report.kind} REPORT`, bold: true, double: true, align: 'center' },
    { kind: 'row', left: 'Terminal', right: terminalId },
    { kind: 'row', left: 'Shift', right: report.shiftId },
    { kind: 'row', left: 'Opened', right: formatEat(report.openedAt) },
    { kind: 'row', left: report.kind === 'Z' ? 'Closed' : 'At', right: formatEat(report.at) },
    { kind: 'rule' },
    countRow('Sales', report.approved),
    countRow('Recovered sales', report.recovered),
    countRow('Cancellations', report.cancelled),
    countRow('Cash reloads', report.reloads),
    countRow('Declined', report.declined),
    countRow('Interrupted', report.interrupted),
    { kind: 'rule' },
  ];
  for (const s of report.byService) blocks.push(countRow(`${s.serviceCode} ${s.name}`.slice(0, 30), s));
  blocks.push(
    { kind: 'rule' },
    { kind: 'row', left: 'NET SALES', right: formatShillings(report.netSalesCents), bold: true },
  );
  if (report.unresolvedPending > 0)
    blocks.push({
      kind: 'text',
      text: `${report.unresolvedPending} pending debit(s) unresolved: follow up`,
      bold: true,
    });
  return { blocks, cut: true };
}
