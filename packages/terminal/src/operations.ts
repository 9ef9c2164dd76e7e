import { randomBytes } from 'node:crypto';
import {
  Capability,
  decodeTransactionProof,
  encodeTransactionProof,
  Limits,
  maskCardNumber,
} from '@huduma/card-applet-spec';
import type { HudumaCard, VerifiedProof } from '@huduma/sdk';
import { kes } from './amount';
import { cashierText } from './cashier-messages';
import { resolveSale, type SaleInput, type SaleOrder } from './catalog';
import type { ApprovedTransaction, RecoveryNotice } from './engine-types';
import { type RefusalParams, type RefusalReason, TransactionRefusedError } from './errors';
import { clockRefusal } from './housekeeping';
import { verifyPin } from './pin';
import { TerminalEngineValueCommands } from './value-command';

const UNDEBIT_WINDOW_MS = 900_000;

/**
 * The three value commands at the counter — sale, cancel last, cash reload — each its own checks
 * and then the one template (value-command.ts): journal → send → log → approve.
 */
export abstract class TerminalEngineOperations extends TerminalEngineValueCommands {
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

  protected offlineRefusal(): { reason: RefusalReason; message: string; params: RefusalParams } | undefined {
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

  protected unsyncedRecords(): number {
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
