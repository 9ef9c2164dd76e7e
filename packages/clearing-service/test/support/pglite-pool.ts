import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS, migrate } from '../../src/db/migrations';
import { dumpPgliteDb, openPgliteDb } from '../../src/db/pglite';
import type { Db } from '../../src/db/types';

/**
 * A fresh, migrated, in-memory PGlite for each test without paying PGlite's start-up each time.
 * A new PGlite runs initdb inside WebAssembly (about 2 s in a fresh test worker on a 2-core
 * machine) and most suites open one database per test. Two savings, both invisible to the test:
 *
 * - Databases come from a snapshot of the data directory taken right after migrating, cached in
 *   the temp directory under a hash of the migrations (loading one takes about 0.7 s).
 * - Each worker keeps the databases its tests closed and hands them out again reset: every
 *   public table truncated with its identity sequences restarted, then the rows the migrations
 *   seed (catalog, singletons, schema_migrations) copied back from a copy kept in a side schema.
 *
 * `close()` gives the database back; the handle is dead from then on, so a test that keeps using
 * a closed database fails as it would with a real one.
 */
const SEED_SCHEMA = 'test_pool_seed';
const idle: Db[] = [];
let resetSql: string | undefined;

export async function openTestPglite(): Promise<Db> {
  const reused = idle.pop();
  if (reused !== undefined) {
    try {
      await reused.exec(await reset(reused));
      return lend(reused);
    } catch {
      // A test left it unusable (a transaction still open, say): start a new one instead.
      await reused.close().catch(() => {});
    }
  }
  return lend(await openFromSnapshot());
}

async function openFromSnapshot(): Promise<Db> {
  const digest = createHash('sha256');
  for (const migration of MIGRATIONS) digest.update(`${migration.version}\0${migration.sql}\0`);
  const dir = join(tmpdir(), 'huduma-test-cache');
  const file = join(dir, `pglite-migrated-${digest.digest('hex').slice(0, 16)}.tar`);
  const snapshot = await readFile(file).catch(() => undefined);
  if (snapshot !== undefined) return openPgliteDb(undefined, { loadDataDir: new Blob([snapshot]) });

  const db = await openPgliteDb();
  await migrate(db);
  const tables = await publicTables(db);
  await db.exec(
    [
      `CREATE SCHEMA ${SEED_SCHEMA}`,
      ...tables.map((t) => `CREATE TABLE ${SEED_SCHEMA}.${t} AS TABLE public.${t}`),
    ]
      .map((statement) => `${statement};`)
      .join('\n'),
  );
  const dump = new Uint8Array(await (await dumpPgliteDb(db)).arrayBuffer());
  // Written then renamed, so a worker racing this one reads a whole snapshot or none.
  await mkdir(dir, { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, dump);
  await rename(partial, file);
  return db;
}

async function publicTables(db: Db): Promise<string[]> {
  const rows = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return rows.map((row) => `"${row.table_name}"`);
}

async function reset(db: Db): Promise<string> {
  if (resetSql !== undefined) return resetSql;
  const tables = await publicTables(db);
  resetSql = [
    `TRUNCATE ${tables.map((t) => `public.${t}`).join(', ')} RESTART IDENTITY CASCADE`,
    ...tables.map((t) => `INSERT INTO public.${t} OVERRIDING SYSTEM VALUE SELECT * FROM ${SEED_SCHEMA}.${t}`),
  ]
    .map((statement) => `${statement};`)
    .join('\n');
  return resetSql;
}

function lend(db: Db): Db {
  let open = true;
  const live = (): Db => {
    if (!open) throw new Error('this test database was closed');
    return db;
  };
  return {
    kind: db.kind,
    query: (sql, params) => live().query(sql, params),
    exec: (sql) => live().exec(sql),
    transaction: (fn) => live().transaction(fn),
    async close() {
      if (!open) return;
      open = false;
      idle.push(db);
    },
  };
}
