/** How much storage the uploads take: the tables every accepted upload grows, with indexes and TOAST. */
import type { Queryable } from './db/types';

export const UPLOAD_TABLES = [
  'accepted_records',
  'card_counters',
  'merkle_nodes',
  'batches',
  'merkle_tree_heads',
  'alerts',
] as const;

export type UploadTable = (typeof UPLOAD_TABLES)[number];

/** Bytes of each upload table (pg_total_relation_size), and the records held; the same on both backends. */
export async function uploadTableBytes(
  q: Queryable,
): Promise<{ records: number; bytes: Record<UploadTable, number>; total: number }> {
  const rows = await q.query<{ table_name: UploadTable; bytes: string }>(
    `SELECT t AS table_name, pg_total_relation_size(t::regclass)::text AS bytes FROM unnest($1::text[]) AS t`,
    [[...UPLOAD_TABLES]],
  );
  const count = await q.query<{ n: string }>('SELECT count(*)::text AS n FROM accepted_records');
  const bytes = Object.fromEntries(rows.map((r) => [r.table_name, Number(r.bytes)])) as Record<
    UploadTable,
    number
  >;
  return { records: Number(count[0]!.n), bytes, total: rows.reduce((sum, r) => sum + Number(r.bytes), 0) };
}
