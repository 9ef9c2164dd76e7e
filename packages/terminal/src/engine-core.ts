import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeTransactionProof, LifeCycle, maskCardNumber } from '@huduma/card-applet-spec';
import {
  type CardLinkCache,
  HudumaCard,
  InMemoryCardLinkCache,
  type TapTelemetry,
  type TerminalKeyAgreement,
  type VerifiedProof,
} from '@huduma/sdk';
import { nodeCryptoKeyAgreement, nodeCryptoVerify } from '@huduma/sdk/node';
import type { LogEvent } from '@huduma/txlog';
import { kes } from './amount';
import { type SaleOrder, ServiceCatalog } from './catalog';
import { FILES, type TerminalConfig } from './config';
import type { DenyList } from './deny-list';
import type {
  ApprovedTransaction,
  Operation,
  RecoveryNotice,
  TerminalEngineOptions,
  TerminalEvent,
} from './engine-types';
import { TerminalBusyError, TransactionRefusedError } from './errors';
import { checkpointDue, clockRefusal, validateShiftFields } from './housekeeping';
import type { Intent, IntentJournal } from './intents';
import type { Ledger } from './ledger';
import type { CardTap } from './reader';
import { formatReceipt, proofReference, type ReceiptData } from './receipt';
import { isStorageError, toRefusal } from './refusals';
import { computeShiftReport, type DeclineEntry, type ShiftReport } from './reports';
import { type StorageReserve, storageRefusal } from './storage';
import type { SyncState } from './sync-state';

/**
 * What every operation of the engine stands on: the terminal's files (log, intent journal, sync
 * state, reserve), one tap at a time (withCard: select, settle the card's interrupted
 * transactions, card checks), journaling before a command and logging after it, events and
 * refusals. Not exported from the package: TerminalEngine is the API.
 */
export abstract class TerminalEngineCore {
  protected readonly listeners = new Set<(event: TerminalEvent) => void>();
  protected readonly catalogValue: ServiceCatalog;
  protected readonly clock: () => number;
  protected readonly linkCache: CardLinkCache;
  /** The terminal's certified key for ECDH with cards (v2), on OpenSSL. */
  protected readonly cardKeyAgreement: TerminalKeyAgreement;
  protected busy: string | undefined;
  protected lastAllocatedSeq = 0;
  protected readonly needsOperator = new Set<number>();

  protected constructor(
    readonly config: TerminalConfig,
    protected readonly options: TerminalEngineOptions,
    protected readonly ledger: Ledger,
    protected readonly intents: IntentJournal,
    protected readonly sync: SyncState,
    readonly denyList: DenyList,
    private declines: DeclineEntry[],
    protected readonly reserve: StorageReserve,
  ) {
    this.catalogValue = options.catalog ?? new ServiceCatalog();
    this.clock = options.clock ?? Date.now;
    this.linkCache = options.linkCache ?? new InMemoryCardLinkCache();
    // One certified key, separate domains: cards use it for ECDH (v2), and the same private key
    // signs the log's checkpoints and the clearing requests (domain-tagged messages, never ECDH).
    this.cardKeyAgreement = nodeCryptoKeyAgreement({
      certificate: config.certificateBytes,
      privateKey: config.privateKey,
    });
    if (options.onEvent) this.listeners.add(options.onEvent);
  }

  /**
   * Completed intents live on in the sidecar (their outcome is in the log): rewrite it with the
   * open ones when that saves anything. Run at start and at each Z report (no sale in flight).
   * A failure (full disk) is left for the next time: the old journal stays whole and in use.
   */
  protected async compactIntents(): Promise<void> {
    const open = this.intents.unresolved().filter((i) => this.intentStillOpen(i)).length;
    if (this.intents.lineCount <= open + 1) return;
    await this.intents.compact((i) => this.intentStillOpen(i)).catch(() => {});
  }

  get catalog(): ServiceCatalog {
    return this.catalogValue;
  }

