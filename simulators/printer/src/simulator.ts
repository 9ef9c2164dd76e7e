import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import { type PrintedItem, pagePng, pageText } from './page';
import { EscPosParser, type ParsedEvent } from './parser';

export interface PrinterFaults {
  paperOut: boolean;
  paperNearEnd: boolean;
  coverOpen: boolean;
  /** Offline for any other cause (e.g. the feed button held, an error). */
  offline: boolean;
  /** Switched off: answers nothing at all. */
  unpowered: boolean;
}

/** One cut-off piece of paper. */
export interface PrintedPage {
  items: PrintedItem[];
  text: string;
  png(): Uint8Array;
}

export interface PrinterSimulatorEvents {
  page: [PrintedPage];
  unknown: [Extract<ParsedEvent, { kind: 'unknown' }>];
}

/**
 * A receipt printer at the far end of a serial line: parses the ESC/POS it receives, keeps what
 * it prints as pages (text and PNG), answers DLE EOT with the state its faults give, and while
 * out of paper, open or offline prints nothing (the bytes are counted as lost, as on paper).
 */
export class PrinterSimulator extends EventEmitter<PrinterSimulatorEvents> {
  readonly faults: PrinterFaults = {
    paperOut: false,
    paperNearEnd: false,
    coverOpen: false,
    offline: false,
    unpowered: false,
  };
  readonly pages: PrintedPage[] = [];
  readonly unknownCommands: Extract<ParsedEvent, { kind: 'unknown' }>[] = [];
  /** Printed items lost because the printer could not print (paper out, cover open, offline). */
  lostItems = 0;
  private readonly parser = new EscPosParser();
  private current: PrintedItem[] = [];
  private port: SerialPort | undefined;

  /** Handles bytes as received from the line; returns the status bytes to send back. */
  receive(bytes: Uint8Array): Uint8Array {
    if (this.faults.unpowered) return new Uint8Array(0);
    const answers: number[] = [];
    for (const e of this.parser.feed(bytes)) {
      if (e.kind === 'status-query') answers.push(this.statusByte(e.n));
      else if (e.kind === 'unknown') {
        if (this.unknownCommands.length < 1000) this.unknownCommands.push(e);
        this.emit('unknown', e);
      } else if (e.kind === 'cut') this.cut();
      else if (e.kind === 'text' || e.kind === 'feed' || e.kind === 'qr') {
        if (this.canPrint()) this.current.push(e);
        else this.lostItems++;
      }
    }
    return Uint8Array.from(answers);
  }

  /** The page being printed and not yet cut, as text. */
  pendingText(): string {
    return pageText(this.current);
  }

  /** Opens the device end of a serial line (a pty) and serves it. */
  async attach(path: string): Promise<void> {
    const port = new SerialPort({ path, baudRate: 19_200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on('data', (chunk: Buffer) => {
      const answer = this.receive(chunk);
      if (answer.length) port.write(Buffer.from(answer));
    });
    port.on('error', () => {});
    this.port = port;
  }

  async detach(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private canPrint(): boolean {
    return !this.faults.paperOut && !this.faults.coverOpen && !this.faults.offline;
  }

  private cut(): void {
    if (!this.canPrint()) return;
    const items = this.current;
    this.current = [];
    const page: PrintedPage = { items, text: pageText(items), png: () => pagePng(items) };
    this.pages.push(page);
    this.emit('page', page);
  }

  /** DLE EOT n answers (fixed bits 0x12 plus the state bits the printer package reads). */
  private statusByte(n: number): number {
    const f = this.faults;
    switch (n) {
      case 1:
        return 0x12 | (this.canPrint() ? 0 : 0x08);
      case 2:
        return 0x12 | (f.coverOpen ? 0x04 : 0) | (f.paperOut ? 0x20 : 0);
      case 3:
        return 0x12;
      default:
        return 0x12 | (f.paperOut ? 0x60 : 0) | (f.paperNearEnd ? 0x0c : 0);
    }
  }
}
