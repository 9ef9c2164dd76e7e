/**
 * The service on a really full filesystem: a small tmpfs mounted for the test holds PGlite's data
 * directory, or a PostgreSQL tablespace the test database lives in. /healthz must say
 * "degraded" (a real write probe), uploads must answer 503 ERR_STORAGE_UNAVAILABLE with
 * Retry-After and store nothing, and everything must work again once space is freed.
 * Needs root for `mount` (the suite runs as root, as `npm test`'s setup does).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../../test/support/postgres-harness';
import { createClearingService } from '../src/app';
import { migrate } from '../src/db/migrations';
import { openPgliteDb } from '../src/db/pglite';
import { openPostgresDb } from '../src/db/postgres';
import type { Db } from '../src/db/types';
import { generateSigner } from '../src/signer';
import { STORAGE_PROBE_TTL_MS } from '../src/storage-probe';
import { cardNumberFor, TestPki } from './fixtures';

const OPERATOR = 'operator-token-for-tests-0123456789';

function mountTmpfs(dir: string, size: string): void {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(
      `this test mounts a small tmpfs to fill it for real and needs root (or CAP_SYS_ADMIN): ${(error as Error).message}`,
    );
  }
}
const unmount = (dir: string) => execFileSync('umount', ['-l', dir], { stdio: 'pipe' });

interface FullDiskBackend {
  name: string;
  /** A migrated database whose data lives on `mount`. */
  open(mount: string): Promise<Db>;
  close(db: Db): Promise<void>;
}

let pg: PostgresServer | undefined;
const backends: FullDiskBackend[] = [
  {
    name: 'pglite',
    async open(mount) {
      const db = await openPgliteDb(join(mount, 'pgdata'));
      await migrate(db);
      return db;
    },
    // PGlite aborts when its shutdown checkpoint cannot be written; the test is over by then.
    close: (db) => db.close().catch(() => undefined),
  },
  {
    name: 'postgres',
    async open(mount) {
      pg ??= await startPostgres();
      const ids = execFileSync('id', ['-u', 'postgres']).toString().trim();
      const gid = execFileSync('id', ['-g', 'postgres']).toString().trim();
      const location = join(mount, 'tablespace');
      mkdirSync(location);
      chownSync(location, Number(ids), Number(gid));
      const admin = await openPostgresDb(pg.url, { max: 1 });
      const name = `full_disk_${process.pid}`;
      await admin.exec(`CREATE TABLESPACE ${name} LOCATION '${location}'`);
      await admin.exec(`CREATE DATABASE ${name} TABLESPACE ${name}`);
      await admin.close();
      const db = await openPostgresDb(pg.url.replace(/\/postgres$/, `/${name}`));
      await migrate(db);
      return db;
    },
    async close(db) {
      await db.close();
      await pg?.stop();
      pg = undefined;
    },
  },
];

for (const backend of backends) {
  describe(`a full disk (${backend.name})`, () => {
    const mount = mkdtempSync(join(tmpdir(), 'huduma-full-disk-'));
    const filler = join(mount, 'filler');
    let db: Db;
    let app: FastifyInstance;
    let clock = Date.now();
    const pki = new TestPki();

    beforeAll(async () => {
      mountTmpfs(mount, '48m');
      db = await backend.open(mount);
      app = createClearingService({
        db,
        signer: generateSigner(),
        operatorToken: OPERATOR,
        logger: false,
        trust: pki.trust,
        verifyThreads: 0,
        now: () => clock,
      });
      await app.ready();
    }, 60_000);
    afterAll(async () => {
      await app?.close();
      if (db) await backend.close(db);
      try {
        unmount(mount);
      } finally {
        rmSync(mount, { recursive: true, force: true });
      }
    });

    const count = async () =>
      (await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM accepted_records'))[0]!.n;
    const advance = () => {
      clock += STORAGE_PROBE_TTL_MS + 1;
    };

    it('says degraded, refuses uploads with 503 and Retry-After, stores nothing, and recovers', async () => {
      const t = pki.terminal('DSK-1');
      const card = pki.card(cardNumberFor(31));
      const health = await app.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode, health.body).toBe(200);
      expect(health.json().storage.writable).toBe(true);

      // Fill the filesystem for real.
      expect(() => writeFileSync(filler, Buffer.alloc(64 * 1024 * 1024))).toThrow(/ENOSPC/);
      advance();
      const degraded = await app.inject({ method: 'GET', url: '/healthz' });
      expect(degraded.statusCode, degraded.body).toBe(503);
      expect(degraded.json()).toMatchObject({ status: 'degraded', storage: { writable: false } });

      for (let i = 0; i < 40; i++) t.sale(card, 100 + i);
      t.checkpoint();
      const before = await count();
      const refused = await app.inject({
        method: 'POST',
        url: '/v1/terminals/DSK-1/batches',
        headers: {
          'content-type': 'application/cbor',
          ...t.signRequest('POST', '/v1/terminals/DSK-1/batches', t.batch()),
        },
        payload: Buffer.from(t.batch()),
      });
      expect(refused.statusCode, refused.body).toBe(503);
      expect(refused.json()).toEqual({ error: 'ERR_STORAGE_UNAVAILABLE', message: expect.any(String) });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(await count()).toBe(before);

      // Space freed: health is ok again and the terminal's retry is stored.
      rmSync(filler);
      advance();
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      const retried = await app.inject({
        method: 'POST',
        url: '/v1/terminals/DSK-1/batches',
        headers: {
          'content-type': 'application/cbor',
          ...t.signRequest('POST', '/v1/terminals/DSK-1/batches', t.batch()),
        },
        payload: Buffer.from(t.batch()),
      });
      expect(retried.statusCode, retried.body).toBe(200);
      expect(await count()).toBe(before + 41);
    }, 60_000);
  });
}