  /** Subscribes to UI events; returns the unsubscribe function. */
  on(listener: (event: TerminalEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.ledger.close();
    await this.intents.close();
  }

  /** Records a successful upload to the clearing service (called by the sync client). */
  markSynced(syncedRecordCount: number): Promise<void> {
    return this.sync.markSynced(syncedRecordCount, this.clock());
  }

  /** Records durably that the clearing service revoked this terminal (called by the sync client). */
  markRevoked(detail: string): Promise<void> {
    return this.sync.markRevoked(detail, this.clock());
  }

  /** The room an operation's records need is set aside before any card is asked for. */
  protected async ensureStorage(): Promise<void> {
    await this.reserve.ensure().catch((err) => {
      throw storageRefusal(err, 'before-charge');
    });
  }

  protected checkTerminalCertificate(): void {
    const notAfterMs = this.config.certificate.notAfter * 1000;
    if (this.clock() > notAfterMs)
      throw new TransactionRefusedError(
        'terminal-certificate-expired',
        `This terminal's certificate expired on ${new Date(notAfterMs).toISOString().slice(0, 10)}: no payments until it is renewed.`,
      );
  }

  /**
   * Whether the log leaves this intent's outcome open. A debit is open while its pending-debit
   * record is (that record is written before the command goes to the card); an undebit or a reload
   * until the log holds its completed record.
   */
  protected intentStillOpen(i: Intent): boolean {
    return i.op === 'debit'
      ? this.ledger.pendingDebits.has(i.terminalSeq)
      : !this.ledger.completedSeqs.has(i.terminalSeq);
  }

  /** Unresolved value commands, oldest first. */
  protected unresolved(cardNumber?: string): Intent[] {
    const out = new Map<number, Intent>();
    for (const i of this.intents.unresolved(cardNumber)) {
      if (this.intentStillOpen(i)) out.set(i.terminalSeq, i);
    }
    // A pending debit whose sidecar entry is missing still needs settling, but without the
    // expected counter the card cannot be asked (any guess could call a charged sale "not
    // charged"): it is left to the operator and the clearing service.
    for (const p of this.ledger.pendingDebits.values()) {
      if (out.has(p.terminalSeq) || (cardNumber !== undefined && p.cardNumber !== cardNumber)) continue;
      out.set(p.terminalSeq, {
        kind: 'intent',
        op: 'debit',
        terminalSeq: p.terminalSeq,
        cardNumber: p.cardNumber,
        expectedCounter: undefined,
        amountCents: p.amountCents,
        billRef: p.billRef,
        serviceCode: 0,
        time: p.time,
      });
    }
    return [...out.values()].sort((a, b) => a.terminalSeq - b.terminalSeq);
  }

  /**
   * One tap: wait for a card, select it, settle its interrupted transactions, apply the deny
   * list and the card checks, then run `body`. The card is released whatever happens.
   */
  protected async withCard<T>(
    operation: Operation,
    amountCents: number | undefined,
    signal: AbortSignal | undefined,
    body: (card: HudumaCard, recovered: RecoveryNotice[]) => Promise<T>,
  ): Promise<T> {
    // Every card operation may write records (settling an earlier one too): none with an impossible time.
    const clock = clockRefusal(this.clock());
    if (clock) throw clock;
    this.emit({ type: 'insert-card', operation, ...(amountCents === undefined ? {} : { amountCents }) });
    const tap: CardTap = await this.options.reader.waitForCard(signal ? { signal } : {});
    let telemetry: TapTelemetry | undefined;
    try {
      const card = await HudumaCard.select(tap.transport, {
        trust: { issuerCaPublicKeys: this.config.issuerCaPublicKeys },
        terminal: this.cardKeyAgreement,
        verifySignature: nodeCryptoVerify,
        linkCache: this.linkCache,
        clock: () => Math.floor(this.clock() / 1000),
        telemetry: { onTelemetry: (t) => (telemetry = t) },
      });
      this.emit({
        type: 'card-read',
        cardNumber: card.cardNumber,
        maskedCardNumber: maskCardNumber(card.cardNumber),
        balanceCents: card.purse.balance,
      });
      // Settling needs only the FCI counter and GET TRANSACTION, which a blocked card still answers.
      const recovered = await this.settle(card).catch((err) => {
        throw isStorageError(err) ? storageRefusal(err, 'settle') : err;
      });
      if (card.lifeCycle === LifeCycle.BLOCKED)
        throw new TransactionRefusedError(
          'card-blocked',
          'This card is blocked: keep it and refer the holder to a Huduma Centre.',
        );
      if (this.denyList.has(card.cardNumber)) {
        await card.block('DENY_LISTED');
        await this.ledger.append({
          type: 'card-blocked',
          time: this.clock(),
          cardNumber: card.cardNumber,
          reason: 'deny-listed',
        });
        throw new TransactionRefusedError(
          'deny-listed',
          'This card is on the deny list and has been blocked: keep it and refer the holder to a Huduma Centre.',
        );
      }
      if (operation === 'recover') return await body(card, recovered);
      await card.certificate();
      return await body(card, recovered);
    } finally {
      if (telemetry) this.lastTelemetry = telemetry;
      this.emit({ type: 'remove-card' });
      await tap.release?.().catch(() => {});
    }
  }

  /** Telemetry of the last tap (APDUs, bytes, ms per step). */
  lastTelemetry: TapTelemetry | undefined;

  protected approved(
    operation: 'sale' | 'cancel' | 'reload',
    card: HudumaCard,
    proof: VerifiedProof,
    serviceCode: number,
    recovered: RecoveryNotice[],
  ): ApprovedTransaction {
    const rec = proof.record;
    const receipt = this.receiptFor(operation, card.cardNumber, proof, serviceCode);
    this.emit({ type: 'approved', operation, amountCents: rec.amount, receipt });
    return {
      status: 'approved',
      operation,
      terminalSeq: rec.terminalSeq,
      cardNumber: card.cardNumber,
      amountCents: rec.amount,
      serviceCode,
      serviceName: operation === 'reload' ? 'Cash reload' : this.catalogValue.nameOf(serviceCode),
      billRef: rec.billRef,
      balanceAfterCents: rec.balanceAfter,
      cardCounter: rec.counter,
      proof,
      proofRef: proofReference(encodeTransactionProof(proof)),
      receipt,
      recovered,
      telemetry: card.telemetry,
    };
  }

  protected receiptFor(
    kind: ReceiptData['kind'],
    cardNumber: string,
    proof: VerifiedProof,
    serviceCode: number,
  ): string {
    const rec = proof.record;
    return formatReceipt({
      kind,
      merchantId: this.config.merchantId,
      terminalId: this.config.terminalId,
      location: this.config.location,
      time: rec.time * 1000,
      serviceName: kind === 'reload' ? 'Cash reload' : this.catalogValue.nameOf(serviceCode),
      serviceCode,
      billRef: rec.billRef,
      amountCents: rec.amount,
      cardNumber,
      cardCounter: rec.counter,
      balanceAfterCents: rec.balanceAfter,
      terminalSeq: rec.terminalSeq,
      cardProof: encodeTransactionProof(proof),
    });
  }

  /** Logs a completed cancel/reload; if the log fails, the intent stays open and the next tap records it. */
  protected async appendOrFlag(
    terminalSeq: number,
    amountCents: number,
    event: Parameters<Ledger['append']>[0],
  ): Promise<void> {
    try {
      await this.appendCharged(terminalSeq, event);
    } catch (err) {
      throw new TransactionRefusedError(
        'journal-failed',
        `The card was updated (${kes(amountCents)}) but the terminal could not save it: tap the same card again once storage is fixed.`,
        { cause: err, detail: `terminal seq ${terminalSeq}: ${(err as Error).message}` },
      );
    }
    this.intents.forget(terminalSeq);
  }

  /** Journals an intent before its command goes to a card; a failed write refuses with nothing charged. */
  protected async journal(intent: Omit<Intent, 'kind'>): Promise<void> {
    try {
      await this.intents.record(intent);
    } catch (err) {
      throw storageRefusal(err, 'before-charge');
    }
  }

  /**
   * Logs what a card has already done (charged, refunded, loaded). If the disk is full, the
   * reserve is released and the write tried again, once the log is reopened to see what of the
   * failed append reached the disk (the rest is written, nothing twice). Sales then stay
   * refused until the reserve can be grown again (space is back).
   */
  protected async appendCharged(terminalSeq: number, ...events: LogEvent[]): Promise<void> {
    try {
      await this.ledger.append(...events);
      return;
    } catch (err) {
      if (!isStorageError(err)) throw err;
    }
    await this.reserve.release();
    await this.ledger.recover();
    const done = this.ledger.completedSeqs.has(terminalSeq);
    const missing = events.filter((e) =>
      e.type === 'pending-resolved' ? !done || this.ledger.saleWithoutResolution.has(terminalSeq) : !done,
    );
    if (missing.length > 0) await this.ledger.append(...missing);
  }

  /** Maps whatever stopped an operation to a TransactionRefusedError, records and announces it. */
  protected async declined(operation: Operation, err: unknown, order?: SaleOrder): Promise<unknown> {
    const refusal = toRefusal(err);
    if (!refusal) return err;
    this.emit({ type: 'declined', operation, reason: refusal.reason, message: refusal.cashierMessage });
    if (operation === 'sale') {
      const entry: DeclineEntry = {
        shiftId: this.ledger.shiftId,
        time: this.clock(),
        reason: refusal.reason,
        amountCents: order?.amountCents ?? 0,
        serviceCode: order?.serviceCode ?? 0,
      };
      this.declines.push(entry);
      // Declines are statistics, not money: a lost line costs a report figure, so no fsync.
      await appendFile(join(this.config.dir, FILES.declines), `${JSON.stringify(entry)}\n`).catch(() => {});
    }
    return refusal;
  }

  protected shiftReport(kind: 'X' | 'Z'): ShiftReport {
    return computeShiftReport({
      kind,
      shiftId: this.ledger.shiftId,
      openedAt: this.ledger.shiftOpenedAt,
      at: this.clock(),
      records: this.ledger.shiftRecords,
      declines: this.declines.filter((d) => d.shiftId === this.ledger.shiftId),
      catalog: this.catalogValue,
      unresolvedPending: this.unresolved().length,
    });
  }

  protected async openShift(): Promise<void> {
    const time = this.clock();
    const shiftId = `${this.config.terminalId}-S${this.ledger.shiftCount + 1}`;
    const operatorId = this.options.operatorId ?? 'cashier';
    // What the clearing service cannot store would wedge every later upload: refuse it here.
    validateShiftFields({ shiftId, operatorId, time });
    await this.ledger.append({ type: 'shift-open', time, shiftId, operatorId });
    this.declines = [];
  }

  protected allocateSeq(): number {
    const seq = Math.max(this.ledger.maxTerminalSeq, this.intents.highestSeq, this.lastAllocatedSeq) + 1;
    this.lastAllocatedSeq = seq;
    return seq;
  }

  protected emit(event: TerminalEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A UI listener's failure must not break a payment in progress.
      }
    }
  }

  protected async exclusive<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.busy) throw new TerminalBusyError(this.busy);
    this.busy = what;
    try {
      return await fn();
    } finally {
      await this.autoCheckpoint();
      this.busy = undefined;
    }
  }

  /**
   * Checkpoints on its own after each operation when enough records (or old enough ones) are
   * unsigned, so an upload never meets a long unsigned stretch. Best effort: a failure (full
   * disk) costs nothing, as the uploader seals what has no checkpoint.
   */
  protected async autoCheckpoint(): Promise<void> {
    const now = this.clock();
    if (clockRefusal(now) || !checkpointDue(this.ledger, now)) return;
    await this.ledger.checkpoint(now).catch(() => {});
  }

  /** Settles the card's interrupted transactions (engine-recovery.ts); run at every tap. */
  protected abstract settle(card: HudumaCard): Promise<RecoveryNotice[]>;
}

export async function readDeclines(path: string, shiftId: string): Promise<DeclineEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const out: DeclineEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const d = JSON.parse(line) as DeclineEntry;
      if (d.shiftId === shiftId) out.push(d);
    } catch {
      // a torn last line
    }
  }
  return out;
}
