import { randomBytes } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Capability,
  decodeTransactionProof,
  encodeTransactionProof,
  LifeCycle,
  Limits,
  maskCardNumber,
} from '@huduma/card-applet-spec';
import {
  type CardLinkCache,
  HudumaCard,
  InMemoryCardLinkCache,
  type TapTelemetry,
  type TerminalKeyAgreement,
  TransactionOutcomeUnknownError,
  type ValueResult,
  type VerifiedProof,
  WrongPinError,
} from '@huduma/sdk';
import { nodeCryptoKeyAgreement, nodeCryptoVerify } from '@huduma/sdk/node';
import { type LogEvent, type LogFileIo, nodeCryptoSigner, type StoredRecord } from '@huduma/txlog';
import { formatKes } from './amount';
import { cashierText } from './cashier-messages';
import { resolveSale, type SaleInput, type SaleOrder, ServiceCatalog } from './catalog';
import { FILES, loadTerminalConfig, type TerminalConfig } from './config';
import { DenyList } from './deny-list';
import { type RefusalReason, TerminalBusyError, TransactionRefusedError } from './errors';
import { checkpointDue, clockRefusal, validateShiftFields } from './housekeeping';
import { type Intent, IntentJournal } from './intents';
import { Ledger } from './ledger';
import type { LoadAuthorizer } from './load-authorizer';
import type { CardReader, CardTap } from './reader';
import { formatReceipt, proofReference, type ReceiptData } from './receipt';
import { isOutcomeUnknown, isStorageError, outcomeUnknown, toRefusal } from './refusals';
import { computeShiftReport, type DeclineEntry, type ShiftReport } from './reports';
import { StorageReserve, storageRefusal } from './storage';
import { SyncState } from './sync-state';

/** Asks the cardholder for the PIN. Resolve `undefined` when the cardholder cancels. */
export interface PinPad {
  requestPin(request: {
    cardNumber: string;
    amountCents: number;
    triesLeft: number;
    attempt: number;
  }): Promise<string | undefined>;
}

/** What an earlier interrupted transaction turned out to be, found on a later tap of the same card. */
export interface RecoveryNotice {
  op: Intent['op'];
  terminalSeq: number;
  cardNumber: string;
  amountCents: number;
  outcome: 'completed' | 'not-charged' | 'unknown';
  /** For the cashier, e.g. "The earlier sale of KES 250.00 went through." */
  message: string;
  /** Receipt of a completed transaction. */
  receipt?: string;
}

/** Events for the UI (cashier console, CLI, tests). The engine itself never prints. */
export type TerminalEvent =
  | { type: 'insert-card'; operation: Operation; amountCents?: number }
  | { type: 'card-read'; cardNumber: string; maskedCardNumber: string; balanceCents: number }
  | { type: 'enter-pin'; triesLeft: number; attempt: number }
  | { type: 'wrong-pin'; triesLeft: number }
  | { type: 'processing'; operation: Operation }
  | { type: 'recovered'; notice: RecoveryNotice }
  | { type: 'operator-attention'; message: string; terminalSeq?: number }
  | { type: 'approved'; operation: Operation; amountCents: number; receipt: string }
  | { type: 'declined'; operation: Operation; reason: RefusalReason; message: string }
  | { type: 'remove-card' };

export type Operation = 'sale' | 'cancel' | 'reload' | 'recover';

/** The result of a value transaction the card signed. */
export interface ApprovedTransaction {
  status: 'approved';
  operation: 'sale' | 'cancel' | 'reload';
  terminalSeq: number;
  cardNumber: string;
  amountCents: number;
  serviceCode: number;
  serviceName: string;
  billRef: string;
  balanceAfterCents: number;
  cardCounter: number;
  proof: VerifiedProof;
  /** First 8 hex digits of SHA-256 of the 130-byte proof. */
  proofRef: string;
  receipt: string;
  /** Interrupted transactions of this card settled during this tap. */
  recovered: RecoveryNotice[];
  telemetry: TapTelemetry;
}

export interface UnresolvedTransaction {
  op: Intent['op'];
  terminalSeq: number;
  cardNumber: string;
  amountCents: number;
  billRef: string;
  time: number;
  /** The card was asked and could not tell (ring rolled over): settle with the clearing service. */
  needsOperator: boolean;
}

export interface TerminalStatus {
  terminalId: string;
  merchantId: string;
  location: TerminalConfig['location'];
  /** ms */
  certificateNotAfter: number;
  certificateExpired: boolean;
  shiftId: string;
  shiftOpenedAt: number;
  logRecords: number;
  unsyncedRecords: number;
  lastSyncAt: number;
  offlineForMs: number;
  /** Why offline sales are refused right now (undefined: they are allowed). */
  offlineRefusal: { reason: RefusalReason; message: string } | undefined;
  denyListVersion: number;
  unresolved: UnresolvedTransaction[];
}

