import { encodeTransactionProof } from '@huduma/card-applet-spec';
import {
  type CardLinkCache,
  type HudumaCard,
  InMemoryCardLinkCache,
  type TapTelemetry,
  type TerminalKeyAgreement,
  type VerifiedProof,
} from '@huduma/sdk';
import { nodeCryptoKeyAgreement } from '@huduma/sdk/node';
import type { IntentEvent, LogEvent } from '@huduma/txlog';
import type { ServiceCatalog } from './catalog';
import type { TerminalConfig } from './config';
import type { DenyList } from './deny-list';
import type {
  ApprovedTransaction,
  Operation,
  RecoveryNotice,
  TerminalEngineOptions,
  TerminalEvent,
} from './engine-types';
import { TerminalBusyError, TransactionRefusedError } from './errors';
import { checkpointDue, clockRefusal } from './housekeeping';
import type { Intent } from './intents';
import type { Ledger } from './ledger';
import { formatReceipt, proofReference, type ReceiptData } from './receipt';
import { isStorageError } from './refusals';
import type { ShiftBook } from './shift-book';
import { type StorageReserve, storageRefusal } from './storage';
import type { SyncState } from './sync-state';

/** What an engine stands on, opened by TerminalEngine.open. */
export interface EngineParts {
  config: TerminalConfig;
  options: TerminalEngineOptions;
  ledger: Ledger;
  /** Open intents of a sidecar journal written by an older version (read-only, settled then forgotten). */
  legacyIntents: Intent[];
  sync: SyncState;
  denyList: DenyList;
  reserve: StorageReserve;
  shifts: ShiftBook;
  catalog: ServiceCatalog;
}

