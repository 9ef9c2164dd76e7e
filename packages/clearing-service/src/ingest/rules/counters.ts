/** Card-counter rows the clones and shadow-balance rules read. */
import { bigints, texts } from '../../db/array-param';
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

const COUNTER_COLUMNS = `c.card_number, c.counter, c.record_hash, c.terminal_id, c.seq, c.tx_type, c.amount_cents,
       c.balance_after, c.offline_spend_after`;

/**
 * The card_counters rows of the given (card, counter) keys. An index probe per key, whatever the
 * table's size: with a plain join the planner hashed the whole table once it held more rows than
 * keys (100,000 counters: a 36 ms sequential scan per upload, growing with every card ever seen).
 * The `OFFSET 0` keeps PostgreSQL from flattening the LATERAL subquery back into that join.
 */
export async function selectCounters(
  tx: Queryable,
  keys: Array<[string, number]>,
): Promise<Map<string, CounterRow>> {
  const wanted = keys.filter(([, n]) => n >= 0);
  return selectCounterRanges(
    tx,
    wanted.map(([card, counter]) => [card, counter, counter]),
  );
}

/** The card_counters rows with counter in [from, to] for each (card, from, to): one index range scan each. */
export async function selectCounterRanges(
  tx: Queryable,
  ranges: Array<[string, number, number]>,
): Promise<Map<string, CounterRow>> {
  const found = new Map<string, CounterRow>();
  if (ranges.length === 0) return found;
  const rows = await tx.query<CounterRow>(
    `SELECT ${COUNTER_COLUMNS}
     FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS w(card_number, low, high)
     CROSS JOIN LATERAL (SELECT * FROM card_counters k
       WHERE k.card_number = w.card_number AND k.counter BETWEEN w.low AND w.high
       OFFSET 0) c`,
    [
      texts(ranges.map(([card]) => card)),
      bigints(ranges.map(([, low]) => low)),
      bigints(ranges.map(([, , high]) => high)),
    ],
  );
  for (const row of rows) found.set(counterKey(row.card_number, row.counter), row);
  return found;
}

/**
 * What the shadow-balance rule checks of a neighbouring counter: the signed amounts only. Where
 * it was held (terminal, seq) is read again for an alert; ~1.5 neighbours come back per uploaded
 * record, and two columns fewer are two strings fewer for the driver to make per row.
 */
export type NeighbourRow = Omit<CounterRow, 'card_number' | 'record_hash' | 'terminal_id' | 'seq'>;

/**
 * The held counters n-1 and n+1 of each (card, n), by the key's position: one index range scan
 * per key over [n-1, n+1] that skips n itself (the row this batch just claimed).
 */
export async function selectNeighbours(
  tx: Queryable,
  cards: readonly string[],
  counters: readonly number[],
): Promise<{ previous: Array<NeighbourRow | undefined>; next: Array<NeighbourRow | undefined> }> {
  const previous: Array<NeighbourRow | undefined> = new Array(cards.length);
  const next: Array<NeighbourRow | undefined> = new Array(cards.length);
  if (cards.length === 0) return { previous, next };
  const rows = await tx.query<NeighbourRow & { n: number }>(
    `SELECT w.n::integer AS n, c.counter, c.tx_type, c.amount_cents, c.balance_after, c.offline_spend_after
     FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS w(card_number, mid, n)
     CROSS JOIN LATERAL (SELECT * FROM card_counters k
       WHERE k.card_number = w.card_number AND k.counter BETWEEN w.mid - 1 AND w.mid + 1 AND k.counter <> w.mid
       OFFSET 0) c`,
    [texts(cards), bigints(counters)],
  );
  for (const row of rows) {
    const i = row.n - 1;
    if (row.counter < counters[i]!) previous[i] = row;
    else next[i] = row;
  }
  return { previous, next };
}
