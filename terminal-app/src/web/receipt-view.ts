/**
 * Receipts for the page, built from the signed log record itself (so what the page shows is what
 * the log holds), with a QR code whose payload carries the card's proof and certificate: anyone
 * holding the issuer CA public key can check the transaction offline, with no secret and no
 * network (see verifyReceiptPayload).
 */
import {
  type CardCertificate,
  decodeTransactionProof,
  maskCardNumber,
  verifyCertificateBytes,
  verifyTransactionProof,
} from '@huduma/card-applet-spec';
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
  /** What the receipt's QR code holds (see receiptPayload); the SVG is receiptQrSvg. */
  qrPayload: string;
}

const PAYLOAD_PREFIX = 'HPAY1';

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** `HPAY1:<terminal>:<seq>:<kind>:<proof>:<card certificate>` (base64url). */
export function receiptPayload(args: {
  terminalId: string;
  terminalSeq: number;
  kind: ReceiptKind;
  cardProof: Uint8Array;
  cardCertificate: Uint8Array;
}): string {
  return [
    PAYLOAD_PREFIX,
    args.terminalId,
    args.terminalSeq,
    args.kind,
    b64url(args.cardProof),
    b64url(args.cardCertificate),
  ].join(':');
}

export interface VerifiedReceipt {
  terminalId: string;
  terminalSeq: number;
  kind: ReceiptKind;
  cardNumber: string;
  amountCents: number;
  balanceAfterCents: number;
  counter: number;
}

/**
 * Checks a receipt's QR payload with public keys only: the card certificate against the issuer
 * CA key(s), then the card's signature over the transaction record. Undefined when it fails.
 */
export function verifyReceiptPayload(
  payload: string,
  issuerCaPublicKeys: readonly Uint8Array[],
): VerifiedReceipt | undefined {
  const parts = payload.split(':');
  if (parts.length !== 6 || parts[0] !== PAYLOAD_PREFIX) return undefined;
  const [, terminalId, seqText, kind, proofText, certText] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  try {
    const proofBytes = new Uint8Array(Buffer.from(proofText, 'base64url'));
    const certBytes = new Uint8Array(Buffer.from(certText, 'base64url'));
    let cert: CardCertificate | undefined;
    for (const key of issuerCaPublicKeys) {
      const c = verifyCertificateBytes(certBytes, key);
      if (c?.type === 'card') cert = c;
    }
    if (!cert) return undefined;
    const proof = decodeTransactionProof(proofBytes);
    if (!verifyTransactionProof(cert.cardNumber, proof, cert.signingKey)) return undefined;
    if (String(proof.record.terminalSeq) !== seqText) return undefined;
    return {
      terminalId,
      terminalSeq: proof.record.terminalSeq,
      kind: kind as ReceiptKind,
      cardNumber: cert.cardNumber,
      amountCents: proof.record.amount,
      balanceAfterCents: proof.record.balanceAfter,
      counter: proof.record.counter,
    };
  } catch {
    return undefined;
  }
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
  cardCertificate: Uint8Array;
  billRef?: string;
  reference?: string;
  originalTerminalSeq?: number;
}

function receiptOf(engine: TerminalEngine, record: ValueRecord): ReceiptView {
  const proof = decodeTransactionProof(record.cardProof);
  const config = engine.config;
  const serviceCode = record.type === 'reload' ? 0 : proof.record.serviceCode;
  const qrPayload = receiptPayload({
    terminalId: config.terminalId,
    terminalSeq: record.terminalSeq,
    kind: record.type,
    cardProof: record.cardProof,
    cardCertificate: record.cardCertificate,
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
    proofRef: proofReference(record.cardProof),
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
