import { LifeCycle, maskCardNumber } from '@huduma/card-applet-spec';
import { HudumaCard, type TapTelemetry } from '@huduma/sdk';
import { nodeCryptoVerify } from '@huduma/sdk/node';
import { TerminalEngineRecovery } from './engine-recovery';
import type { Operation, RecoveryNotice } from './engine-types';
import { TransactionRefusedError } from './errors';
import { clockRefusal } from './housekeeping';
import type { CardTap } from './reader';
import { isStorageError, toRefusal } from './refusals';
import { storageRefusal } from './storage';

/**
 * One tap of a card: wait for it (the cashier may re-tap after a card pulled too early), select
 * it, settle its interrupted commands (engine-recovery.ts), apply the deny list and the card
 * checks, run the operation, and release the card whatever happens.
 */
export abstract class TerminalEngineTapSession extends TerminalEngineRecovery {
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
      if (operation !== 'recover') await card.certificate();
      return await body(card, recovered);
    } finally {
      if (telemetry) this.lastTelemetry = telemetry;
      this.emit({ type: 'remove-card' });
      await tap.release?.().catch(() => {});
    }
  }

  /** Maps whatever stopped an operation to a TransactionRefusedError, records and announces it. */
  protected async declined(
    operation: Operation,
    err: unknown,
    order?: { amountCents: number; serviceCode: number },
  ): Promise<unknown> {
    const refusal = toRefusal(err);
    if (!refusal) return err;
    this.emit({
      type: 'declined',
      operation,
      reason: refusal.reason,
      message: refusal.cashierMessage,
      params: refusal.params,
    });
    if (operation === 'sale') await this.shifts.recordDecline(refusal.reason, order);
    return refusal;
  }
}
