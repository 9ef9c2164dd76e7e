/**
 * The same terminal uploading from two processes at once: two copies of one terminal's data
 * directory (as when a restored backup runs beside the original) each run `huduma-terminal sync`
 * in small batches, at the same moment, against two clearing-service processes sharing one
 * PostgreSQL database. The service must serialise them across processes: both syncs succeed,
 * every record is held exactly once, the Merkle tree is the tree of the log, and the settlement
 * is what the cards signed.
 */
import { spawn } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DevPki } from '@huduma/pki';
import { TransactionLog } from '@huduma/txlog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../packages/clearing-service/src/db/migrations';
import { openPostgresDb } from '../packages/clearing-service/src/db/postgres';
import { LEAF_INDEX_SQL } from '../packages/clearing-service/src/ingest';
import { currentTreeHead, rootFromLeaves } from '../packages/clearing-service/src/merkle';
import { nairobiBusinessDate } from '../packages/clearing-service/src/store';
import { type Child, startChild } from '../packages/clearing-service/test/support/child-process';
import { type PostgresServer, startPostgres } from './support/postgres-harness';
import { issueFleetCard, openFleetTerminal, tempDir } from './support/terminal-fleet';

const SERVICE = join(import.meta.dirname, '../packages/clearing-service/test/support/child-service.ts');
const TERMINAL_CLI = join(import.meta.dirname, '../terminal-app/src/cli.ts');
const OPERATOR = 'operator-token-for-two-process-tests';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function runSync(dir: string, url: string, serviceKey: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=huduma-source',
        '--import',
        'tsx',
        TERMINAL_CLI,
        'sync',
        '--dir',
        dir,
        '--url',
        url,
        '--service-key',
        serviceKey,
        '--batch-records',
        '12',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('one terminal uploading from two processes at once (two service processes, one PostgreSQL)', () => {
  const root = tempDir('huduma-two-proc-');
  const pki = DevPki.inMemory();
  let postgres: PostgresServer;
  let databaseUrl: string;
  const services: Child[] = [];

  beforeAll(async () => {
    postgres = await startPostgres();
    databaseUrl = await postgres.createDatabase('two_processes');
    const db = await openPostgresDb(databaseUrl);
    await migrate(db);
    await db.close();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill()));
    await postgres?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('both syncs succeed; every record held once; tree and settlement exact', async () => {
    // The log: 120 sales on 6 cards, a checkpoint every 10, so it ends on a checkpoint and both
    // copies upload exactly the same records without appending any of their own.
    const t = await openFleetTerminal({
      pki,
      dir: join(root, 'terminal-a'),
      terminalId: 'T-TWIN',
      merchantId: 'HC-TWIN',
      location: { kind: 'huduma-centre', name: 'Twin' },
    });
    const cards = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        issueFleetCard(pki, join(root, 'cards'), `c${i}`, { balance: 10_000_000 }),
      ),
    );
    const signedCents = new Map<string, { count: number; cents: number }>();
    for (let i = 0; i < 120; i++) {
      const cents = 100 + ((i * 7919) % 50_000);
      t.tap(cards[i % cards.length]!);
      const approved = await t.engine.sale({ amount: cents, billRef: `TWIN-${i}` });
      t.remove();
      expect(approved.amountCents).toBe(cents);
      const day = nairobiBusinessDate(Math.floor(Date.now() / 1000));
      const s = signedCents.get(day) ?? { count: 0, cents: 0 };
      signedCents.set(day, { count: s.count + 1, cents: s.cents + cents });
      if (i % 10 === 9) await t.engine.checkpoint();
    }
    await t.engine.close();
    const log = await TransactionLog.open(join(t.dir, 'transactions.hlog'));
    const records: Uint8Array[] = [];
    for await (const r of log.records()) records.push(r.bytes);
    await log.close();
    cpSync(t.dir, join(root, 'terminal-b'), { recursive: true });

    // Two service processes on the one database (the first creates the shared service key).
    const env = {
      CHILD_DATABASE_URL: databaseUrl,
      CHILD_KEY_FILE: join(root, 'service-key.pem'),
      CHILD_OPERATOR_TOKEN: OPERATOR,
      CHILD_ISSUER_CA: hex(pki.issuerCaPublicKey),
      CHILD_ACQUIRER_CA: hex(pki.acquirerCaPublicKey),
    };
    services.push(startChild(SERVICE, env));
    const urlA = await services[0]!.waitFor<string>('listening');
    services.push(startChild(SERVICE, env));
    const urlB = await services[1]!.waitFor<string>('listening');
    const serviceKey = ((await (await fetch(`${urlA}/v1/service-key`)).json()) as { publicKey: string })
      .publicKey;

    const [a, b] = await Promise.all([
      runSync(join(root, 'terminal-a'), urlA, serviceKey),
      runSync(join(root, 'terminal-b'), urlB, serviceKey),
    ]);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(b.code, b.stdout + b.stderr).toBe(0);
    // Each process uploaded in parts; between them every batch was stored once, the rest
    // acknowledged as already held.
    const stored = (out: string) =>
      [...out.matchAll(/receipt \d+: accepted, (\d+) new/g)].reduce((n, m) => n + Number(m[1]), 0);
    for (const out of [a.stdout, b.stdout])
      expect(out).toContain(`holds the log up to seq ${records.length - 1}`);
    expect(stored(a.stdout) + stored(b.stdout)).toBe(records.length);

    const db = await openPostgresDb(databaseUrl);
    try {
      const rows = await db.query<{ seq: number; record: Uint8Array; leaf: number }>(
        `SELECT r.seq, r.record, ${LEAF_INDEX_SQL} AS leaf
         FROM accepted_records r LEFT JOIN batches b ON b.batch_id = r.batch_id
         WHERE r.terminal_id = 'T-TWIN' ORDER BY leaf`,
      );
      expect(rows.map((r) => r.seq)).toEqual(records.map((_, i) => i));
      expect(rows.map((r) => r.leaf)).toEqual(records.map((_, i) => i));
      for (const r of rows) expect(hex(r.record)).toBe(hex(records[r.seq]!));
      const head = await currentTreeHead(db);
      expect(head.treeSize).toBe(records.length);
      expect(hex(head.rootHash)).toBe(hex(rootFromLeaves(records)));
      const alerts = await db.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM alerts');
      expect(alerts[0]!.n).toBe(0);
    } finally {
      await db.close();
    }
    for (const [date, s] of signedCents) {
      const res = await fetch(`${urlB}/v1/admin/settlement?date=${date}`, {
        headers: { authorization: `Bearer ${OPERATOR}` },
      });
      const day = (await res.json()) as { totals: Record<string, number> };
      expect(day.totals).toMatchObject({ debitCount: s.count, grossDebitsCents: s.cents, netCents: s.cents });
    }
  }, 240_000);
});
