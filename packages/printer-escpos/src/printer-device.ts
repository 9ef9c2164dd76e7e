import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import type { PrintableDocument } from './document';
import { InvalidDocumentError } from './errors';
import { DLE, EOT, encodeDocument } from './escpos';
import { type PrinterState, type PrinterStatus, parseStatus, STATUS_QUERIES } from './status';

/** Why a print did not come out; keys of the cashier message catalog (messages.ts). */
export type PrintFailureReason = Exclude<PrinterState, 'ready'> | 'write-failed' | 'invalid-document';

export type PrintResult =
  | { ok: true; bytes: number; status: PrinterStatus }
  | { ok: false; reason: PrintFailureReason; detail: string };

export interface PrinterDeviceOptions {
  /** Serial device, e.g. /dev/ttyUSB0 or a pty. */
  path: string;
  baudRate?: number;
  /** How long to wait for a DLE EOT answer before calling the printer unreachable. */
  answerTimeoutMs?: number;
  /** How long a write may take to drain before the print counts as failed. */
  writeTimeoutMs?: number;
  /** Characters per line (48 on 80 mm paper). */
  width?: number;
}

export interface PrinterDeviceEvents {
  status: [PrinterStatus];
  printed: [{ bytes: number }];
  'print-failed': [{ reason: PrintFailureReason; detail: string }];
}

function unreachable(detail: string): PrinterStatus {
  return { state: 'unreachable', paperNearEnd: false, detail: [detail] };
}

/**
 * An ESC/POS printer on a serial line. Every method resolves, never rejects, for anything the
 * printer or the line does: printing is fire-and-report, so a sale never waits on paper or fails
 * because of it. Operations are serialised so a status query never interleaves with a print.
 */
export class PrinterDevice extends EventEmitter<PrinterDeviceEvents> {
  private port: SerialPort | undefined;
  private readonly rx: number[] = [];
  private waiter: (() => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private lastState: PrinterState | undefined;
  private closed = false;

  constructor(private readonly options: PrinterDeviceOptions) {
    super();
  }

  /** Queries DLE EOT 1..4 and returns the typed state. */
  status(): Promise<PrinterStatus> {
    return this.serial(() => this.queryStatus());
  }

  /** Prints a document when the printer is ready; reports why not otherwise. */
  print(doc: PrintableDocument): Promise<PrintResult> {
    return this.serial(async () => {
      const result = await this.printNow(doc);
      if (result.ok) this.emit('printed', { bytes: result.bytes });
      else this.emit('print-failed', { reason: result.reason, detail: result.detail });
      return result;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue.catch(() => {});
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private async printNow(doc: PrintableDocument): Promise<PrintResult> {
    let bytes: Uint8Array;
    try {
      bytes = encodeDocument(doc, { width: this.options.width });
    } catch (err) {
      if (err instanceof InvalidDocumentError)
        return { ok: false, reason: 'invalid-document', detail: `${err.field}: ${err.message}` };
      throw err;
    }
    const before = await this.queryStatus();
    if (before.state !== 'ready')
      return { ok: false, reason: before.state, detail: before.detail.join('; ') };
    const written = await this.write(bytes, this.options.writeTimeoutMs ?? 10_000);
    if (written !== undefined) return { ok: false, reason: 'write-failed', detail: written };
    // Asked again after the job: paper that ran out or a cover opened mid-print means the
    // receipt is incomplete, and the cashier reprints it.
    const after = await this.queryStatus();
    if (after.state !== 'ready') return { ok: false, reason: after.state, detail: after.detail.join('; ') };
    return { ok: true, bytes: bytes.length, status: after };
  }

  private async queryStatus(): Promise<PrinterStatus> {
    const opened = await this.open();
    let status: PrinterStatus;
    if (opened !== undefined) status = unreachable(opened);
    else {
      const answers: number[] = [];
      for (const n of Object.values(STATUS_QUERIES)) {
        const b = await this.ask(n);
        if (b === undefined) break;
        answers.push(b);
      }
      status =
        answers.length < 4
          ? unreachable(`no answer to DLE EOT ${answers.length + 1}`)
          : parseStatus({
              printer: answers[0]!,
              offlineCause: answers[1]!,
              errorCause: answers[2]!,
              paperSensor: answers[3]!,
            });
    }
    if (status.state !== this.lastState) {
      this.lastState = status.state;
      this.emit('status', status);
    }
    return status;
  }

  /** One DLE EOT n, one byte back (or undefined after the answer timeout). */
  private async ask(n: number): Promise<number | undefined> {
    this.rx.length = 0;
    const failed = await this.write(Uint8Array.of(DLE, EOT, n), this.options.answerTimeoutMs ?? 1000);
    if (failed !== undefined) return undefined;
    return this.readByte(this.options.answerTimeoutMs ?? 1000);
  }

  private readByte(timeoutMs: number): Promise<number | undefined> {
    if (this.rx.length) return Promise.resolve(this.rx.shift());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(this.rx.shift());
      };
    });
  }

  /** Writes and drains; resolves undefined on success, or why it failed. */
  private write(bytes: Uint8Array, timeoutMs: number): Promise<string | undefined> {
    const port = this.port;
    if (!port?.isOpen) return Promise.resolve('port not open');
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(`write did not drain in ${timeoutMs} ms`), timeoutMs);
      port.write(Buffer.from(bytes), (err) => {
        if (err) {
          clearTimeout(timer);
          resolve(err.message);
          return;
        }
        port.drain((e) => {
          clearTimeout(timer);
          resolve(e ? e.message : undefined);
        });
      });
    });
  }

  /** Opens the line if needed (again after an unplug); resolves why not, or undefined. */
  private async open(): Promise<string | undefined> {
    if (this.closed) return 'printer closed';
    if (this.port?.isOpen) return undefined;
    const port = new SerialPort({
      path: this.options.path,
      baudRate: this.options.baudRate ?? 19_200,
      autoOpen: false,
    });
    const err = await new Promise<Error | null>((resolve) => port.open((e) => resolve(e)));
    if (err) return `cannot open ${this.options.path}: ${err.message}`;
    port.on('data', (chunk: Buffer) => {
      // Only answers to our own queries are read: a chattering line cannot grow memory.
      for (const b of chunk) if (this.rx.length < 64) this.rx.push(b);
      this.waiter?.();
    });
    port.on('error', () => {}); // a failed write reports through its callback; nothing to crash
    port.on('close', () => {
      if (this.port === port) this.port = undefined;
    });
    this.port = port;
    return undefined;
  }
}
