import { PGlite, type Transaction } from '@electric-sql/pglite';
import { ArrayParam, arrayLiteral } from './array-param';
import type { Db, Queryable, Row, SqlParam } from './types';
import { OID, parseDate, parseInt8 } from './values';

const parsers = {
  [OID.INT8]: (text: string) => parseInt8(text),
  [OID.DATE]: (text: string) => parseDate(text),
};

function wrap(target: PGlite | Transaction): Queryable {
  return {
    async query<T extends Row>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
      // Array parameters as their text literal (PGlite's own serializers know no binary arrays).
      const values = params.map((p) => (p instanceof ArrayParam ? arrayLiteral(p) : p));
      const result = await target.query<T>(sql, values);
      return result.rows;
    },
    async exec(sql: string): Promise<void> {
      await target.exec(sql);
    },
  };
}

/** The PGlite behind each Db this module opened, for `dumpPgliteDb`. */
const instances = new WeakMap<Db, PGlite>();

/**
 * Embedded PostgreSQL (WASM) with its data in `dataDir`; no server process. `dataDir` undefined
 * keeps everything in memory (tests). One PGlite instance is one connection, so transactions
 * are serialised by PGlite's own lock. `loadDataDir` starts from a tarball `dumpPgliteDb` made,
 * which skips initdb (test fixtures start in a third of the time).
 */
export async function openPgliteDb(dataDir?: string, options: { loadDataDir?: Blob } = {}): Promise<Db> {
  const pg = await PGlite.create({
    parsers,
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(options.loadDataDir === undefined ? {} : { loadDataDir: options.loadDataDir }),
  });
  const base = wrap(pg);
  const db: Db = {
    kind: 'pglite',
    ...(dataDir === undefined ? {} : { dataDir }),
    query: base.query,
    exec: base.exec,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    close: () => pg.close(),
  };
  instances.set(db, pg);
  return db;
}

/** The whole data directory of a PGlite database as an uncompressed tarball. */
export async function dumpPgliteDb(db: Db): Promise<Blob> {
  const pg = instances.get(db);
  if (pg === undefined) throw new TypeError('dumpPgliteDb: not a database openPgliteDb opened');
  return pg.dumpDataDir('none');
}
