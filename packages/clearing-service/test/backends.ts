import { afterAll, beforeAll } from 'vitest';
import { type PostgresServer, startPostgres } from '../../../test/support/postgres-harness';
import { migrate } from '../src/db/migrations';
import { openPgliteDb } from '../src/db/pglite';
import { openPostgresDb } from '../src/db/postgres';
import type { Db } from '../src/db/types';
import { openTestPglite } from './support/pglite-pool';

/**
 * Each backend the storage suites run against. `open()` gives a fresh, migrated, empty database;
 * `shutdown()` releases what the backend started (the PostgreSQL server).
 */
export interface Backend {
  name: 'pglite' | 'postgres';
  open(): Promise<Db>;
  /** A fresh database with no migrations applied. */
  openEmpty(): Promise<Db>;
  shutdown(): Promise<void>;
}

let server: PostgresServer | undefined;
let databaseCounter = 0;

const ALL_BACKENDS: Backend[] = [
  {
    name: 'pglite',
    open: () => openTestPglite(),
    openEmpty: () => openPgliteDb(),
    async shutdown() {},
  },
  {
    name: 'postgres',
    async open() {
      const db = await this.openEmpty();
      await migrate(db);
      return db;
    },
    async openEmpty() {
      server ??= await startPostgres();
      const url = await server.createDatabase(`clearing_${process.pid}_${++databaseCounter}`);
      return openPostgresDb(url);
    },
    async shutdown() {
      await server?.stop();
      server = undefined;
    },
  },
];

/**
 * HUDUMA_TEST_BACKENDS=pglite (the fast lane, scripts/test-fast) skips PostgreSQL; `npm test`
 * runs both, so SQL that works on only one of them still fails there.
 */
const only = process.env.HUDUMA_TEST_BACKENDS?.split(',').map((name) => name.trim());
export const BACKENDS: Backend[] = only ? ALL_BACKENDS.filter((b) => only.includes(b.name)) : ALL_BACKENDS;

/**
 * A fresh, migrated database of `backend` for the describe block that calls this: opened before
 * its tests, closed (and the backend shut down) after them. Tests read it through the getter.
 */
export function databaseFor(backend: Backend): () => Db {
  let db: Db | undefined;
  beforeAll(async () => {
    db = await backend.open();
  });
  afterAll(async () => {
    await db?.close();
    await backend.shutdown();
  });
  return () => {
    if (!db) throw new Error(`the ${backend.name} database is not open: read it inside a test`);
    return db;
  };
}
