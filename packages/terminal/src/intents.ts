import { type FileHandle, open, readFile, rename, rm, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A value command the terminal is about to send to a card. */
export interface Intent {
  kind: 'intent';
  op: 'debit' | 'undebit' | 'reload';
  terminalSeq: number;
  cardNumber: string;
  /**
   * The card counter the command is bound to (SPEC.md §10.4): the card executes it only while its
   * counter equals this value (compare-and-swap), and recovery asks the card for the record with
   * counter expectedCounter + 1. For an undebit it is the refCounter (the sale's counter); for a
   * reload the counter the authorization names. Undefined only for an intent rebuilt from the
   * log's pending-debit alone (its sidecar line lost): the card cannot be asked then.
   */
  expectedCounter: number | undefined;
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

/** Written by compaction: sequence numbers up to this one were used, whatever became of them. */
export interface IntentSeqFloor {
  kind: 'floor';
  terminalSeq: number;
}

type Line = Intent | IntentResolution | IntentSeqFloor;

/**
 * Sidecar journal of value commands, written (fsync) before the command goes to the card.
 *
 * Why it exists next to the transaction log: the log's pending-debit record has no field for
 * the expected card counter (v2's exactly-once key), which recovery needs, and undebits and reloads have no
 * pending record at all. This file also reserves terminal sequence numbers durably, so a crash
 * can never make the terminal reuse a sequence number that already reached a card.
 * One JSON object per line; a torn last line (crash mid-write) is cut on open.
 *
 * Most intents end in the transaction log, not here (the engine forgets them in memory), so the
 * file would grow with every sale; `compact()` rewrites it with only the open intents and a seq
 * floor, atomically (temporary file, fsync, rename, fsync of the directory).
 */
export class IntentJournal {
  private readonly open = new Map<number, Intent>();
  private maxSeq = 0;
  private lines = 0;

  private constructor(
    private readonly path: string,
    private fh: FileHandle,
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
      journal.lines++;
    }
    return journal;
  }

  private apply(line: Line): void {
    if (line.kind === 'intent') {
      this.open.set(line.terminalSeq, line);
      this.maxSeq = Math.max(this.maxSeq, line.terminalSeq);
    } else if (line.kind === 'floor') {
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

  /** Lines in the file now (for deciding when compaction is worth it). */
  get lineCount(): number {
    return this.lines;
  }

  /**
   * Rewrites the file with the floor and the intents `keep` accepts among those still open; the
   * others are dropped from memory too. A crash at any point leaves either the old file or the
   * new one, both complete; an error before the rename leaves everything as it was. Call only
   * while no record() or resolve() is running.
   */
  async compact(keep: (intent: Intent) => boolean = () => true): Promise<void> {
    const kept = this.unresolved().filter(keep);
    const lines: Line[] = [{ kind: 'floor', terminalSeq: this.maxSeq }, ...kept];
    const tmp = `${this.path}.compact`;
    await rm(tmp, { force: true }); // a leftover of a crash mid-compaction
    // Opened for appending: after the rename this handle is the journal, so no reopen can fail.
    const out = await open(tmp, 'a');
    try {
      await out.write(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
      await out.sync();
      await rename(tmp, this.path);
    } catch (err) {
      await out.close().catch(() => {});
      await rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
    const old = this.fh;
    this.fh = out;
    this.lines = lines.length;
    const keepSeqs = new Set(kept.map((i) => i.terminalSeq));
    for (const seq of [...this.open.keys()]) if (!keepSeqs.has(seq)) this.open.delete(seq);
    await old.close().catch(() => {});
    const dir = await open(dirname(this.path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  private async write(line: Line): Promise<void> {
    await this.fh.write(`${JSON.stringify(line)}\n`);
    await this.fh.datasync();
    this.lines++;
  }

  toString(): string {
    return `IntentJournal(${this.path})`;
  }
}
