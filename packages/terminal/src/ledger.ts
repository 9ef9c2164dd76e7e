import {
  type AppendOptions,
  type IntentEvent,
  type LogEvent,
  type LogFileIo,
  type LogRecord,
  type LogSigner,
  type PendingDebitEvent,
  type StoredRecord,
  TransactionLog,
} from '@huduma/txlog';

/** A sale as the ledger remembers it (for cancel-last and reports). */
export interface LedgerSale {
  logSeq: number;
  type: 'sale' | 'recovered-sale';
  terminalSeq: number;
  cardNumber: string;
  amountCents: number;
  billRef: string;
  serviceCode: string;
  cardProof: Uint8Array;
  time: number;
}

/**
 * The transaction log plus what the engine derives from it: the next terminal sequence number,
 * unresolved pending debits, the last sale, and the records of the open shift. Rebuilt from the
 * log on open, so a restart knows exactly what the log knows.
 */
export class Ledger {
  private log: TransactionLog | undefined;
  private broken = false;
  maxTerminalSeq = 0;
  /** Legacy pending-debit records (logs written before intents moved into the log) still open. */
  readonly pendingDebits = new Map<number, PendingDebitEvent & { seq: number }>();
  /** Intent records whose value command has no completion or resolution record yet. */
  readonly openIntents = new Map<number, IntentEvent & { seq: number }>();
  /** terminalSeq of every pending-resolved record whose outcome is final. */
  readonly resolvedSeqs = new Set<number>();
  readonly cancelledSeqs = new Set<number>();
  /** terminalSeq of pending debits whose sale is logged but whose pending-resolved record is not (crash between the two). */
  readonly saleWithoutResolution = new Set<number>();
  /** terminalSeq of every sale, recovered sale, cancel and reload in the log. */
  readonly completedSeqs = new Set<number>();
  lastSale: LedgerSale | undefined;
  shiftId = '';
  shiftOpenedAt = 0;
  /** Shifts opened so far. */
  shiftCount = 0;
  /** Records since the last shift-open (inclusive of nothing before it). */
  shiftRecords: LogRecord[] = [];
  /** Records after the last checkpoint, and the time of the oldest of them (auto-checkpoint policy). */
  uncheckpointed = 0;
  oldestUncheckpointedAt: number | undefined;

  private constructor(
    readonly path: string,
    private readonly options: { signer?: LogSigner; io?: LogFileIo },
  ) {}

  static async open(path: string, options: { signer?: LogSigner; io?: LogFileIo } = {}): Promise<Ledger> {
    const ledger = new Ledger(path, options);
    ledger.log = await TransactionLog.open(path, { ...options, create: true });
    for await (const stored of ledger.log.records()) ledger.track(stored.record);
    return ledger;
  }

  /** Number of records in the log. */
  get count(): number {
    return this.log?.head.count ?? 0;
  }

  /**
   * Appends events durably, with one fdatasync for all of them (the last one's, which covers the
   * others). After an I/O failure the log handle is reopened (which recovers the file) before the
   * next append.
   */
  append(...events: LogEvent[]): Promise<LogRecord[]> {
    return this.appendWith({ durable: true }, events);
  }

  /**
   * Appends events written but not yet synced (see AppendOptions.durable): they become durable with
   * the next durable append, checkpoint, read or close. Only for records a crash recovery can
   * re-derive from what is already durable (an intent) and the card's own proof.
   */
  appendDeferred(...events: LogEvent[]): Promise<LogRecord[]> {
    return this.appendWith({ durable: false }, events);
  }

  /** Makes every record appended so far durable (no-op when nothing awaits an fdatasync). */
  async flush(): Promise<void> {
    const log = await this.usableLog();
    try {
      await log.flush();
    } catch (err) {
      this.broken = true;
      throw err;
    }
  }

  private async appendWith(options: AppendOptions, events: LogEvent[]): Promise<LogRecord[]> {
    const log = await this.usableLog();
    try {
      // Only the last append syncs: appends are serialized, so its fdatasync covers the others.
      const results = await Promise.all(
        events.map((e, i) => log.append(e, i === events.length - 1 ? options : { durable: false })),
      );
      const records = results.map(
        (r, i) => ({ ...events[i]!, seq: r.seq, prevHash: new Uint8Array() }) as LogRecord,
      );
      for (const r of records) this.track(r);
      return records;
    } catch (err) {
      this.broken = true;
      throw err;
    }
  }

