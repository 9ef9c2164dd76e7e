import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  Capability,
  decodeTransactionProof,
  encodeTransactionProof,
  Limits,
  maskCardNumber,
} from '@huduma/card-applet-spec';
import type { HudumaCard, VerifiedProof } from '@huduma/sdk';
import { nodeCryptoSigner, type StoredRecord } from '@huduma/txlog';
import { kes } from './amount';
import { cashierText } from './cashier-messages';
import { resolveSale, type SaleInput, type SaleOrder, ServiceCatalog } from './catalog';
import { FILES, loadTerminalConfig } from './config';
import { DenyList } from './deny-list';
import type {
  ApprovedTransaction,
  RecoveryNotice,
  TerminalEngineOptions,
  TerminalStatus,
} from './engine-types';
import { type RefusalParams, type RefusalReason, TransactionRefusedError } from './errors';
import { clockRefusal } from './housekeeping';
import { type Intent, IntentJournal } from './intents';
import { Ledger } from './ledger';
import { verifyPin } from './pin';
import type { ShiftReport } from './reports';
import { ShiftBook } from './shift-book';
import { StorageReserve } from './storage';
import { SyncState } from './sync-state';
import { TerminalEngineValueCommands } from './value-command';

export type {
  ApprovedTransaction,
  Operation,
  PinPad,
  RecoveryNotice,
  TerminalEngineOptions,
  TerminalEvent,
  TerminalStatus,
  UnresolvedTransaction,
} from './engine-types';

const UNDEBIT_WINDOW_MS = 900_000;

/**
 * The transaction engine of a Huduma counter terminal: sales, cancellations, reloads, tear
 * recovery and shift totals over one card reader, with every value command journalled durably
 * before it is sent and its card proof logged before it is approved. UI-free: it reports what
 * the cashier should see through events and typed results.
 */
