import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Db, Queryable, Row, SqlParam } from './types';
import { OID, parseDate, parseInt8 } from './values';

const parsers = {
  [OID.INT8]: (text: string) => parseInt8(text),
  [OID.DATE]: (text: string) => parseDate(text),
};

function wrap(target: PGlite | Transaction): Queryable {
  return {
    async query<T extends Row>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
      const result = await target.query<T>(sql, params as unknown[]);
      return result.rows;
    },
    async exec(sql: string): Promise<void> {
      await target.exec(sql);
    },
  };
}

/**
 * Embedded PostgreSQL (WASM) with its data in `dataDir`; no server process. `dataDir` undefined
 * keeps everything in memory (tests). One PGlite instance is one connection, so transactions
 * are serialised by PGlite's own lock.
 */
export async function openPgliteDb(dataDir?: string): Promise<Db> {
  const pg = await PGlite.create(dataDir === undefined ? { parsers } : { dataDir, parsers });
  const base = wrap(pg);
  return {
    kind: 'pglite',
    ...(dataDir === undefined ? {} : { dataDir }),
    query: base.query,
    exec: base.exec,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    close: () => pg.close(),
  };
}
