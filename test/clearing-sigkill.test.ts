/**
 * The clearing service killed with SIGKILL in the middle of a large upload, restarted on the same
 * data (PGlite on disk, and a PostgreSQL server), and the terminal resuming from its state:
 * nothing of the killed batch stored, then every record exactly once, the Merkle tree consistent,
 * and the settlement equal to what the cards signed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordHash } from '@huduma/txlog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../packages/clearing-service/src/db/migrations';
import { openPgliteDb } from '../packages/clearing-service/src/db/pglite';
import { openPostgresDb } from '../packages/clearing-service/src/db/postgres';
import type { Db } from '../packages/clearing-service/src/db/types';
import { LEAF_INDEX_SQL } from '../packages/clearing-service/src/ingest';
import { currentTreeHead, rootFromLeaves } from '../packages/clearing-service/src/merkle';
import { nairobiBusinessDate } from '../packages/clearing-service/src/store';
import { cardNumberFor, TestPki, type TestTerminal } from '../packages/clearing-service/test/fixtures';
import { type Child, startChild } from '../packages/clearing-service/test/support/child-process';
import { type PostgresServer, startPostgres } from './support/postgres-harness';

const SERVICE = join(import.meta.dirname, '../packages/clearing-service/test/support/child-service.ts');
const OPERATOR = 'operator-token-for-sigkill-tests-0123';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Backend {
  name: string;
  /** Environment for the child service. */
  env: Record<string, string>;
  /** The database, opened by the test only while no service runs on it (PGlite: one process). */
  open(): Promise<Db>;
}

/** A terminal log: 500 records uploaded before the crash, then one batch of 4000. */
function terminalLog(pki: TestPki, terminalId: string) {
  const t = pki.terminal(terminalId, { merchantId: 'M-KILL' });
  const cards = Array.from({ length: 60 }, (_, i) => pki.card(cardNumberFor(7000 + i), 100_000_000));
  const signed = new Map<string, { count: number; cents: number }>();
  const sell = (n: number) => {
    for (let i = 0; i < n; i++) {
      const amount = 100 + ((i * 7919) % 20_000);
      const sale = t.sale(cards[i % cards.length]!, amount);
      const date = nairobiBusinessDate(Math.floor(t.time / 1000));
      const s = signed.get(date) ?? { count: 0, cents: 0 };
      s.count++;
      s.cents += amount;
      signed.set(date, s);
      if (i % 500 === 0) t.tick(60_000);
      void sale;
    }
    t.checkpoint();
  };
  sell(499);
  const firstEnd = t.records.length - 1;
  sell(3999);
  return { t, firstEnd, signed };
}

