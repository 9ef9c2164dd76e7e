/**
 * Shadow-balance rule: where a card's previous (or next) counter is known, the balance and
 * offline spend the card signed must follow from the signed amounts; a mismatch flags the record
 * and raises a critical alert (a tampered card or a forged proof the signatures did not catch).
 */
import { TxType } from '@huduma/card-applet-spec';
import { formatKes } from '../../kes';
import type { IngestRule } from '../step';
import { counterKey, selectCounters, selectNeighbours } from './counters';

export const shadowBalanceRule: IngestRule = {
  name: 'shadow balance',
  async check(step) {
    const { tx, terminalId, flags } = step;
    const alert = step.alert;
    const claimed = step.claimedCounters;
    if (claimed.length === 0) return;
    // One range probe per claimed counter n: both neighbours, n-1 and n+1, where held.
    const cards = claimed.map((r) => r.card!.cardNumber);
    const counters = claimed.map((r) => r.card!.counter);
    const { previous, next: following } = await selectNeighbours(tx, cards, counters);
    for (let i = 0; i < claimed.length; i++) {
      const r = claimed[i]!;
      const c = r.card!;
      const prev = previous[i];
      if (prev && prev.tx_type !== null) {
        const problem = shadowProblem(prev, c);
        if (problem) {
          flags.set(r, 'balance-mismatch');
          await alert({
            kind: 'shadow-balance-mismatch',
            severity: 'critical',
            terminalId,
            cardNumber: c.cardNumber,
            details: { counter: c.counter, seq: r.seq, problem },
          });
        }
      }
      // Claims are sorted by card and counter (clones rule): a next counter this batch claimed
      // too is the next claim, and checks this one as its previous.
      const nextClaimed = cards[i + 1] === c.cardNumber && counters[i + 1] === c.counter + 1;
      const next = following[i];
      if (next && next.tx_type !== null && !nextClaimed) {
        const problem = shadowProblem(
          { balance_after: c.balanceAfter, offline_spend_after: c.offlineSpendAfter },
          {
            txType: next.tx_type as 1 | 2 | 3,
            amountCents: next.amount_cents!,
            balanceAfter: next.balance_after!,
            offlineSpendAfter: next.offline_spend_after!,
          },
        );
        if (problem) {
          flags.set(r, 'balance-mismatch');
          const held = (await selectCounters(tx, [[c.cardNumber, c.counter + 1]])).get(
            counterKey(c.cardNumber, c.counter + 1),
          );
          await alert({
            kind: 'shadow-balance-mismatch',
            severity: 'critical',
            terminalId,
            cardNumber: c.cardNumber,
            details: { counter: c.counter + 1, seq: held?.seq, terminalOfNext: held?.terminal_id, problem },
          });
        }
      }
    }
  },
};

/** What the card signed for counter n must follow from counter n-1: balance and offline spend. */
function shadowProblem(
  prev: { balance_after: number | null; offline_spend_after: number | null },
  next: { txType: number; amountCents: number; balanceAfter: number; offlineSpendAfter: number },
): string | undefined {
  const sign = next.txType === TxType.DEBIT ? -1 : 1;
  const expectedBalance = prev.balance_after! + sign * next.amountCents;
  if (expectedBalance !== next.balanceAfter) {
    return `balance after ${formatKes(next.balanceAfter)} does not follow from the previous balance ${formatKes(prev.balance_after!)} ${sign < 0 ? '-' : '+'} ${formatKes(next.amountCents)}`;
  }
  const expectedSpend =
    next.txType === TxType.DEBIT
      ? prev.offline_spend_after! + next.amountCents
      : next.txType === TxType.UNDEBIT
        ? Math.max(0, prev.offline_spend_after! - next.amountCents)
        : 0;
  if (expectedSpend !== next.offlineSpendAfter) {
    return `offline spend after ${formatKes(next.offlineSpendAfter)}, expected ${formatKes(expectedSpend)}`;
  }
  return undefined;
}
