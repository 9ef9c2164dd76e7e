/**
 * No single point of failure: two clearing processes on a PostgreSQL primary with a synchronous
 * standby, terminals that know both service addresses, continuous sales and uploads — then the
 * primary is SIGKILLed and the standby promoted, and later one clearing process is SIGKILLed.
 * The services follow the new primary by themselves (multi-host URL), the terminals move to the
 * surviving service by themselves, and at the end: no acknowledged upload lost, no record held
 * twice, the Merkle tree the tree of exactly the terminals' logs, and settlement equal to the
 * sales. The time from each kill to the next acknowledged upload is printed.
 *
 * HUDUMA_FAILOVER_ROUNDS makes the soak version longer (`npm run soak:failover`).
 */
import { join } from 'node:path';
import { loadOrCreateFileSigner } from '@huduma/clearing-service';
import { DevPki } from '@huduma/pki';
import { BatchUploader } from '@huduma/terminal';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../packages/clearing-service/src/db/migrations';
import { openPostgresDb } from '../packages/clearing-service/src/db/postgres';
import { LEAF_INDEX_SQL } from '../packages/clearing-service/src/ingest';
import { currentTreeHead, rootFromLeaves } from '../packages/clearing-service/src/merkle';
import { type Child, startChild } from '../packages/clearing-service/test/support/child-process';
import { type ReplicatedPostgres, startReplicatedPostgres } from './support/pg-replication';
import {
  type FleetCard,
  type FleetTerminal,
  issueFleetCard,
  openFleetTerminal,
  tempDir,
} from './support/terminal-fleet';

const SERVICE = join(import.meta.dirname, '../packages/clearing-service/test/support/child-service.ts');
const OPERATOR = 'operator-token-for-failover-tests-01';
const ROUNDS = Number(process.env.HUDUMA_FAILOVER_ROUNDS ?? 24);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const pki = DevPki.inMemory();
const root = tempDir('huduma-failover-');
let pg: ReplicatedPostgres | undefined;
const services: Child[] = [];

afterAll(async () => {
  await Promise.all(services.map((s) => s.kill().catch(() => undefined)));
  await pg?.stop();
});

function startService(databaseUrl: string): Child {
  const child = startChild(SERVICE, {
    CHILD_DATABASE_URL: databaseUrl,
    CHILD_KEY_FILE: join(root, 'service-key.pem'),
    CHILD_OPERATOR_TOKEN: OPERATOR,
    CHILD_ISSUER_CA: hex(pki.issuerCaPublicKey),
    CHILD_ACQUIRER_CA: hex(pki.acquirerCaPublicKey),
  });
  services.push(child);
  return child;
}

