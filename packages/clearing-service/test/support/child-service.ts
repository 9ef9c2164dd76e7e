/**
 * The clearing service as a separate process, for tests that kill it (SIGKILL) and restart it:
 *
 *   node --conditions=huduma-source --import tsx child-service.ts
 *
 * Environment: CHILD_DATA_DIR (PGlite in DIR/pgdata, service key in DIR) or CHILD_DATABASE_URL
 * (+ CHILD_KEY_FILE), CHILD_ISSUER_CA / CHILD_ACQUIRER_CA (hex public keys), CHILD_OPERATOR_TOKEN,
 * optionally CHILD_EDGE (JSON of the `edge` option: timeouts, rate limits).
 * Prints one JSON line `{"listening":"http://127.0.0.1:PORT"}` to stdout when ready.
 *
 * Test hook, CHILD_STALL_AT: `verify` (a batch's body arrived, before verification) or a prefix of
 * a SQL statement of the upload transaction (e.g. `SELECT tree_size, frontier FROM merkle_state`).
 * The first time it is reached the process prints `{"stalled":"<point>"}` and never continues that
 * request, so a parent's SIGKILL lands at exactly that point.
 */
import { join } from 'node:path';
import { createClearingService } from '../../src/app';
import { migrate } from '../../src/db/migrations';
import { openPgliteDb } from '../../src/db/pglite';
import { openPostgresDb } from '../../src/db/postgres';
import type { Db, Queryable } from '../../src/db/types';
import { loadOrCreateFileSigner } from '../../src/signer';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`child-service: ${name} is not set`);
  return value;
};
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const say = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

const stallAt = process.env.CHILD_STALL_AT;
let stalled = false;
const stallForever = (point: string) => {
  stalled = true;
  say({ stalled: point });
  return new Promise<never>(() => undefined);
};

function withStall(db: Db): Db {
  if (!stallAt || stallAt === 'verify') return db;
  const wrap = (q: Queryable): Queryable => ({
    query: async (sql, params) => {
      if (!stalled && sql.trimStart().startsWith(stallAt)) await stallForever(stallAt);
      return q.query(sql, params);
    },
    exec: (sql) => q.exec(sql),
  });
  return { ...db, transaction: (fn) => db.transaction((tx) => fn(wrap(tx))) };
}

async function main() {
  const dataDir = process.env.CHILD_DATA_DIR;
  const db = dataDir
    ? await openPgliteDb(join(dataDir, 'pgdata'))
    : await openPostgresDb(env('CHILD_DATABASE_URL'));
  await migrate(db);
  const { signer } = loadOrCreateFileSigner(
    dataDir ? join(dataDir, 'service-key.pem') : env('CHILD_KEY_FILE'),
  );
  const app = createClearingService({
    db: withStall(db),
    signer,
    operatorToken: env('CHILD_OPERATOR_TOKEN'),
    logger: false,
    ...(process.env.CHILD_EDGE ? { edge: JSON.parse(process.env.CHILD_EDGE) } : {}),
    trust: {
      issuerCaKeys: [fromHex(env('CHILD_ISSUER_CA'))],
      acquirerCaKeys: [fromHex(env('CHILD_ACQUIRER_CA'))],
    },
  });
  if (stallAt === 'verify') {
    app.addHook('preHandler', async (request) => {
      if (!stalled && request.url.endsWith('/batches')) await stallForever('verify');
    });
  }
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  process.once('SIGTERM', () => {
    void app
      .close()
      .then(() => db.close())
      .then(() => process.exit(0));
  });
  say({ listening: url });
}

main().catch((error: unknown) => {
  process.stderr.write(`child-service: ${(error as Error).stack}\n`);
  process.exit(1);
});
