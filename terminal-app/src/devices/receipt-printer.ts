import {
  type PrintableDocument,
  type PrinterMessageLanguage,
  type PrintFailureReason,
  type PrintResult,
  printerMessage,
} from '@huduma/printer-escpos';
import type { ReceiptData } from '@huduma/terminal';
import { receiptDocument } from './receipt-document';

/** What the cashier is told after a print: nothing when it printed, a reason and wording if not. */
export type PrintReport =
  | { ok: true; what: string }
  | { ok: false; what: string; reason: PrintFailureReason; message: string };

/** The printer as this module needs it (PrinterDevice, or a test's stand-in below the device). */
export interface DocumentPrinter {
  print(doc: PrintableDocument): Promise<PrintResult>;
}

/**
 * Prints receipts without ever holding up a sale: `printReceipt` returns at once, the outcome
 * arrives later through `onReport`, and the last receipts stay available for a reprint. Nothing
 * about money waits for or depends on this.
 */
export class ReceiptPrinting {
  private readonly recent: ReceiptData[] = [];
  private inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly printer: DocumentPrinter,
    private readonly onReport: (report: PrintReport) => void,
    private readonly language: PrinterMessageLanguage = 'en',
    private readonly keep = 20,
  ) {}

  /** Fire-and-report: queue the receipt and return. */
  printReceipt(receipt: ReceiptData): void {
    this.recent.push(receipt);
    if (this.recent.length > this.keep) this.recent.shift();
    this.submit(receiptDocument(receipt), `receipt #${receipt.terminalSeq}`);
  }

  /** Reprints a kept receipt (the last one by default); false when there is none to reprint. */
  reprint(terminalSeq?: number): boolean {
    const r =
      terminalSeq === undefined ? this.recent.at(-1) : this.recent.find((x) => x.terminalSeq === terminalSeq);
    if (!r) return false;
    this.submit(receiptDocument(r, { reprint: true }), `reprint of receipt #${r.terminalSeq}`);
    return true;
  }

  /** Any document (X/Z report); fire-and-report too. */
  printDocument(doc: PrintableDocument, what: string): void {
    this.submit(doc, what);
  }

  /** Waits for prints already started (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private submit(doc: PrintableDocument, what: string): void {
    const job = this.printer
      .print(doc)
      .then(
        (result): PrintReport =>
          result.ok
            ? { ok: true, what }
            : {
                ok: false,
                what,
                reason: result.reason,
                message: printerMessage(result.reason, this.language),
              },
        // PrinterDevice never rejects; any other printer that does still reaches the cashier.
        (): PrintReport => ({
          ok: false,
          what,
          reason: 'write-failed',
          message: printerMessage('write-failed', this.language),
        }),
      )
      .then((report) => {
        try {
          this.onReport(report);
        } catch {
          // A failing report handler must not become an unhandled rejection.
        }
      });
    this.inFlight.add(job);
    void job.finally(() => this.inFlight.delete(job));
  }
}
