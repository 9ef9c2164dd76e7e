/**
 * Receipts for the page, built from the signed log record itself (so what the page shows is what
 * the log holds), with a QR code holding the receipt code (@huduma/clearing-protocol), the same as
 * the printed receipt's: the cardholder checks it on the clearing service's public page.
 */
import { decodeTransactionProof, maskCardNumber } from '@huduma/card-applet-spec';
import { encodeReceiptCode } from '@huduma/clearing-protocol';
import { proofReference, type TerminalEngine } from '@huduma/terminal';
import QRCode from 'qrcode';
import type { LastSaleView } from './live-state';

export type ReceiptKind = 'sale' | 'recovered-sale' | 'cancel' | 'reload';

/** Everything a receipt shows; the page words it in the cashier's language. */
export interface ReceiptView {
  kind: ReceiptKind;
  merchantId: string;
  terminalId: string;
  locationKind: 'huduma-centre' | 'partner-merchant';
  locationName: string;
  /** ms since the epoch (the card's signed time, whole seconds). */
  time: number;
  terminalSeq: number;
  /** Catalog name, or undefined for a typed amount / a reload (the page words those). */
  serviceName: string | undefined;
  serviceCode: number;
  billRef: string;
  amountCents: number;
  maskedCard: string;
  cardCounter: number;
  balanceAfterCents: number;
  proofRef: string;
  /** For a cancellation: the sale it refunds. */
  originalTerminalSeq?: number;
  /** What the receipt's QR code holds: the receipt code; the SVG is receiptQrSvg. */
  qrPayload: string;
}

/** The receipt of the value record with `terminalSeq` in the engine's log, or undefined. */
export async function receiptFromLog(
  engine: TerminalEngine,
  terminalSeq: number,
): Promise<ReceiptView | undefined> {
  for await (const record of engine.records()) {
    if (
      (record.type === 'sale' ||
        record.type === 'recovered-sale' ||
        record.type === 'cancel' ||
        record.type === 'reload') &&
      record.terminalSeq === terminalSeq
    )
      return receiptOf(engine, record);
  }
  return undefined;
}

/** The fields of a value record (sale, recovered sale, cancel, reload) a receipt needs. */
interface ValueRecord {
  type: ReceiptKind;
  terminalSeq: number;
  cardNumber: string;
  amountCents: number;
  cardProof: Uint8Array;
  billRef?: string;
  reference?: string;
  originalTerminalSeq?: number;
}

function receiptOf(engine: TerminalEngine, record: ValueRecord): ReceiptView {
  const proof = decodeTransactionProof(record.cardProof);
  const config = engine.config;
  const serviceCode = record.type === 'reload' ? 0 : proof.record.serviceCode;
  const proofRef = proofReference(record.cardProof);
  const qrPayload = encodeReceiptCode({
    terminalId: config.terminalId,
    terminalSeq: record.terminalSeq,
    proofRef,
  });
  const named = serviceCode !== 0 && engine.catalog.list().some((s) => s.code === serviceCode);
  return {
    kind: record.type,
    merchantId: config.merchantId,
    terminalId: config.terminalId,
    locationKind: config.location.kind,
    locationName: config.location.name,
    time: proof.record.time * 1000,
    terminalSeq: record.terminalSeq,
    serviceName: named ? engine.catalog.nameOf(serviceCode) : undefined,
    serviceCode,
    billRef: record.type === 'reload' ? (record.reference ?? '') : (record.billRef ?? proof.record.billRef),
    amountCents: record.amountCents,
    maskedCard: maskCardNumber(record.cardNumber),
    cardCounter: proof.record.counter,
    balanceAfterCents: proof.record.balanceAfter,
    proofRef,
    ...(record.originalTerminalSeq === undefined ? {} : { originalTerminalSeq: record.originalTerminalSeq }),
    qrPayload,
  };
}

/** Self-contained SVG of a receipt's QR code, generated here (no network, no script). */
export function receiptQrSvg(payload: string): Promise<string> {
  return QRCode.toString(payload, { type: 'svg', errorCorrectionLevel: 'L', margin: 2 });
}

/** The sale "Cancel last" would cancel (the last sale of the log), and whether it already was. */
export async function lastSaleFromLog(engine: TerminalEngine): Promise<LastSaleView | undefined> {
  let last: LastSaleView | undefined;
  const cancelled = new Set<number>();
  for await (const r of engine.records()) {
    if (r.type === 'sale' || r.type === 'recovered-sale')
      last = {
        terminalSeq: r.terminalSeq,
        amountCents: r.amountCents,
        serviceCode: Number(r.serviceCode),
        billRef: r.billRef,
        maskedCard: maskCardNumber(r.cardNumber),
        time: r.time,
        cancelled: false,
      };
    if (r.type === 'cancel') cancelled.add(r.originalTerminalSeq);
  }
  if (last) last.cancelled = cancelled.has(last.terminalSeq);
  return last;
}