export class TerminalEngine extends TerminalEngineValueCommands {
  /** Opens a provisioned terminal: rebuilds its state from the log and opens a shift if none is open. */
  static async open(options: TerminalEngineOptions): Promise<TerminalEngine> {
    const config = await loadTerminalConfig(options.dir);
    const clock = options.clock ?? Date.now;
    const signer = nodeCryptoSigner(config.privateKey, config.terminalId);
    const ledger = await Ledger.open(join(options.dir, FILES.log), { signer, io: options.logIo });
    const sync = await SyncState.open(join(options.dir, FILES.sync), clock());
    const denyList = await DenyList.open(join(options.dir, FILES.denyList));
    const catalog = options.catalog ?? new ServiceCatalog();
    const shifts = await ShiftBook.open({ config, ledger, catalog, clock, operatorId: options.operatorId });
    const reserve = new StorageReserve(join(options.dir, FILES.reserve), options.dir);
    // A full disk at start does not stop the terminal opening: sales are refused until it has room.
    await reserve.ensure().catch(() => {});
    const legacyIntents = await readLegacyIntents(join(options.dir, FILES.intents));
    const engine = new TerminalEngine({
      config,
      options,
      ledger,
      legacyIntents,
      sync,
      denyList,
      reserve,
      shifts,
      catalog,
    });
    // A log of an older version, with a crash between a sale record and its pending-resolved
    // record: write the missing half, so the log itself says every pending debit is settled.
    for (const terminalSeq of [...ledger.saleWithoutResolution])
      await ledger.append({ type: 'pending-resolved', time: clock(), terminalSeq, outcome: 'completed' });
    if (!ledger.shiftId) await shifts.openShift();
    return engine;
  }

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
    return this.shifts.report('X', this.unresolved().length);
  }

  /** Z report: closes the shift (shift-close record, signed checkpoint) and opens the next one. */
  async zReport(): Promise<ShiftReport> {
    return this.exclusive('Z report', () => this.shifts.closeShift(this.unresolved().length));
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

  private checkTerminalForSale(amountCents: number): void {
    const clock = clockRefusal(this.clock());
    if (clock) throw clock;
    this.checkTerminalCertificate();
    const { limits } = this.config;
    if (amountCents > limits.perSaleOfflineLimitCents)
      throw new TransactionRefusedError(
        'per-sale-limit',
        `Amount ${kes(amountCents)} is above this terminal's offline limit of ${kes(limits.perSaleOfflineLimitCents)} per sale.`,
        { params: { amountCents, limitCents: limits.perSaleOfflineLimitCents } },
      );
    const refusal = this.offlineRefusal();
    if (refusal)
      throw new TransactionRefusedError(refusal.reason, refusal.message, { params: refusal.params });
  }

  private offlineRefusal(): { reason: RefusalReason; message: string; params: RefusalParams } | undefined {
    // Revoked: whatever it approved now could never be settled, so it approves nothing.
    if (this.sync.revoked)
      return { reason: 'terminal-revoked', message: cashierText('terminal-revoked'), params: {} };
    const { limits } = this.config;
    const offlineMs = this.clock() - this.sync.lastSyncAt;
    if (offlineMs > limits.maxOfflineMs) {
      const h = (ms: number) => `${Math.floor(ms / 3600_000)} h`;
      return {
        reason: 'offline-too-long',
        message: `Terminal not synced for ${h(offlineMs)} (limit ${h(limits.maxOfflineMs)}): connect and sync before taking more payments.`,
        params: { offlineMs, limitMs: limits.maxOfflineMs },
      };
    }
    const unsynced = this.unsyncedRecords();
    if (unsynced >= limits.maxUnsyncedRecords)
      return {
        reason: 'too-many-unsynced',
        message: `${unsynced} transactions are waiting to be uploaded (limit ${limits.maxUnsyncedRecords}): connect and sync before taking more payments.`,
        params: { count: unsynced, limit: limits.maxUnsyncedRecords },
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
        { params: { spentCents: purse.offlineSpend, limitCents: purse.offlineLimit } },
      );
    if (purse.balance < order.amountCents)
      throw new TransactionRefusedError(
        'insufficient-funds',
        `Insufficient balance: the card holds ${kes(purse.balance)}, the sale is ${kes(order.amountCents)}.`,
        { params: { balanceCents: purse.balance, amountCents: order.amountCents } },
      );
    // The card refuses any debit with 32 records it has not synced (SPEC.md §2.12): say why first.
    if (purse.counter - purse.syncedThrough >= Limits.RING_SIZE)
      throw new TransactionRefusedError('sync-required', cashierText('sync-required'));
    // The card decides (per amount and cumulative no-PIN spend); asking first saves a refused round trip.
    if (
      order.amountCents > this.config.limits.cvmLimitCents ||
      card.pinRequiredFor(order.amountCents) !== false
    )
      await verifyPin({
        card,
        pinPad: this.options.pinPad,
        amountCents: order.amountCents,
        cvmLimitCents: this.config.limits.cvmLimitCents,
        emit: (e) => this.emit(e),
      });
    // Bound to the card's counter now (the card's compare-and-swap, §10.4): if the power fails
    // once the intent is durable, the next tap asks the card what became of that counter.
    const expectedCounter = card.purse.counter;
    return this.runValueCommand(
      card,
      {
        operation: 'sale',
        serviceCode: order.serviceCode,
        intent: {
          op: 'debit',
          cardNumber: card.cardNumber,
          expectedCounter,
          amountCents: order.amountCents,
          billRef: order.billRef,
          serviceCode: order.serviceCode,
          originalTerminalSeq: 0,
        },
        send: async (terminalSeq, time) => {
          const result = await card.debit({
            amount: order.amountCents,
            terminalSeq,
            billRef: order.billRef,
            serviceCode: order.serviceCode,
            expectedCounter,
            time: Math.floor(time / 1000),
          });
          return this.proofOf(card, result, { expectedCounter, terminalSeq, amount: order.amountCents });
        },
        record: (terminalSeq, proof, cardCertificate) => ({
          type: 'sale',
          time: this.clock(),
          terminalSeq,
          cardNumber: card.cardNumber,
          amountCents: order.amountCents,
          billRef: order.billRef,
          serviceCode: String(order.serviceCode),
          cardProof: encodeTransactionProof(proof),
          cardCertificate,
        }),
      },
      recovered,
    );
  }

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
              { params: { maskedCardNumber: maskCardNumber(sale.cardNumber) } },
            );
          // UNDEBIT cancels the card's last transaction only (§6.9): its counter is the sale's.
          if (card.purse.counter !== debit.counter)
            throw new TransactionRefusedError(
              'undebit-refused',
              'The card has been used since this sale: it can no longer be cancelled at the counter.',
            );
          return this.runValueCommand(
            card,
            {
              operation: 'cancel',
              serviceCode: debit.serviceCode,
              intent: {
                op: 'undebit',
                cardNumber: card.cardNumber,
                expectedCounter: debit.counter,
                amountCents: sale.amountCents,
                billRef: sale.billRef,
                serviceCode: debit.serviceCode,
                originalTerminalSeq: sale.terminalSeq,
              },
              send: async (terminalSeq, time) => {
                const result = await card.undebit({
                  refCounter: debit.counter,
                  amount: sale.amountCents,
                  terminalSeq,
                  time: Math.floor(time / 1000),
                });
                return this.proofOf(card, result, {
                  expectedCounter: debit.counter,
                  terminalSeq,
                  amount: sale.amountCents,
                  type: 'undebit',
                });
              },
              record: (terminalSeq, proof, cardCertificate) => ({
                type: 'cancel',
                time: this.clock(),
                terminalSeq,
                originalTerminalSeq: sale.terminalSeq,
                cardNumber: card.cardNumber,
                amountCents: sale.amountCents,
                billRef: sale.billRef,
                cardProof: encodeTransactionProof(proof),
                cardCertificate,
              }),
            },
            recovered,
          );
        });
      } catch (err) {
        throw await this.declined('cancel', err);
      }
    });
  }

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
          const terminalNonce = new Uint8Array(randomBytes(8));
          // The reference is bound into the intent before its sequence number is known: a
          // default reference names the next sequence number, which the template allocates.
          const reference = (args.reference ?? `CASH-${this.peekNextSeq()}`).slice(0, 16);
          return this.runValueCommand<Uint8Array>(
            card,
            {
              operation: 'reload',
              serviceCode: 0,
              intent: {
                op: 'reload',
                cardNumber: card.cardNumber,
                expectedCounter: context.counter,
                amountCents: args.amountCents,
                billRef: reference,
                serviceCode: 0,
                originalTerminalSeq: 0,
              },
              prepare: async (terminalSeq) => {
                try {
                  return await authorizer.authorize({
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
                  throw new TransactionRefusedError(
                    'load-declined',
                    `The reload was not authorized: ${(err as Error).message}`,
                    { cause: err, params: { detail: (err as Error).message } },
                  );
                }
              },
              send: (_terminalSeq, _time, authorization) => card.reload(authorization),
              record: (terminalSeq, proof, certificate) => ({
                type: 'reload',
                time: this.clock(),
                terminalSeq,
                cardNumber: card.cardNumber,
                amountCents: args.amountCents,
                reference,
                cardProof: encodeTransactionProof(proof),
                cardCertificate: certificate,
              }),
            },
            recovered,
          );
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

  /** The sequence number the next value command will get. */
  private peekNextSeq(): number {
    const legacy = Math.max(0, ...this.legacyIntents.keys());
    return Math.max(this.ledger.maxTerminalSeq, legacy, this.lastAllocatedSeq) + 1;
  }
}

/** Open intents of the sidecar journal an older version kept (read-only; new intents are in the log). */
async function readLegacyIntents(path: string): Promise<Intent[]> {
  if (!existsSync(path)) return [];
  const journal = await IntentJournal.open(path);
  try {
    return journal.unresolved();
  } finally {
    await journal.close();
  }
}