/**
 * What every operation of the engine stands on: the terminal's files (log, sync state, reserve),
 * the shift book, intents (journaled in the log before a command goes to a card), logging what a
 * card did, receipts, events and one operation at a time. Not exported from the package:
 * TerminalEngine is the API.
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
  readonly config: TerminalConfig;
  readonly denyList: DenyList;
  protected readonly options: TerminalEngineOptions;
  protected readonly ledger: Ledger;
  protected readonly legacyIntents: Map<number, Intent>;
  protected readonly sync: SyncState;
  protected readonly reserve: StorageReserve;
  protected readonly shifts: ShiftBook;

  protected constructor(parts: EngineParts) {
    this.config = parts.config;
    this.options = parts.options;
    this.ledger = parts.ledger;
    this.legacyIntents = new Map(parts.legacyIntents.map((i) => [i.terminalSeq, i]));
    this.sync = parts.sync;
    this.denyList = parts.denyList;
    this.reserve = parts.reserve;
    this.shifts = parts.shifts;
    this.catalogValue = parts.catalog;
    this.clock = parts.options.clock ?? Date.now;
    this.linkCache = parts.options.linkCache ?? new InMemoryCardLinkCache();
    // One certified key, separate domains: cards use it for ECDH (v2), and the same private key
    // signs the log's checkpoints and the clearing requests (domain-tagged messages, never ECDH).
    this.cardKeyAgreement = nodeCryptoKeyAgreement({
      certificate: parts.config.certificateBytes,
      privateKey: parts.config.privateKey,
    });
    if (parts.options.onEvent) this.listeners.add(parts.options.onEvent);
  }

  get catalog(): ServiceCatalog {
    return this.catalogValue;
  }

  /** Subscribes to UI events; returns the unsubscribe function. */
  on(listener: (event: TerminalEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Closes the log (making every record durable). */
  async close(): Promise<void> {
    await this.ledger.close();
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
        { params: { expiredAt: notAfterMs } },
      );
  }

  /** Unresolved value commands, oldest first: the log's open intents, and what an older version left. */
  protected unresolved(cardNumber?: string): Intent[] {
    const out = new Map<number, Intent>();
    for (const r of this.ledger.openIntents.values()) out.set(r.terminalSeq, intentOf(r));
    for (const i of this.legacyIntents.values()) {
      const open =
        i.op === 'debit'
          ? this.ledger.pendingDebits.has(i.terminalSeq)
          : !this.ledger.completedSeqs.has(i.terminalSeq) && !this.ledger.resolvedSeqs.has(i.terminalSeq);
      if (open && !out.has(i.terminalSeq)) out.set(i.terminalSeq, i);
    }
    // A legacy pending debit whose sidecar entry is missing still needs settling, but without the
    // expected counter the card cannot be asked (any guess could call a charged sale "not
    // charged"): it is left to the operator and the clearing service.
    for (const p of this.ledger.pendingDebits.values()) {
      if (out.has(p.terminalSeq)) continue;
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
    return [...out.values()]
      .filter((i) => cardNumber === undefined || i.cardNumber === cardNumber)
      .sort((a, b) => a.terminalSeq - b.terminalSeq);
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

  /**
   * Journals a value command in the log, durably (the one fdatasync of a sale: it also makes
   * every earlier deferred record durable), before the command goes to the card. A failed write
   * refuses with nothing charged.
   */
  protected async journalIntent(intent: Omit<IntentEvent, 'type'>): Promise<void> {
    try {
      await this.ledger.append({ type: 'intent', ...intent });
    } catch (err) {
      throw storageRefusal(err, 'before-charge');
    }
  }

  /** A command the card did not execute: the log says so, closing its intent (best effort: recovery re-asks the card). */
  protected async notCharged(terminalSeq: number): Promise<void> {
    await this.ledger
      .appendDeferred({ type: 'pending-resolved', time: this.clock(), terminalSeq, outcome: 'not-charged' })
      .catch(() => {});
    this.legacyIntents.delete(terminalSeq);
  }

  /**
   * Logs what a card has already done (charged, refunded, loaded). `deferred`: written without
   * its own fdatasync (the intent is durable, and the card keeps its proof for recovery: see
   * docs/decisions/one-fsync-per-sale.md). If the disk is full, the reserve is released and the
   * write tried again, durably, once the log is reopened to see what of the failed append reached
   * the disk (the rest is written, nothing twice). Sales then stay refused until the reserve can
   * be grown again (space is back).
   */
  protected async appendCharged(
    terminalSeq: number,
    events: LogEvent[],
    options: { deferred?: boolean } = {},
  ): Promise<void> {
    try {
      if (options.deferred) await this.ledger.appendDeferred(...events);
      else await this.ledger.append(...events);
      this.legacyIntents.delete(terminalSeq);
      return;
    } catch (err) {
      if (!isStorageError(err)) throw err;
    }
    await this.reserve.release();
    await this.ledger.recover();
    const done = this.ledger.completedSeqs.has(terminalSeq);
    const missing = events.filter((e) =>
      e.type === 'pending-resolved'
        ? !done || this.ledger.saleWithoutResolution.has(terminalSeq)
        : !this.ledger.completedSeqs.has(terminalSeq),
    );
    if (missing.length > 0) await this.ledger.append(...missing);
    this.legacyIntents.delete(terminalSeq);
  }

  /** The completion record of a legacy pending-debit also needs its pending-resolved record. */
  protected legacyResolution(terminalSeq: number, time: number): LogEvent[] {
    return this.ledger.pendingDebits.has(terminalSeq)
      ? [{ type: 'pending-resolved', time, terminalSeq, outcome: 'completed' }]
      : [];
  }

  protected allocateSeq(): number {
    const legacy = Math.max(0, ...this.legacyIntents.keys());
    const seq = Math.max(this.ledger.maxTerminalSeq, legacy, this.lastAllocatedSeq) + 1;
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

  /** Announces a refusal (and counts a declined sale in the shift); returns what to throw. */
  protected abstract declined(
    operation: Operation,
    err: unknown,
    order?: { amountCents: number; serviceCode: number },
  ): Promise<unknown>;
}

function intentOf(r: IntentEvent): Intent {
  return {
    kind: 'intent',
    op: r.op,
    terminalSeq: r.terminalSeq,
    cardNumber: r.cardNumber,
    expectedCounter: r.expectedCounter,
    amountCents: r.amountCents,
    billRef: r.billRef,
    serviceCode: r.serviceCode,
    time: r.time,
    ...(r.op === 'undebit' ? { originalTerminalSeq: r.originalTerminalSeq } : {}),
  };
}
