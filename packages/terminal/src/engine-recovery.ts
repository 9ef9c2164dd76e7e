import { encodeTransactionProof } from '@huduma/card-applet-spec';
import {
  type HudumaCard,
  TransactionOutcomeUnknownError,
  type ValueResult,
  type VerifiedProof,
} from '@huduma/sdk';
import { kes } from './amount';
import { TerminalEngineCore } from './engine-core';
import type { RecoveryNotice } from './engine-types';
import type { Intent } from './intents';

/**
 * Interrupted value commands (SPEC.md §10.4): a card's answer lost, or STALE, is resolved from
 * the counter the intent journaled, through the FCI and GET TRANSACTION, never by guessing.
 */
export abstract class TerminalEngineRecovery extends TerminalEngineCore {
  /**
   * The proof of a DEBIT/UNDEBIT the card answered. STALE means the card's counter is no longer
   * the one the command was bound to, so this command did not execute and never will; SPEC.md
   * §10.4 resolves it at once, the card being present: GET TRANSACTION (expectedCounter + 1)
   * says whether an earlier attempt did. 'synced' cannot be told by the card: thrown as
   * outcome unknown, the intent stays open for the operator.
   */
  protected async proofOf(
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

  /**
   * SPEC.md §10.4 at a later contact: for each open intent of this card, the FCI counter still at
   * expectedCounter means it did not execute; past it, GET TRANSACTION (expectedCounter + 1),
   * attested by the card, holds this terminal's record (done: logged now with the card's original
   * proof) or another transaction (not done, final). A record the card already synced to the
   * clearing service cannot be told here: it stays open for the operator.
   */
  protected async settle(card: HudumaCard): Promise<RecoveryNotice[]> {
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
          key: 'recovered-completed',
          message: `The earlier ${what} of ${kes(proof.record.amount)} went through.`,
          receipt,
        };
      } else if (result?.status === 'not-executed') {
        // Durable: the cashier is told now that nothing was charged.
        await this.ledger.append({
          type: 'pending-resolved',
          time: this.clock(),
          terminalSeq: intent.terminalSeq,
          outcome: 'not-charged',
        });
        this.legacyIntents.delete(intent.terminalSeq);
        this.needsOperator.delete(intent.terminalSeq);
        notice = {
          ...base,
          outcome: 'not-charged',
          key: 'recovered-not-charged',
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
          key: result === undefined ? 'recovered-counter-lost' : 'recovered-synced',
          message:
            result === undefined
              ? `The terminal lost the card counter of the earlier ${what} of ${amount} (terminal seq ${intent.terminalSeq}): it stays pending for the operator, who asks the clearing service.`
              : `The card has already handed the earlier ${what} of ${amount} (terminal seq ${intent.terminalSeq}) to the clearing service: it stays pending for the operator, who asks the clearing service.`,
        };
        this.emit({
          type: 'operator-attention',
          message: notice.message,
          terminalSeq: intent.terminalSeq,
          notice,
        });
      }
      notices.push(notice);
      this.emit({ type: 'recovered', notice });
    }
    return notices;
  }

  protected async logRecovered(intent: Intent, card: HudumaCard, proof: VerifiedProof): Promise<void> {
    const rec = proof.record;
    const cardProof = encodeTransactionProof(proof);
    const cardCertificate = (await card.certificate()).bytes;
    const cardNumber = card.cardNumber;
    const time = this.clock();
    if (intent.op === 'debit') {
      await this.appendCharged(intent.terminalSeq, [
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
        ...this.legacyResolution(intent.terminalSeq, time),
      ]);
    } else if (intent.op === 'undebit') {
      await this.appendCharged(intent.terminalSeq, [
        {
          type: 'cancel',
          time,
          terminalSeq: intent.terminalSeq,
          originalTerminalSeq: intent.originalTerminalSeq ?? 0,
          cardNumber,
          amountCents: rec.amount,
          billRef: rec.billRef,
          cardProof,
          cardCertificate,
        },
      ]);
    } else {
      await this.appendCharged(intent.terminalSeq, [
        {
          type: 'reload',
          time,
          terminalSeq: intent.terminalSeq,
          cardNumber,
          amountCents: rec.amount,
          reference: rec.billRef,
          cardProof,
          cardCertificate,
        },
      ]);
    }
    this.needsOperator.delete(intent.terminalSeq);
  }
}
