import { startPostgres } from '../../../test/support/postgres-harness';
import { migrate } from '../src/db/migrations';
import { openPostgresDb } from '../src/db/postgres';

const server = await startPostgres();
try {
  const db = await openPostgresDb(server.socketUrl(await server.createDatabase('x')));
  await migrate(db);
  await db.exec(`INSERT INTO card_counters (card_number, counter, record_hash, seq, tx_type, amount_cents, balance_after, offline_spend_after, terminal_id)
    SELECT lpad((i % 2000)::text, 16, '0'), i / 2000, '\\x00', i, 1, 100, 100, 0, 'T' FROM generate_series(0, 99999) i; ANALYZE card_counters;`);
  const cards = Array.from({ length: 1000 }, (_, i) => String(i).padStart(16, '0'));
  const lit = (a: unknown[]) => `{${a.map((x) => (typeof x === 'string' ? `"${x}"` : x)).join(',')}}`;
  const keys = cards.flatMap((c) => [c, c]);
  const ctr = cards.flatMap(() => [49, 51]);
  for (const sql of [
    `EXPLAIN (ANALYZE, BUFFERS) SELECT c.card_number, c.counter FROM unnest($1::text[], $2::bigint[]) AS w(card_number, counter) CROSS JOIN LATERAL (SELECT * FROM card_counters k WHERE k.card_number = w.card_number AND k.counter BETWEEN w.counter - 1 AND w.counter + 1 OFFSET 0) c`,
  ]) {
    const rows = await db.query<{ 'QUERY PLAN': string }>(sql, [lit(keys), lit(ctr)]);
    console.log(rows.map((r) => r['QUERY PLAN']).join('\n'));
  }
  await db.close();
} finally {
  await server.stop();
}