describe('PostgreSQL failover under continuous uploads', () => {
  it('loses no acknowledged upload, holds nothing twice, and the terminals resume by themselves', async () => {
    pg = await startReplicatedPostgres();
    await pg.waitForSyncStandby();
    const setup = await openPostgresDb(pg.primaryUrl('postgres'), { max: 1 });
    await setup.exec('CREATE DATABASE clearing');
    await setup.close();
    const primaryDb = await openPostgresDb(pg.primaryUrl('clearing'), { max: 1 });
    await migrate(primaryDb);
    await primaryDb.close();

    // The service key exists before two processes share it.
    const { signer } = loadOrCreateFileSigner(join(root, 'service-key.pem'));
    const serviceA = startService(pg.url('clearing'));
    const serviceB = startService(pg.url('clearing'));
    const urls = [await serviceA.waitFor<string>('listening'), await serviceB.waitFor<string>('listening')];

    // Three counters, each with its own cards (a card is in one reader at a time).
    const terminals: FleetTerminal[] = [];
    const cards = new Map<string, FleetCard[]>();
    for (const id of ['T-FO1', 'T-FO2', 'T-FO3']) {
      const t = await openFleetTerminal({
        pki,
        dir: join(root, id),
        terminalId: id,
        merchantId: 'M-FAIL',
        location: { kind: 'partner-merchant', name: id },
      });
      terminals.push(t);
      const own: FleetCard[] = [];
      for (let i = 0; i < 3; i++)
        own.push(await issueFleetCard(pki, join(root, 'cards'), `${id}-c${i}`, { balance: 10_000_000 }));
      cards.set(id, own);
    }
    // Both addresses, in a different order per terminal: the load spreads over both services.
    const uploaders = terminals.map(
      (t, i) =>
        new BatchUploader({
          engine: t.engine,
          baseUrl: i % 2 === 0 ? urls : [...urls].reverse(),
          servicePublicKey: signer.publicKey,
          maxBatchRecords: 8,
          retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200 },
        }),
    );

    let sold = 0;
    let soldCents = 0;
    /** Time of the last acknowledged upload, per terminal. */
    const lastAck = new Map<string, number>();
    const lastError = new Map<string, string>();
    let faultsOver = false;
    /** Records each terminal had acknowledged by the service when the primary died. */
    const ackedBeforeKill = new Map<string, number>();
    const counter = async (t: FleetTerminal, uploader: BatchUploader, index: number) => {
      const own = cards.get(t.terminalId)!;
      // Sells for ROUNDS rounds, and on until the faults are over, as a counter keeps trading.
      for (let round = 0; round < ROUNDS || !faultsOver; round++) {
        for (let s = 0; s < 3; s++) {
          const amount = 100 + ((round * 31 + s * 7 + index * 13) % 50) * 100;
          t.tap(own[(round + s) % own.length]!);
          try {
            await t.engine.sale({ amount, billRef: `FO${index}-${round}-${s}` });
          } finally {
            t.remove();
          }
          sold++;
          soldCents += amount;
        }
        await uploader.checkpointIfLong();
        const report = await uploader.syncNow();
        if (report.errors.length === 0) lastAck.set(t.terminalId, Date.now());
        else lastError.set(t.terminalId, report.errors.map((e) => e.message).join('; '));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    const recoveries: Record<string, number> = {};
    /** ms from `at` until every terminal has an acknowledged upload after it. */
    const recovered = async (at: number, what: string) => {
      const deadline = Date.now() + 90_000;
      while (terminals.some((t) => (lastAck.get(t.terminalId) ?? 0) <= at)) {
        if (Date.now() > deadline)
          throw new Error(
            `terminals did not resume within 90 s after ${what}: ${JSON.stringify(Object.fromEntries(lastError))}\n` +
              services.map((s) => s.stderr().slice(-1500)).join('\n'),
          );
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      recoveries[what] = Date.now() - at;
    };
    const until = async (n: number) => {
      while (sold < n) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    const faults = async () => {
      const total = ROUNDS * 3 * terminals.length;
      await until(Math.floor(total * 0.3));
      const killedAt = Date.now();
      for (const t of terminals) ackedBeforeKill.set(t.terminalId, t.engine.syncedRecordCount);
      pg!.killPrimary();
      // The operator (or a failover manager) promotes the standby a moment later.
      await new Promise((resolve) => setTimeout(resolve, 500));
      pg!.promoteStandby();
      await recovered(killedAt, 'primary killed');
      await until(Math.floor(total * 0.6));
      const serviceKilledAt = Date.now();
      await serviceA.kill();
      await recovered(serviceKilledAt, 'clearing process killed');
      faultsOver = true;
    };

    await Promise.all([...terminals.map((t, i) => counter(t, uploaders[i]!, i)), faults()]);
    // Evening: a last sync from each terminal, through what is left.
    for (const [i, t] of terminals.entries()) {
      await uploaders[i]!.checkpointIfLong();
      const report = await uploaders[i]!.syncNow();
      expect(report.errors).toEqual([]);
      expect(t.engine.status().unsyncedRecords).toBe(0);
    }
    console.log(
      `failover: ${sold} sales on ${terminals.length} terminals; resumed after ${Object.entries(recoveries)
        .map(([what, ms]) => `${what}: ${ms} ms`)
        .join(', ')}`,
    );

    // What the new primary holds is exactly the terminals' logs: every acknowledged upload
    // survived (a lost one would leave a gap the next upload is refused for), nothing twice.
    const db = await openPostgresDb(pg.url('clearing'), { max: 1 });
    try {
      let total = 0;
      for (const t of terminals) {
        const local: string[] = [];
        for await (const r of t.engine.storedRecords(0)) local.push(hex(r.bytes));
        const held = await db.query<{ seq: number; record: Uint8Array }>(
          'SELECT seq, record FROM accepted_records WHERE terminal_id = $1 ORDER BY seq',
          [t.terminalId],
        );
        expect(held.map((r) => hex(r.record))).toEqual(local);
        // Uploads had been acknowledged before the kill, and every one of them is on the new primary.
        expect(ackedBeforeKill.get(t.terminalId)).toBeGreaterThan(0);
        expect(held.length).toBeGreaterThanOrEqual(ackedBeforeKill.get(t.terminalId)!);
        total += local.length;
      }
      const leaves = await db.query<{ record: Uint8Array }>(
        `SELECT r.record, ${LEAF_INDEX_SQL} AS leaf
         FROM accepted_records r LEFT JOIN batches b ON b.batch_id = r.batch_id ORDER BY leaf`,
      );
      const head = await currentTreeHead(db);
      expect(head.treeSize).toBe(total);
      expect(hex(head.rootHash)).toBe(hex(rootFromLeaves(leaves.map((l) => l.record))));
      // Settlement, as the merchant gets it from the surviving service, equals the sales to the cent.
      const dates = await db.query<{ d: string }>('SELECT DISTINCT business_date AS d FROM accepted_records');
      let debitCount = 0;
      let netCents = 0;
      for (const { d } of dates) {
        const res = await fetch(`${urls[1]}/v1/admin/settlement?date=${d}`, {
          headers: { authorization: `Bearer ${OPERATOR}` },
        });
        expect(res.status).toBe(200);
        const day = (await res.json()) as { totals: { debitCount: number; netCents: number } };
        debitCount += day.totals.debitCount;
        netCents += day.totals.netCents;
      }
      expect({ debitCount, netCents }).toEqual({ debitCount: sold, netCents: soldCents });
    } finally {
      await db.close();
    }
  }, 300_000);
});