  async checkpoint(time: number): Promise<void> {
    const log = await this.usableLog();
    try {
      await log.checkpoint(time);
    } catch (err) {
      this.broken = true;
      throw err;
    }
    this.uncheckpointed = 0;
    this.oldestUncheckpointedAt = undefined;
  }

  /** Reopens the log after a failed write (recovering it to its last whole record) and rebuilds the derived state. */
  async recover(): Promise<void> {
    await this.usableLog();
  }

  async *records(): AsyncGenerator<LogRecord> {
    const log = await this.usableLog();
    for await (const s of log.records()) yield s.record;
  }

  /** Records from `fromSeq` with their exact stored bytes (what an upload sends). */
  async *storedRecords(fromSeq = 0): AsyncGenerator<StoredRecord> {
    const log = await this.usableLog();
    yield* log.records(fromSeq);
  }

  async close(): Promise<void> {
    await this.log?.close().catch(() => {});
    this.log = undefined;
  }

  private async usableLog(): Promise<TransactionLog> {
    if (this.log && !this.broken) return this.log;
    await this.log?.close().catch(() => {});
    this.log = undefined;
    // Reopening recovers the file to its last acknowledged record; rebuild the derived state from it.
    const fresh = await TransactionLog.open(this.path, { ...this.options, create: true });
    this.reset();
    for await (const stored of fresh.records()) this.track(stored.record);
    this.log = fresh;
    this.broken = false;
    return fresh;
  }

  private reset(): void {
    this.maxTerminalSeq = 0;
    this.pendingDebits.clear();
    this.openIntents.clear();
    this.resolvedSeqs.clear();
    this.cancelledSeqs.clear();
    this.completedSeqs.clear();
    this.saleWithoutResolution.clear();
    this.lastSale = undefined;
    this.shiftId = '';
    this.shiftOpenedAt = 0;
    this.shiftCount = 0;
    this.shiftRecords = [];
    this.uncheckpointed = 0;
    this.oldestUncheckpointedAt = undefined;
  }

  private track(r: LogRecord): void {
    if (r.type === 'checkpoint') {
      this.uncheckpointed = 0;
      this.oldestUncheckpointedAt = undefined;
    } else {
      this.uncheckpointed++;
      this.oldestUncheckpointedAt ??= r.time;
    }
    if ('terminalSeq' in r) this.maxTerminalSeq = Math.max(this.maxTerminalSeq, r.terminalSeq);
    if (r.type === 'sale' || r.type === 'recovered-sale' || r.type === 'cancel' || r.type === 'reload') {
      this.completedSeqs.add(r.terminalSeq);
      this.openIntents.delete(r.terminalSeq);
    }
    switch (r.type) {
      case 'intent':
        this.openIntents.set(r.terminalSeq, r);
        break;
      case 'pending-debit':
        this.pendingDebits.set(r.terminalSeq, r);
        break;
      case 'pending-resolved':
        if (r.outcome !== 'unknown') {
          this.pendingDebits.delete(r.terminalSeq);
          this.openIntents.delete(r.terminalSeq);
          this.resolvedSeqs.add(r.terminalSeq);
        }
        this.saleWithoutResolution.delete(r.terminalSeq);
        break;
      case 'sale':
      case 'recovered-sale':
        if (this.pendingDebits.delete(r.terminalSeq)) this.saleWithoutResolution.add(r.terminalSeq);
        this.lastSale = {
          logSeq: r.seq,
          type: r.type,
          terminalSeq: r.terminalSeq,
          cardNumber: r.cardNumber,
          amountCents: r.amountCents,
          billRef: r.billRef,
          serviceCode: r.serviceCode,
          cardProof: r.cardProof,
          time: r.time,
        };
        break;
      case 'cancel':
        this.cancelledSeqs.add(r.originalTerminalSeq);
        break;
      case 'shift-open':
        this.shiftId = r.shiftId;
        this.shiftOpenedAt = r.time;
        this.shiftCount++;
        this.shiftRecords = [];
        return;
      case 'shift-close':
        this.shiftRecords = [];
        return;
    }
    this.shiftRecords.push(r);
  }
}