async function post(url: string, t: TestTerminal, from: number, to = t.records.length - 1) {
  const path = `/v1/terminals/${t.terminalId}/batches`;
  const body = t.batch(from, to);
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/cbor', ...t.signRequest('POST', path, body) },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function operatorGet(url: string, path: string) {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${OPERATOR}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

function startService(backend: Backend, pki: TestPki, stallAt?: string): Child {
  return startChild(SERVICE, {
    ...backend.env,
    CHILD_OPERATOR_TOKEN: OPERATOR,
    CHILD_ISSUER_CA: hex(pki.issuerCa.publicKey),
    CHILD_ACQUIRER_CA: hex(pki.acquirerCa.publicKey),
    ...(stallAt ? { CHILD_STALL_AT: stallAt } : {}),
  });
}

/** Posts the big batch, waits until the child stalls at `point`, SIGKILLs it; the post fails. */
async function killMidBatch(backend: Backend, pki: TestPki, t: TestTerminal, from: number, point: string) {
  const child = startService(backend, pki, point);
  const url = await child.waitFor<string>('listening');
  const inFlight = post(url, t, from).then(
    (r) => ({ answered: r }),
    (error: Error) => ({ failed: error.message }),
  );
  expect(await child.waitFor<string>('stalled')).toBe(point);
  await child.kill();
  expect(await inFlight).toHaveProperty('failed');
}

const pgliteDir = mkdtempSync(join(tmpdir(), 'huduma-sigkill-pglite-'));
let postgres: PostgresServer | undefined;
const backends: Record<string, () => Promise<Backend>> = {
  'pglite on disk': async () => ({
    name: 'pglite on disk',
    env: { CHILD_DATA_DIR: pgliteDir },
    open: async () => openPgliteDb(join(pgliteDir, 'pgdata')),
  }),
  postgres: async () => {
    postgres ??= await startPostgres();
    const url = await postgres.createDatabase('sigkill');
    // The schema exists before the first child starts, as with a deployed server.
    const db = await openPostgresDb(url);
    await migrate(db);
    await db.close();
    return {
      name: 'postgres',
      env: { CHILD_DATABASE_URL: url, CHILD_KEY_FILE: join(pgliteDir, 'postgres-service-key.pem') },
      open: async () => openPostgresDb(url),
    };
  },
};

afterAll(async () => {
  await postgres?.stop();
  rmSync(pgliteDir, { recursive: true, force: true });
});

describe.each(Object.keys(backends))('clearing service SIGKILLed mid-batch (%s)', (which) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await backends[which]!();
  });

  it('restarts on the same data; the terminal resumes; every record exactly once, tree and money exact', async () => {
    const pki = new TestPki();
    const { t, firstEnd, signed } = terminalLog(pki, `KILL-${which.slice(0, 3).toUpperCase()}`);
    const total = t.records.length;

    // 1. A first batch stored, then the service killed while idle (no clean shutdown).
    let child = startService(backend, pki);
    let url = await child.waitFor<string>('listening');
    expect((await post(url, t, 0, firstEnd)).status).toBe(200);
    await child.kill();

    // 2. Killed while the 4000-record body is being verified; 3. killed inside the upload
    // transaction after records, counters and batch rows were written, before the Merkle append.
    await killMidBatch(backend, pki, t, firstEnd + 1, 'verify');
    await killMidBatch(backend, pki, t, firstEnd + 1, 'SELECT tree_size, frontier FROM merkle_state');

    // 4. Restart: nothing of the killed batch is held; resume from the state and re-upload.
    child = startService(backend, pki);
    url = await child.waitFor<string>('listening');
    const state = await operatorGet(url, `/v1/terminals/${t.terminalId}/state`);
    expect(state).toMatchObject({ lastSeq: firstEnd, headHash: hex(recordHash(t.records[firstEnd]!)) });
    const resumed = await post(url, t, (state.lastSeq as number) + 1);
    expect(resumed.status).toBe(200);
    expect(resumed.json).toMatchObject({
      status: 'accepted',
      newRecords: total - firstEnd - 1,
      duplicateRecords: 0,
    });
    // A retry after a lost answer is harmless: the original receipt again.
    const retry = await post(url, t, firstEnd + 1);
    expect(retry.json).toMatchObject({ status: 'duplicate', receiptId: resumed.json.receiptId });

    // Settlement = the card-signed sums, per business day.
    for (const [date, s] of signed) {
      const day = await operatorGet(url, `/v1/admin/settlement?date=${date}`);
      expect(day.totals).toMatchObject({ debitCount: s.count, grossDebitsCents: s.cents, netCents: s.cents });
    }
    const health = (await (await fetch(`${url}/healthz`)).json()) as { treeSize: number };
    expect(health.treeSize).toBe(total);
    expect(await child.stop()).toBe(0);

    // The stored log is exactly the terminal's, and the Merkle tree is the tree of those leaves.
    const db = await backend.open();
    try {
      const rows = await db.query<{ seq: number; record: Uint8Array; leaf: number }>(
        `SELECT r.seq, r.record, ${LEAF_INDEX_SQL} AS leaf
         FROM accepted_records r LEFT JOIN batches b ON b.batch_id = r.batch_id ORDER BY leaf`,
      );
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(rows.map((r) => r.leaf)).toEqual(Array.from({ length: total }, (_, i) => i));
      rows.forEach((r) => {
        expect(hex(r.record)).toBe(hex(t.records[r.seq]!));
      });
      const head = await currentTreeHead(db);
      expect(head.treeSize).toBe(total);
      expect(hex(head.rootHash)).toBe(hex(rootFromLeaves(rows.map((r) => r.record))));
      const counters = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM card_counters');
      expect(counters[0]!.n).toBe(total - 2);
    } finally {
      await db.close();
    }
  }, 180_000);
});