export interface TerminalEngineOptions {
  /** Provisioned terminal directory (see initTerminal). */
  dir: string;
  reader: CardReader;
  pinPad?: PinPad;
  /** Needed for reloads (Huduma Centre counters). */
  loadAuthorizer?: LoadAuthorizer;
  catalog?: ServiceCatalog;
  /** ms since the epoch (default Date.now). */
  clock?: () => number;
  /** Fault injection for the transaction log (full disk, failing fsync). */
  logIo?: LogFileIo;
  /**
   * Per card: its verified certificate and the link key K.link (a secret) this terminal shares
   * with it, so a repeat tap skips GET DATA and the ECDH (SPEC.md §9.3). Default: in memory.
   */
  linkCache?: CardLinkCache;
  onEvent?: (event: TerminalEvent) => void;
  /** Operator id written in shift-open records. */
  operatorId?: string;
}

const UNDEBIT_WINDOW_MS = 900_000;

function kes(cents: number): string {
  return `KES ${formatKes(cents)}`;
}

/**
 * The transaction engine of a Huduma counter terminal: sales, cancellations, reloads, tear
 * recovery and shift totals over one card reader, with every value command journalled durably
 * before it is sent and its card proof logged before it is approved. UI-free: it reports what
 * the cashier should see through events and typed results.
 */
export class TerminalEngine {
  private readonly listeners = new Set<(event: TerminalEvent) => void>();
  private readonly catalogValue: ServiceCatalog;
  private readonly clock: () => number;
  private readonly linkCache: CardLinkCache;
  /** The terminal's certified key for ECDH with cards (v2), on OpenSSL. */
  private readonly cardKeyAgreement: TerminalKeyAgreement;
  private busy: string | undefined;
  private lastAllocatedSeq = 0;
  private readonly needsOperator = new Set<number>();

