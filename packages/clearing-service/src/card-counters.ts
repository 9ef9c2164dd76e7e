/**
 * Card counters of an upload (ingest.ts): each (card, counter) claimed once; a different proof
 * for a held counter is a clone, the same proof twice a duplicate; the shadow balance between
 * neighbouring counters must follow what the cards signed.
 */
import { bytesEqual as equal, toHex as hexOf, TxType } from '@huduma/card-applet-spec';
import type { Queryable } from './db/types';
import type { FraudFlag } from './ingest-insert';
import type { VerifiedRecord } from './record-verifier';
import { appendDenyListEntry, isCardDenied, type raiseAlert } from './store';

type AlertInput = Parameters<typeof raiseAlert>[1];

/**
 * One row per (card, counter). A second, different proof for a counter already claimed means two
 * cards share one key: alert and deny-list the card. The same proof twice (one debit logged twice)
 * is flagged and not settled twice. Then the shadow balance: where the card's previous (or next)
 * counter is known, the signed balances must follow from the signed amounts.
 */
export async function claimCardCounters(
  tx: Queryable,
  terminalId: string,
  fresh: readonly VerifiedRecord[],
  flags: Map<VerifiedRecord, FraudFlag>,
  alert: (a: AlertInput) => Promise<void>,
): Promise<void> {
  const key = (card: string, counter: number) => `${card}:${counter}`;
  const firstByKey = new Map<string, VerifiedRecord>();
  const laterInBatch: VerifiedRecord[] = [];
  for (const r of fresh) {
    if (!r.card) continue;
    const k = key(r.card.cardNumber, r.card.counter);
    if (firstByKey.has(k)) laterInBatch.push(r);
    else firstByKey.set(k, r);
  }
  if (firstByKey.size === 0) return;
  // Sorted so two concurrent uploads claiming the same counters lock them in the same order.
  const claims = [...firstByKey.values()].sort((a, b) =>
    a.card!.cardNumber < b.card!.cardNumber
      ? -1
      : a.card!.cardNumber > b.card!.cardNumber
        ? 1
        : a.card!.counter - b.card!.counter,
  );
  const inserted = new Set<string>();
  const rows = await tx.query<{ card_number: string; counter: number }>(
    `INSERT INTO card_counters (card_number, counter, record_hash, seq, tx_type, amount_cents, balance_after,
       offline_spend_after, terminal_id)
     SELECT u.card_number, u.counter, decode(u.proof_hash, 'hex'), u.seq, u.tx_type, u.amount_cents,
       u.balance_after, u.offline_spend_after, $1
     FROM unnest($2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::smallint[], $7::bigint[], $8::bigint[],
       $9::bigint[]) WITH ORDINALITY
       AS u(card_number, counter, proof_hash, seq, tx_type, amount_cents, balance_after, offline_spend_after, n)
     ORDER BY u.n
     ON CONFLICT (card_number, counter) DO NOTHING RETURNING card_number, counter`,
    [
      terminalId,
      claims.map((r) => r.card!.cardNumber),
      claims.map((r) => r.card!.counter),
      claims.map((r) => hexOf(r.card!.proofHash)),
      claims.map((r) => r.seq),
      claims.map((r) => r.card!.txType),
      claims.map((r) => r.card!.amountCents),
      claims.map((r) => r.card!.balanceAfter),
      claims.map((r) => r.card!.offlineSpendAfter),
    ],
  );
  for (const row of rows) inserted.add(key(row.card_number, row.counter));

  const conflicts = [
    ...claims.filter((r) => !inserted.has(key(r.card!.cardNumber, r.card!.counter))),
    ...laterInBatch,
  ];
  if (conflicts.length > 0) {
    const existing = await selectCounters(
      tx,
      conflicts.map((r) => [r.card!.cardNumber, r.card!.counter]),
    );
    for (const r of conflicts) {
      const c = r.card!;
      const isLaterInBatch = laterInBatch.includes(r);
      const prior = isLaterInBatch
        ? (() => {
            const f = firstByKey.get(key(c.cardNumber, c.counter))!;
            return { record_hash: f.card!.proofHash, terminal_id: terminalId, seq: f.seq };
          })()
        : existing.get(key(c.cardNumber, c.counter))!;
      if (equal(prior.record_hash, c.proofHash)) {
        flags.set(r, 'duplicate-proof');
        await alert({
          kind: 'duplicate-proof',
          severity: 'warning',
          terminalId,
          cardNumber: c.cardNumber,
          details: {
            counter: c.counter,
            seq: r.seq,
            firstSeenAt: { terminalId: prior.terminal_id, seq: prior.seq },
          },
        });
        continue;
      }
      flags.set(r, 'clone');
      await alert({
        kind: 'card-clone',
        severity: 'critical',
        terminalId,
        cardNumber: c.cardNumber,
        details: {
          counter: c.counter,
          seq: r.seq,
          amountCents: c.amountCents,
          otherRecord: { terminalId: prior.terminal_id, seq: prior.seq },
        },
      });
      await tx.query(
        `INSERT INTO cards (card_number, status) VALUES ($1, 'cloned')
         ON CONFLICT (card_number) DO UPDATE SET status = 'cloned', updated_at = now()`,
        [c.cardNumber],
      );
      if (!(await isCardDenied(tx, c.cardNumber))) {
        await appendDenyListEntry(tx, {
          cardNumber: c.cardNumber,
          action: 'add',
          reason: `clone: two different proofs for counter ${c.counter}`,
          createdBy: 'fraud-rules',
        });
      }
    }
  }

  // Shadow balance against the neighbours that are known (this batch's claims are visible).
  const claimed = claims.filter((r) => inserted.has(key(r.card!.cardNumber, r.card!.counter)));
  if (claimed.length === 0) return;
  const wanted: Array<[string, number]> = [];
  for (const r of claimed) {
    wanted.push([r.card!.cardNumber, r.card!.counter - 1], [r.card!.cardNumber, r.card!.counter + 1]);
  }
  const neighbours = await selectCounters(tx, wanted);
  const claimedKeys = new Set(claimed.map((r) => key(r.card!.cardNumber, r.card!.counter)));
  for (const r of claimed) {
    const c = r.card!;
    const prev = neighbours.get(key(c.cardNumber, c.counter - 1));
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
    const next = neighbours.get(key(c.cardNumber, c.counter + 1));
    if (next && next.tx_type !== null && !claimedKeys.has(key(c.cardNumber, c.counter + 1))) {
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
        await alert({
          kind: 'shadow-balance-mismatch',
          severity: 'critical',
          terminalId,
          cardNumber: c.cardNumber,
          details: { counter: c.counter + 1, seq: next.seq, terminalOfNext: next.terminal_id, problem },
        });
      }
    }
  }
}

