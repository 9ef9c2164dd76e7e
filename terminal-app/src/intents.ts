import { type FileHandle, open, readFile, truncate } from 'node:fs/promises';

/** A value command the terminal is about to send to a card. */
export interface Intent {
  kind: 'intent';
  op: 'debit' | 'undebit' | 'reload';
  terminalSeq: number;
  cardNumber: string;
  /** The card's transaction counter before the command: what recovery needs to tell "not charged" from "unknown". */
  counterBefore: number;
  amountCents: number;
  billRef: string;
  serviceCode: number;
  /** ms */
  time: number;
  /** terminalSeq of the sale an undebit cancels. */
  originalTerminalSeq?: number;
}

export interface IntentResolution {
  kind: 'resolved';
  terminalSeq: number;
  outcome: 'completed' | 'not-charged' | 'not-sent';
}

type Line = Intent | IntentResolution;

/**
 * Sidecar journal of value commands, written (fsync) before the command goes to the card.
 *
 * Why it exists next to the transaction log: the log's pending-debit record has no field for
 * the card counter before the attempt, which recovery needs, and undebits and reloads have no
 * pending record at all. This file also reserves terminal sequence numbers durably, so a crash
 * can never make the terminal reuse a sequence number that already reached a card.
 * One JSON object per line; a torn last line (crash mid-write) is cut on open.
 */
export class IntentJournal {
  private readonly open = new Map<number, Intent>();
  private maxSeq = 0;

  private constructor(
    private readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  static async open(path: string): Promise<IntentJournal> {
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const lines = text.split('\n');
    // The last element is '' after a final newline, or a torn line: either way not a record.
    const complete = lines.slice(0, -1);
    const goodLength = complete.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    if (goodLength < Buffer.byteLength(text)) await truncate(path, goodLength);
    const fh = await open(path, 'a');
    const journal = new IntentJournal(path, fh);
    for (const l of complete) {
      if (!l) continue;
      journal.apply(JSON.parse(l) as Line);
    }
    return journal;
  }

  private apply(line: Line): void {
    if (line.kind === 'intent') {
      this.open.set(line.terminalSeq, line);
      this.maxSeq = Math.max(this.maxSeq, line.terminalSeq);
    } else {
      this.open.delete(line.terminalSeq);
    }
  }

  /** Highest terminal sequence number ever journalled here. */
  get highestSeq(): number {
    return this.maxSeq;
  }

  /** Intents not yet marked resolved, oldest first. */
  unresolved(cardNumber?: string): Intent[] {
    return [...this.open.values()]
      .filter((i) => cardNumber === undefined || i.cardNumber === cardNumber)
      .sort((a, b) => a.terminalSeq - b.terminalSeq);
  }

  get(terminalSeq: number): Intent | undefined {
    return this.open.get(terminalSeq);
  }

  /** Durably records an intent (resolves after fdatasync). */
  async record(intent: Omit<Intent, 'kind'>): Promise<Intent> {
    const line: Intent = { kind: 'intent', ...intent };
    await this.write(line);
    this.apply(line);
    return line;
  }

  async resolve(terminalSeq: number, outcome: IntentResolution['outcome']): Promise<void> {
    if (!this.open.has(terminalSeq)) return;
    const line: IntentResolution = { kind: 'resolved', terminalSeq, outcome };
    await this.write(line);
    this.apply(line);
  }

  /** Forgets an intent in memory only (its state is carried by the transaction log). */
  forget(terminalSeq: number): void {
    this.open.delete(terminalSeq);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  private async write(line: Line): Promise<void> {
    await this.fh.write(`${JSON.stringify(line)}\n`);
    await this.fh.datasync();
  }

  toString(): string {
    return `IntentJournal(${this.path})`;
  }
}
