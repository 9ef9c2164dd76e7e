/** Card-counter rows the clones and shadow-balance rules read. */
import { intArrayLiteral as ints, textArrayLiteral as texts } from '../../db/array-literal';
import type { Queryable } from '../../db/types';

export const counterKey = (card: string, counter: number) => `${card}:${counter}`;

export type CounterRow = {
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

export async function selectCounters(
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
    [texts(wanted.map(([card]) => card)), ints(wanted.map(([, counter]) => counter))],
  );
  for (const row of rows) found.set(`${row.card_number}:${row.counter}`, row);
  return found;
}