type CounterRow = {
  card_number: string;
  counter: number;
  record_hash: Uint8Array;
  terminal_id: string;
  seq: number;
  tx_type: number | null;
  amount_cents: number | null;
  balance_after: number | null;
  offline_spend_after: number | null;
};

async function selectCounters(
  tx: Queryable,
  keys: Array<[string, number]>,
): Promise<Map<string, CounterRow>> {
  const found = new Map<string, CounterRow>();
  const wanted = keys.filter(([, n]) => n >= 0);
  if (wanted.length === 0) return found;
  const rows = await tx.query<CounterRow>(
    `SELECT c.card_number, c.counter, c.record_hash, c.terminal_id, c.seq, c.tx_type, c.amount_cents,
       c.balance_after, c.offline_spend_after
     FROM card_counters c JOIN unnest($1::text[], $2::bigint[]) AS w(card_number, counter)
       ON c.card_number = w.card_number AND c.counter = w.counter`,
    [wanted.map(([card]) => card), wanted.map(([, counter]) => counter)],
  );
  for (const row of rows) found.set(`${row.card_number}:${row.counter}`, row);
  return found;
}

/** What the card signed for counter n must follow from counter n-1: balance and offline spend. */
function shadowProblem(
  prev: { balance_after: number | null; offline_spend_after: number | null },
  next: { txType: number; amountCents: number; balanceAfter: number; offlineSpendAfter: number },
): string | undefined {
  const sign = next.txType === TxType.DEBIT ? -1 : 1;
  const expectedBalance = prev.balance_after! + sign * next.amountCents;
  if (expectedBalance !== next.balanceAfter) {
    return `balance after ${next.balanceAfter} does not follow from the previous balance ${prev.balance_after} ${sign < 0 ? '-' : '+'} ${next.amountCents}`;
  }
  const expectedSpend =
    next.txType === TxType.DEBIT
      ? prev.offline_spend_after! + next.amountCents
      : next.txType === TxType.UNDEBIT
        ? Math.max(0, prev.offline_spend_after! - next.amountCents)
        : 0;
  if (expectedSpend !== next.offlineSpendAfter) {
    return `offline spend after ${next.offlineSpendAfter}, expected ${expectedSpend}`;
  }
  return undefined;
}