  private constructor(
    readonly config: TerminalConfig,
    private readonly options: TerminalEngineOptions,
    private readonly ledger: Ledger,
    private readonly intents: IntentJournal,
    private readonly sync: SyncState,
    readonly denyList: DenyList,
    private declines: DeclineEntry[],
    private readonly reserve: StorageReserve,
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

  /** Opens a provisioned terminal: rebuilds its state from the log and opens a shift if none is open. */
  static async open(options: TerminalEngineOptions): Promise<TerminalEngine> {
    const config = await loadTerminalConfig(options.dir);
    const clock = options.clock ?? Date.now;
    const signer = nodeCryptoSigner(config.privateKey, config.terminalId);
    const ledger = await Ledger.open(join(options.dir, FILES.log), { signer, io: options.logIo });
    const intents = await IntentJournal.open(join(options.dir, FILES.intents));
    const sync = await SyncState.open(join(options.dir, FILES.sync), clock());
    const denyList = await DenyList.open(join(options.dir, FILES.denyList));
    const declines = await readDeclines(join(options.dir, FILES.declines), ledger.shiftId);
    const reserve = new StorageReserve(join(options.dir, FILES.reserve), options.dir);
    // A full disk at start does not stop the terminal opening: sales are refused until it has room.
    await reserve.ensure().catch(() => {});
    const engine = new TerminalEngine(config, options, ledger, intents, sync, denyList, declines, reserve);
    // A crash between a sale record and its pending-resolved record: write the missing half,
    // so the log itself says every pending debit is settled.
    for (const terminalSeq of [...ledger.saleWithoutResolution])
      await ledger.append({ type: 'pending-resolved', time: clock(), terminalSeq, outcome: 'completed' });
    if (!ledger.shiftId) await engine.openShift();
    await engine.compactIntents();
    return engine;
  }

  /**
   * Completed intents live on in the sidecar (their outcome is in the log): rewrite it with the
   * open ones when that saves anything. Run at start and at each Z report (no sale in flight).
   * A failure (full disk) is left for the next time: the old journal stays whole and in use.
   */
  private async compactIntents(): Promise<void> {
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

  // ---------------------------------------------------------------- status and reports

  status(): TerminalStatus {
    const now = this.clock();
    const cert = this.config.certificate;
    return {
      terminalId: this.config.terminalId,
      merchantId: this.config.merchantId,
      location: this.config.location,
      certificateNotAfter: cert.notAfter * 1000,
      certificateExpired: now > cert.notAfter * 1000,
      shiftId: this.ledger.shiftId,
      shiftOpenedAt: this.ledger.shiftOpenedAt,
      logRecords: this.ledger.count,
      unsyncedRecords: this.unsyncedRecords(),
      lastSyncAt: this.sync.lastSyncAt,
      offlineForMs: now - this.sync.lastSyncAt,
      offlineRefusal: this.offlineRefusal(),
      denyListVersion: this.denyList.version,
      unresolved: this.unresolved().map((i) => ({
        op: i.op,
        terminalSeq: i.terminalSeq,
        cardNumber: i.cardNumber,
        amountCents: i.amountCents,
        billRef: i.billRef,
        time: i.time,
        needsOperator: this.needsOperator.has(i.terminalSeq),
      })),
    };
  }

  /** X report: running totals of the open shift. */
  xReport(): ShiftReport {
    return this.shiftReport('X');
  }

  /** Z report: closes the shift (shift-close record, signed checkpoint) and opens the next one. */
  async zReport(): Promise<ShiftReport> {
    return this.exclusive('Z report', async () => {
      const report = this.shiftReport('Z');
      validateShiftFields({ shiftId: report.shiftId, time: report.at });
      const saleCount = report.approved.count + report.recovered.count;
      await this.ledger.append({
        type: 'shift-close',
        time: report.at,
        shiftId: report.shiftId,
        saleCount,
        saleTotalCents: report.approved.amountCents + report.recovered.amountCents,
      });
      await this.ledger.checkpoint(report.at);
      await this.openShift();
      await this.compactIntents();
      return report;
    });
  }

  /** The transaction log's records (for export and tests). */
  records() {
    return this.ledger.records();
  }

  /** Records from `fromSeq` with their exact stored bytes, for the uploader. */
  storedRecords(fromSeq = 0): AsyncGenerator<StoredRecord> {
    return this.ledger.storedRecords(fromSeq);
  }

  /**
   * Appends a checkpoint signed by the terminal key over everything logged so far (the uploader
   * does this before an upload). Safe during a sale: appends are serialized by the log.
   */
  checkpoint(): Promise<void> {
    const now = this.clock();
    // A checkpoint stamped with an impossible time would wedge uploads (the uploader seals instead).
    const clock = clockRefusal(now);
    if (clock) return Promise.reject(clock);
    return this.ledger.checkpoint(now);
  }

  /** Records the clearing service has acknowledged (records 0..n-1). */
  get syncedRecordCount(): number {
    return this.sync.syncedRecordCount;
  }

  // ---------------------------------------------------------------- sale

  /**
   * Sells a catalog service or a typed amount: terminal checks, wait for a card, card checks,
   * PIN if needed, journal, DEBIT, log, approve. Throws TransactionRefusedError with a cashier
   * message when declined; nothing is charged then, except for reason 'outcome-unknown', which
   * the next tap of the same card settles.
   */
  async sale(input: SaleInput, options: { signal?: AbortSignal } = {}): Promise<ApprovedTransaction> {
    return this.exclusive('a sale', async () => {
      let order: SaleOrder | undefined;
      try {
        order = resolveSale(this.catalogValue, input);
        this.checkTerminalForSale(order.amountCents);
        await this.ensureStorage();
        const o = order;
        return await this.withCard('sale', o.amountCents, options.signal, (card, recovered) =>
          this.debitCard(card, o, recovered),
        );
      } catch (err) {
        throw await this.declined('sale', err, order);
      }
    });
  }

  /** The room an operation's records need is set aside before any card is asked for. */
  private async ensureStorage(): Promise<void> {
    await this.reserve.ensure().catch((err) => {
      throw storageRefusal(err, 'before-charge');
    });
  }

  private checkTerminalForSale(amountCents: number): void {
    const clock = clockRefusal(this.clock());
    if (clock) throw clock;
    this.checkTerminalCertificate();
    const { limits } = this.config;
    if (amountCents > limits.perSaleOfflineLimitCents)
      throw new TransactionRefusedError(
        'per-sale-limit',
        `Amount ${kes(amountCents)} is above this terminal's offline limit of ${kes(limits.perSaleOfflineLimitCents)} per sale.`,
      );
    const refusal = this.offlineRefusal();
    if (refusal) throw new TransactionRefusedError(refusal.reason, refusal.message);
  }

  private checkTerminalCertificate(): void {
    const notAfterMs = this.config.certificate.notAfter * 1000;
    if (this.clock() > notAfterMs)
      throw new TransactionRefusedError(
        'terminal-certificate-expired',
        `This terminal's certificate expired on ${new Date(notAfterMs).toISOString().slice(0, 10)}: no payments until it is renewed.`,
      );
  }

  private offlineRefusal(): { reason: RefusalReason; message: string } | undefined {
    // Revoked: whatever it approved now could never be settled, so it approves nothing.
    if (this.sync.revoked) return { reason: 'terminal-revoked', message: cashierText('terminal-revoked') };
    const { limits } = this.config;
    const offlineMs = this.clock() - this.sync.lastSyncAt;
    if (offlineMs > limits.maxOfflineMs) {
      const h = (ms: number) => `${Math.floor(ms / 3600_000)} h`;
      return {
        reason: 'offline-too-long',
        message: `Terminal not synced for ${h(offlineMs)} (limit ${h(limits.maxOfflineMs)}): connect and sync before taking more payments.`,
      };
    }
    const unsynced = this.unsyncedRecords();
    if (unsynced >= limits.maxUnsyncedRecords)
      return {
        reason: 'too-many-unsynced',
        message: `${unsynced} transactions are waiting to be uploaded (limit ${limits.maxUnsyncedRecords}): connect and sync before taking more payments.`,
      };
    return undefined;
  }

  private unsyncedRecords(): number {
    return Math.max(0, this.ledger.count - this.sync.syncedRecordCount);
  }

  private async debitCard(
    card: HudumaCard,
    order: SaleOrder,
    recovered: RecoveryNotice[],
  ): Promise<ApprovedTransaction> {
    const purse = card.purse;
    if (purse.offlineSpend + order.amountCents > purse.offlineLimit)
      throw new TransactionRefusedError(
        'card-offline-limit',
        `This card has reached its offline spending limit (${kes(purse.offlineSpend)} of ${kes(purse.offlineLimit)} spent): reload it at a Huduma Centre first.`,
      );
    if (purse.balance < order.amountCents)
      throw new TransactionRefusedError(
        'insufficient-funds',
        `Insufficient balance: the card holds ${kes(purse.balance)}, the sale is ${kes(order.amountCents)}.`,
      );
    // The card refuses any debit with 32 records it has not synced (SPEC.md §2.12): say why first.
    if (purse.counter - purse.syncedThrough >= Limits.RING_SIZE)
      throw new TransactionRefusedError('sync-required', cashierText('sync-required'));
    // The card decides (per amount and cumulative no-PIN spend); asking first saves a refused round trip.
    if (
      order.amountCents > this.config.limits.cvmLimitCents ||
      card.pinRequiredFor(order.amountCents) !== false
    )
      await this.verifyPin(card, order.amountCents);

    // Journal first, with the counter the DEBIT is bound to (the card's compare-and-swap, §10.4):
    // if the power fails from here on, the next tap asks the card what became of that counter.
    const terminalSeq = this.allocateSeq();
    const now = this.clock();
    const expectedCounter = card.purse.counter;
    await this.journal({
      op: 'debit',
      terminalSeq,
      cardNumber: card.cardNumber,
      expectedCounter,
      amountCents: order.amountCents,
      billRef: order.billRef,
      serviceCode: order.serviceCode,
      time: now,
    });
    try {
      await this.ledger.append({
        type: 'pending-debit',
        time: now,
        terminalSeq,
        cardNumber: card.cardNumber,
        amountCents: order.amountCents,
        billRef: order.billRef,
      });
    } catch (err) {
      this.intents.forget(terminalSeq);
      throw storageRefusal(err, 'before-charge');
    }
    this.emit({ type: 'processing', operation: 'sale' });
    let proof: VerifiedProof | 'not-executed';
    try {
      const result = await card.debit({
        amount: order.amountCents,
        terminalSeq,
        billRef: order.billRef,
        serviceCode: order.serviceCode,
        expectedCounter,
        time: Math.floor(now / 1000),
      });
      proof = await this.proofOf(card, result, { expectedCounter, terminalSeq, amount: order.amountCents });
    } catch (err) {
      if (isOutcomeUnknown(err)) throw outcomeUnknown(order.amountCents, err);
      // The card answered with a refusal: nothing was charged.
      await this.notCharged(terminalSeq);
      throw err;
    }
    if (proof === 'not-executed') {
      await this.notCharged(terminalSeq);
      throw new TransactionRefusedError('card-changed', cashierText('card-changed'));
    }
    const cardCertificate = (await card.certificate()).bytes;
    try {
      await this.appendCharged(
        terminalSeq,
        {
          type: 'sale',
          time: this.clock(),
          terminalSeq,
          cardNumber: card.cardNumber,
          amountCents: order.amountCents,
          billRef: order.billRef,
          serviceCode: String(order.serviceCode),
          cardProof: encodeTransactionProof(proof),
          cardCertificate,
        },
        { type: 'pending-resolved', time: this.clock(), terminalSeq, outcome: 'completed' },
      );
    } catch (err) {
      // Even the reserve did not help: the pending-debit is on disk, so the next tap of this
      // card records it as a recovered sale. Do not approve now.
      throw storageRefusal(err, 'charged');
    }
    this.intents.forget(terminalSeq);
    return this.approved('sale', card, proof, order.serviceCode, recovered);
  }

  /** A debit the card did not execute: the log says so and the intent is closed (best effort). */
  private async notCharged(terminalSeq: number): Promise<void> {
    await this.ledger
      .append({ type: 'pending-resolved', time: this.clock(), terminalSeq, outcome: 'not-charged' })
      .then(() => this.intents.forget(terminalSeq))
      .catch(() => {});
  }

  /**
   * The proof of a DEBIT/UNDEBIT the card answered. STALE means the card's counter is no longer
   * the one the command was bound to, so this command did not execute and never will; SPEC.md
   * §10.4 resolves it at once, the card being present: GET TRANSACTION (expectedCounter + 1)
   * says whether an earlier attempt did. 'synced' cannot be told by the card: thrown as
   * outcome unknown, the intent stays open for the operator.
   */
  private async proofOf(
    card: HudumaCard,
    result: ValueResult,
    intent: { expectedCounter: number; terminalSeq: number; amount: number; type?: 'debit' | 'undebit' },
  ): Promise<VerifiedProof | 'not-executed'> {
    if (result.outcome !== 'stale') return result.proof;
    const found = await card.recoverTransaction(intent);
    if (found.status === 'executed') return found.proof;
    if (found.status === 'not-executed') return 'not-executed';
    const code = intent.type === 'undebit' ? 'ERR_UNDEBIT_OUTCOME_UNKNOWN' : 'ERR_DEBIT_OUTCOME_UNKNOWN';
    throw new TransactionOutcomeUnknownError(code, {
      operation: intent.type ?? 'debit',
      cardNumber: card.cardNumber,
      terminalSeq: intent.terminalSeq,
      counterBefore: intent.expectedCounter,
      cause: new Error('the card synced the record with the expected counter + 1'),
    });
  }

  private async verifyPin(card: HudumaCard, amountCents: number): Promise<void> {
    const pinPad = this.options.pinPad;
    let triesLeft = card.purse.pinTriesLeft;
    if (triesLeft === 0)
      throw new TransactionRefusedError(
        'pin-blocked',
        'The card PIN is blocked: the holder must unblock it with the PUK.',
      );
    if (!pinPad)
      throw new TransactionRefusedError(
        'pin-cancelled',
        `A PIN is needed above ${kes(this.config.limits.cvmLimitCents)} and this terminal has no PIN pad.`,
      );
    for (let attempt = 1; ; attempt++) {
      this.emit({ type: 'enter-pin', triesLeft, attempt });
      const pin = await pinPad.requestPin({ cardNumber: card.cardNumber, amountCents, triesLeft, attempt });
      if (pin === undefined) {
        if (attempt > 1)
          throw new TransactionRefusedError(
            'wrong-pin',
            `Wrong PIN: ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left. No payment taken.`,
            { triesLeft },
          );
        throw new TransactionRefusedError('pin-cancelled', 'PIN entry cancelled: no payment taken.');
      }
      try {
        await card.verifyPin(pin);
        return;
      } catch (err) {
        if (err instanceof WrongPinError) {
          triesLeft = err.triesLeft;
          this.emit({ type: 'wrong-pin', triesLeft });
          if (triesLeft > 0) continue;
          throw new TransactionRefusedError(
            'pin-blocked',
            'Wrong PIN: no tries left, the PIN is now blocked. No payment taken.',
            { triesLeft: 0, cause: err },
          );
        }
        throw err;
      }
    }
  }

  // ---------------------------------------------------------------- cancel

  /** Cancels this terminal's last sale on the same card (UNDEBIT) within 15 minutes. */
  async cancelLast(options: { signal?: AbortSignal } = {}): Promise<ApprovedTransaction> {
    return this.exclusive('a cancellation', async () => {
      const sale = this.ledger.lastSale;
      try {
        if (!sale || this.ledger.cancelledSeqs.has(sale.terminalSeq))
          throw new TransactionRefusedError(
            'nothing-to-cancel',
            'There is no sale to cancel on this terminal.',
          );
        const debit = decodeTransactionProof(sale.cardProof).record;
        if (this.clock() - debit.time * 1000 > UNDEBIT_WINDOW_MS)
          throw new TransactionRefusedError(
            'undebit-refused',
            'The last sale is more than 15 minutes old: it can no longer be cancelled at the counter.',
          );
        await this.ensureStorage();
        return await this.withCard('cancel', sale.amountCents, options.signal, async (card, recovered) => {
          if (card.cardNumber !== sale.cardNumber)
            throw new TransactionRefusedError(
              'nothing-to-cancel',
              `This is not the card of the last sale (${maskCardNumber(sale.cardNumber)}).`,
            );
          // UNDEBIT cancels the card's last transaction only (§6.9): its counter is the sale's.
          if (card.purse.counter !== debit.counter)
            throw new TransactionRefusedError(
              'undebit-refused',
              'The card has been used since this sale: it can no longer be cancelled at the counter.',
            );
          const terminalSeq = this.allocateSeq();
          const now = this.clock();
          await this.journal({
            op: 'undebit',
            terminalSeq,
            cardNumber: card.cardNumber,
            expectedCounter: debit.counter,
            amountCents: sale.amountCents,
            billRef: sale.billRef,
            serviceCode: debit.serviceCode,
            time: now,
            originalTerminalSeq: sale.terminalSeq,
          });
          this.emit({ type: 'processing', operation: 'cancel' });
          let proof: VerifiedProof | 'not-executed';
          try {
            const result = await card.undebit({
              refCounter: debit.counter,
              amount: sale.amountCents,
              terminalSeq,
              time: Math.floor(now / 1000),
            });
            proof = await this.proofOf(card, result, {
              expectedCounter: debit.counter,
              terminalSeq,
              amount: sale.amountCents,
              type: 'undebit',
            });
          } catch (err) {
            if (isOutcomeUnknown(err)) throw outcomeUnknown(sale.amountCents, err, 'cancellation');
            await this.intents.resolve(terminalSeq, 'not-charged').catch(() => {});
            throw err;
          }
          if (proof === 'not-executed') {
            await this.intents.resolve(terminalSeq, 'not-charged').catch(() => {});
            throw new TransactionRefusedError('card-changed', cashierText('card-changed'));
          }
          await this.appendOrFlag(terminalSeq, sale.amountCents, {
            type: 'cancel',
            time: this.clock(),
            terminalSeq,
            originalTerminalSeq: sale.terminalSeq,
            cardNumber: card.cardNumber,
            amountCents: sale.amountCents,
            billRef: sale.billRef,
            cardProof: encodeTransactionProof(proof),
            cardCertificate: (await card.certificate()).bytes,
          });
          return this.approved('cancel', card, proof, debit.serviceCode, recovered);
        });
      } catch (err) {
        throw await this.declined('cancel', err);
      }
    });
  }

  // ---------------------------------------------------------------- reload

  /** Cash reload at a Huduma Centre counter, authorized online through the LoadAuthorizer. */
  async reload(
    args: { amountCents: number; reference?: string },
    options: { signal?: AbortSignal } = {},
  ): Promise<ApprovedTransaction> {
    return this.exclusive('a reload', async () => {
      try {
        const authorizer = this.options.loadAuthorizer;
        if (this.config.location.kind !== 'huduma-centre' || !authorizer)
          throw new TransactionRefusedError(
            'load-declined',
            'Reloads are only done at Huduma Centre counters.',
          );
        if ((this.config.certificate.capabilities & Capability.RELOAD) === 0)
          throw new TransactionRefusedError(
            'terminal-not-authorized',
            'This terminal is not certified for reloads.',
          );
        if (!Number.isSafeInteger(args.amountCents) || args.amountCents < 0)
          throw new RangeError(`reload amount must be non-negative integer cents, got ${args.amountCents}`);
        this.checkTerminalCertificate();
        await this.ensureStorage();
        return await this.withCard('reload', args.amountCents, options.signal, async (card, recovered) => {
          // The load authority signs only once the clearing service holds every record of the
          // card (§6.10, §2.12): the card's records go with the request.
          const cardRecords = (await this.ringRecords(card)).map((p) => ({
            proof: encodeTransactionProof(p),
          }));
          const cardCertificate = (await card.certificate()).bytes;
          const context = await card.reloadContext();
          const terminalSeq = this.allocateSeq();
          const terminalNonce = new Uint8Array(randomBytes(8));
          const reference = (args.reference ?? `CASH-${terminalSeq}`).slice(0, 16);
          await this.journal({
            op: 'reload',
            terminalSeq,
            cardNumber: card.cardNumber,
            expectedCounter: context.counter,
            amountCents: args.amountCents,
            billRef: reference,
            serviceCode: 0,
            time: this.clock(),
          });
          let authorization: Uint8Array;
          try {
            authorization = await authorizer.authorize({
              cardNumber: card.cardNumber,
              counter: context.counter,
              challenge: context.challenge,
              amount: args.amountCents,
              currency: card.purse.currency,
              terminalId: this.config.terminalId,
              terminalSeq,
              terminalNonce,
              reference,
              time: Math.floor(this.clock() / 1000),
              cardRecords,
              cardCertificate,
            });
          } catch (err) {
            await this.intents.resolve(terminalSeq, 'not-sent');
            throw new TransactionRefusedError(
              'load-declined',
              `The reload was not authorized: ${(err as Error).message}`,
              {
                cause: err,
              },
            );
          }
          this.emit({ type: 'processing', operation: 'reload' });
          let proof: VerifiedProof;
          try {
            proof = await card.reload(authorization);
          } catch (err) {
            if (isOutcomeUnknown(err)) throw outcomeUnknown(args.amountCents, err, 'reload');
            await this.intents.resolve(terminalSeq, 'not-charged').catch(() => {});
            throw err;
          }
          await this.appendOrFlag(terminalSeq, args.amountCents, {
            type: 'reload',
            time: this.clock(),
            terminalSeq,
            cardNumber: card.cardNumber,
            amountCents: args.amountCents,
            reference,
            cardProof: encodeTransactionProof(proof),
            cardCertificate: (await card.certificate()).bytes,
          });
          return this.approved('reload', card, proof, 0, recovered);
        });
      } catch (err) {
        throw await this.declined('reload', err);
      }
    });
  }

  /**
   * Every record still in the card's ring, newest first: the unsynced ones (`unsyncedRecords`,
   * counter > syncedThrough) and the synced ones the ring still holds. A superset, because the
   * card counts a reload's own record as synced although its authorization may not have come
   * through this clearing service (a card issued with a balance); at most 32 READ RECORDs, at a
   * reload counter only.
   */
  private async ringRecords(card: HudumaCard): Promise<VerifiedProof[]> {
    const unsynced = await card.unsyncedRecords();
    const out = [...unsynced];
    const inRing = Math.min(Limits.RING_SIZE, card.purse.counter);
    for (let n = unsynced.length + 1; n <= inRing; n++) {
      // A slot may be empty on a card whose ring never filled (or was overwritten): stop there.
      const proof = await card.readRecord(n).catch(() => undefined);
      if (!proof) break;
      out.push(proof);
    }
    return out;
  }

  // ---------------------------------------------------------------- recovery

  /**
   * Waits for a card and settles its interrupted transactions (the same happens at the start of
   * every sale, cancel and reload tap). Returns what was found.
   */
  async recoverCard(options: { signal?: AbortSignal } = {}): Promise<RecoveryNotice[]> {
    return this.exclusive('a recovery', async () => {
      try {
        return await this.withCard(
          'recover',
          undefined,
          options.signal,
          async (_card, recovered) => recovered,
        );
      } catch (err) {
        throw await this.declined('recover', err);
      }
    });
  }

  /**
   * Whether the log leaves this intent's outcome open. A debit is open while its pending-debit
   * record is (that record is written before the command goes to the card); an undebit or a reload
   * until the log holds its completed record.
   */
  private intentStillOpen(i: Intent): boolean {
    return i.op === 'debit'
      ? this.ledger.pendingDebits.has(i.terminalSeq)
      : !this.ledger.completedSeqs.has(i.terminalSeq);
  }

  /** Unresolved value commands, oldest first. */
  private unresolved(cardNumber?: string): Intent[] {
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
   * SPEC.md §10.4 at a later contact: for each open intent of this card, the FCI counter still at
   * expectedCounter means it did not execute; past it, GET TRANSACTION (expectedCounter + 1),
   * attested by the card, holds this terminal's record (done: logged now with the card's original
   * proof) or another transaction (not done, final). A record the card already synced to the
   * clearing service cannot be told here: it stays open for the operator.
   */
  private async settle(card: HudumaCard): Promise<RecoveryNotice[]> {
    const notices: RecoveryNotice[] = [];
    for (const intent of this.unresolved(card.cardNumber)) {
      const what = intent.op === 'debit' ? 'sale' : intent.op === 'undebit' ? 'cancellation' : 'reload';
      const amount = kes(intent.amountCents);
      const base = {
        op: intent.op,
        terminalSeq: intent.terminalSeq,
        cardNumber: card.cardNumber,
        amountCents: intent.amountCents,
      };
      const result =
        intent.expectedCounter === undefined
          ? undefined
          : await card.recoverTransaction({
              expectedCounter: intent.expectedCounter,
              terminalSeq: intent.terminalSeq,
              amount: intent.amountCents,
              type: intent.op,
              terminalId: this.config.terminalId,
            });
      let notice: RecoveryNotice;
      if (result?.status === 'executed') {
        const proof = result.proof;
        await this.logRecovered(intent, card, proof);
        const receipt = this.receiptFor(
          intent.op === 'debit' ? 'recovered-sale' : intent.op === 'undebit' ? 'cancel' : 'reload',
          card.cardNumber,
          proof,
          proof.record.serviceCode,
        );
        notice = {
          ...base,
          amountCents: proof.record.amount,
          outcome: 'completed',
          message: `The earlier ${what} of ${kes(proof.record.amount)} went through.`,
          receipt,
        };
      } else if (result?.status === 'not-executed') {
        if (intent.op === 'debit')
          await this.ledger.append({
            type: 'pending-resolved',
            time: this.clock(),
            terminalSeq: intent.terminalSeq,
            outcome: 'not-charged',
          });
        await this.intents.resolve(intent.terminalSeq, 'not-charged');
        this.needsOperator.delete(intent.terminalSeq);
        notice = {
          ...base,
          outcome: 'not-charged',
          message:
            intent.op === 'debit'
              ? `The earlier sale of ${amount} did NOT go through: the card was not charged.`
              : `The earlier ${what} of ${amount} did not happen on the card.`,
        };
      } else {
        this.needsOperator.add(intent.terminalSeq);
        notice = {
          ...base,
          outcome: 'unknown',
          message:
            result === undefined
              ? `The terminal lost the card counter of the earlier ${what} of ${amount} (terminal seq ${intent.terminalSeq}): it stays pending for the operator, who asks the clearing service.`
              : `The card has already handed the earlier ${what} of ${amount} (terminal seq ${intent.terminalSeq}) to the clearing service: it stays pending for the operator, who asks the clearing service.`,
        };
        this.emit({ type: 'operator-attention', message: notice.message, terminalSeq: intent.terminalSeq });
      }
      notices.push(notice);
      this.emit({ type: 'recovered', notice });
    }
    return notices;
  }

  private async logRecovered(intent: Intent, card: HudumaCard, proof: VerifiedProof): Promise<void> {
    const rec = proof.record;
    const cardProof = encodeTransactionProof(proof);
    const cardCertificate = (await card.certificate()).bytes;
    const cardNumber = card.cardNumber;
    const time = this.clock();
    if (intent.op === 'debit') {
      await this.appendCharged(
        intent.terminalSeq,
        {
          type: 'recovered-sale',
          time,
          terminalSeq: intent.terminalSeq,
          cardNumber,
          amountCents: rec.amount,
          billRef: rec.billRef,
          serviceCode: String(rec.serviceCode),
          cardProof,
          cardCertificate,
        },
        { type: 'pending-resolved', time, terminalSeq: intent.terminalSeq, outcome: 'completed' },
      );
    } else if (intent.op === 'undebit') {
      await this.appendCharged(intent.terminalSeq, {
        type: 'cancel',
        time,
        terminalSeq: intent.terminalSeq,
        originalTerminalSeq: intent.originalTerminalSeq ?? 0,
        cardNumber,
        amountCents: rec.amount,
        billRef: rec.billRef,
        cardProof,
        cardCertificate,
      });
    } else {
      await this.appendCharged(intent.terminalSeq, {
        type: 'reload',
        time,
        terminalSeq: intent.terminalSeq,
        cardNumber,
        amountCents: rec.amount,
        reference: rec.billRef,
        cardProof,
        cardCertificate,
      });
    }
    this.intents.forget(intent.terminalSeq);
    this.needsOperator.delete(intent.terminalSeq);
  }

  // ---------------------------------------------------------------- shared tap handling

  /**
   * One tap: wait for a card, select it, settle its interrupted transactions, apply the deny
   * list and the card checks, then run `body`. The card is released whatever happens.
   */
  private async withCard<T>(
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

  private approved(
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

  private receiptFor(
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
  private async appendOrFlag(
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
  private async journal(intent: Omit<Intent, 'kind'>): Promise<void> {
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
  private async appendCharged(terminalSeq: number, ...events: LogEvent[]): Promise<void> {
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
  private async declined(operation: Operation, err: unknown, order?: SaleOrder): Promise<unknown> {
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

  private shiftReport(kind: 'X' | 'Z'): ShiftReport {
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

  private async openShift(): Promise<void> {
    const time = this.clock();
    const shiftId = `${this.config.terminalId}-S${this.ledger.shiftCount + 1}`;
    const operatorId = this.options.operatorId ?? 'cashier';
    // What the clearing service cannot store would wedge every later upload: refuse it here.
    validateShiftFields({ shiftId, operatorId, time });
    await this.ledger.append({ type: 'shift-open', time, shiftId, operatorId });
    this.declines = [];
  }

  private allocateSeq(): number {
    const seq = Math.max(this.ledger.maxTerminalSeq, this.intents.highestSeq, this.lastAllocatedSeq) + 1;
    this.lastAllocatedSeq = seq;
    return seq;
  }

  private emit(event: TerminalEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A UI listener's failure must not break a payment in progress.
      }
    }
  }

  private async exclusive<T>(what: string, fn: () => Promise<T>): Promise<T> {
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
  private async autoCheckpoint(): Promise<void> {
    const now = this.clock();
    if (clockRefusal(now) || !checkpointDue(this.ledger, now)) return;
    await this.ledger.checkpoint(now).catch(() => {});
  }
}

async function readDeclines(path: string, shiftId: string): Promise<DeclineEntry[]> {
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
