import type { HudumaCard, VerifiedProof } from '@huduma/sdk';
import type { IntentEvent, LogEvent } from '@huduma/txlog';
import { cashierText } from './cashier-messages';
import type { ApprovedTransaction, RecoveryNotice } from './engine-types';
import { TransactionRefusedError } from './errors';
import { isOutcomeUnknown, outcomeUnknown } from './refusals';
import { storageRefusal } from './storage';
import { TerminalEngineTapSession } from './tap-session';

/** One value command (sale, cancel, reload) as the template runs it. */
export interface ValueCommand<Prepared> {
  operation: 'sale' | 'cancel' | 'reload';
  /** What the intent record says: the card, the counter the command is bound to, the amount. */
  intent: Omit<IntentEvent, 'type' | 'time' | 'terminalSeq'>;
  /** Service code on the receipt. */
  serviceCode: number;
  /** After the intent is durable, before anything goes to the card (a reload's online authorization). */
  prepare?: (terminalSeq: number) => Promise<Prepared>;
  /** Sends the command; the card's proof, or 'not-executed' when the card shows it did not run it. */
  send: (terminalSeq: number, time: number, prepared: Prepared) => Promise<VerifiedProof | 'not-executed'>;
  /** The log record of what the card did. */
  record: (terminalSeq: number, proof: VerifiedProof, cardCertificate: Uint8Array) => LogEvent;
}

/**
 * The one template every value command follows: journal → send → log → approve.
 *
 * 1. journal: an intent record, durable before the command leaves the terminal (the one fdatasync
 *    of the happy path; it also makes every earlier deferred record durable);
 * 2. send: the card answers with its signed proof, STALE (resolved at once from the card), or
 *    nothing (outcome unknown: the intent stays open and the next tap settles it);
 * 3. log: the completion record, deferred (no fdatasync of its own: the intent is durable and
 *    the card holds its proof, see docs/decisions/one-fsync-per-sale.md);
 * 4. approve.
 */
export abstract class TerminalEngineValueCommands extends TerminalEngineTapSession {
  protected async runValueCommand<Prepared>(
    card: HudumaCard,
    command: ValueCommand<Prepared>,
    recovered: RecoveryNotice[],
  ): Promise<ApprovedTransaction> {
    const { operation, intent } = command;
    const terminalSeq = this.allocateSeq();
    const time = this.clock();
    await this.journalIntent({ time, terminalSeq, ...intent });
    let prepared: Prepared;
    try {
      prepared = (await command.prepare?.(terminalSeq)) as Prepared;
    } catch (err) {
      await this.notCharged(terminalSeq);
      throw err;
    }
    this.emit({ type: 'processing', operation });
    let proof: VerifiedProof | 'not-executed';
    try {
      proof = await command.send(terminalSeq, time, prepared);
    } catch (err) {
      if (isOutcomeUnknown(err)) throw outcomeUnknown(intent.amountCents, err, WHAT[operation]);
      // The card answered with a refusal: nothing was done.
      await this.notCharged(terminalSeq);
      throw err;
    }
    if (proof === 'not-executed') {
      await this.notCharged(terminalSeq);
      throw new TransactionRefusedError('card-changed', cashierText('card-changed'));
    }
    const cardCertificate = (await card.certificate()).bytes;
    try {
      await this.appendCharged(terminalSeq, [command.record(terminalSeq, proof, cardCertificate)], {
        deferred: true,
      });
    } catch (err) {
      // Even the reserve did not help: the intent is on disk, so the next tap of this card
      // records what the card did. Do not approve now.
      throw storageRefusal(err, 'charged', { amountCents: intent.amountCents, terminalSeq });
    }
    return this.approved(operation, card, proof, command.serviceCode, recovered);
  }
}

const WHAT = { sale: 'payment', cancel: 'cancellation', reload: 'reload' } as const;
