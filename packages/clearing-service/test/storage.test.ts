import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appliedMigrations, MIGRATIONS, migrate } from '../src/db/migrations';
import type { Db } from '../src/db/types';
import { type IngestContext, ingestBatch } from '../src/ingest';
import { CardProofRecordVerifier } from '../src/record-verifier';
import { generateSigner } from '../src/signer';
import {
  appendDenyListEntry,
  currentDenyListVersion,
  denyListSince,
  isCardDenied,
  listAlerts,
  listCatalog,
  listPendingTopups,
  nairobiBusinessDate,
  raiseAlert,
  recordTopupNotification,
  settlementForDate,
  settlementToCsv,
} from '../src/store';
import { TrustStore } from '../src/trust';
import { BACKENDS } from './backends';
import { cardNumberFor, TestPki, type TestTerminal } from './fixtures';

describe.each(BACKENDS)('storage on $name', (backend) => {
  let db: Db;
  let ingest: IngestContext;
  const pki = new TestPki();

  beforeAll(async () => {
    db = await backend.open();
    const trust = new TrustStore(pki.trust);
    ingest = {
      db,
      signer: generateSigner(),
      trust,
      verifier: new CardProofRecordVerifier(trust),
      now: Date.now,
    };
  });
  afterAll(async () => {
    await db?.close();
    await backend.shutdown();
  });

  it('applies every migration once and a second run is a no-op', async () => {
    expect(await appliedMigrations(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrate(db)).toEqual([]);
  });

  it('migrates exactly once when several instances start at the same time', async () => {
    const fresh = await backend.openEmpty();
    try {
      const runs = await Promise.all([migrate(fresh), migrate(fresh), migrate(fresh)]);
      expect(runs.flat().sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await appliedMigrations(fresh)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await fresh.close();
    }
  });

  it('rolls back a failing migration completely', async () => {
    const broken = [
      ...MIGRATIONS,
      { version: 99, name: 'broken', sql: 'CREATE TABLE half_done (x INT); SELECT * FROM no_such_table;' },
    ];
    await expect(migrate(db, broken)).rejects.toMatchObject({ code: 'ERR_CLEARING_MIGRATION' });
    expect(await appliedMigrations(db)).not.toContain(99);
    const tables = await db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'");
    expect(tables).toHaveLength(0);
  });

  it('maps BIGINT to number and BYTEA to Uint8Array identically', async () => {
    const rows = await db.query<{ big: number; bytes: Uint8Array; day: string }>(
      "SELECT 9007199254740991::bigint AS big, $1::bytea AS bytes, '2026-03-14'::date AS day",
      [new Uint8Array([0, 1, 255])],
    );
    expect(rows[0]).toEqual({
      big: Number.MAX_SAFE_INTEGER,
      bytes: new Uint8Array([0, 1, 255]),
      day: '2026-03-14',
    });
    await expect(db.query('SELECT 9007199254740993::bigint AS big')).rejects.toMatchObject({
      code: 'ERR_CLEARING_DB_VALUE',
    });
  });

  it('rolls back a transaction that throws', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO merchants (merchant_id, name) VALUES ('M-GHOST', 'never committed')");
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.query("SELECT 1 FROM merchants WHERE merchant_id = 'M-GHOST'")).toHaveLength(0);
  });

  // Exactly-once records, forks and clones are tested where production does them: through the
  // upload (upload.test.ts: duplicates, forks, concurrent uploads, clones).

  it('records and lists alerts with their JSON details', async () => {
    const id = await raiseAlert(db, {
      kind: 'card_clone',
      severity: 'critical',
      cardNumber: '4000000000000002',
      details: { counter: 17, terminals: ['T1', 'T2'] },
    });
    const alerts = await listAlerts(db, { afterId: id - 1 });
    expect(alerts[0]).toMatchObject({
      alertId: id,
      kind: 'card_clone',
      severity: 'critical',
      cardNumber: '4000000000000002',
      details: { counter: 17, terminals: ['T1', 'T2'] },
    });
  });

  it('versions the deny list and serves compacted deltas', async () => {
    const base = await currentDenyListVersion(db);
    const v1 = await appendDenyListEntry(db, {
      cardNumber: '5000000000000001',
      action: 'add',
      reason: 'lost',
      createdBy: 'op',
    });
    const v2 = await appendDenyListEntry(db, {
      cardNumber: '5000000000000002',
      action: 'add',
      reason: 'clone',
      createdBy: 'op',
    });
    const v3 = await appendDenyListEntry(db, {
      cardNumber: '5000000000000001',
      action: 'remove',
      reason: 'found',
      createdBy: 'op',
    });
    expect([v1, v2, v3]).toEqual([base + 1, base + 2, base + 3]);
    expect(await denyListSince(db, base)).toEqual({
      version: v3,
      entries: [
        { version: v2, cardNumber: '5000000000000002', action: 'add' },
        { version: v3, cardNumber: '5000000000000001', action: 'remove' },
      ],
    });
    expect(await denyListSince(db, v2)).toEqual({
      version: v3,
      entries: [{ version: v3, cardNumber: '5000000000000001', action: 'remove' }],
    });
    expect(await denyListSince(db, v3)).toEqual({ version: v3, entries: [] });
    expect(await isCardDenied(db, '5000000000000002')).toBe(true);
    expect(await isCardDenied(db, '5000000000000001')).toBe(false);
  });

  it('allocates gapless deny-list versions under concurrency', async () => {
    const base = await currentDenyListVersion(db);
    const versions = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        db.transaction((tx) =>
          appendDenyListEntry(tx, {
            cardNumber: `600000000000000${i}`,
            action: 'add',
            reason: 'r',
            createdBy: 'op',
          }),
        ),
      ),
    );
    expect([...versions].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6].map((i) => base + i));
  });

  it('settles per merchant per Nairobi day, reconciling exactly with accepted_records', async () => {
    // A recent day (the test certificates are valid around now), in Nairobi time (UTC+3).
    const dayStartMs = Math.floor((Date.now() - 3 * 86_400_000) / 86_400_000) * 86_400_000 - 3 * 3600_000;
    const day = new Date(dayStartMs + 3 * 3600_000).toISOString().slice(0, 10);
    const at = dayStartMs + 12 * 3600_000;
    const lateEvening = dayStartMs + 86_400_000 - 1000; // 23:59:59 Nairobi: still that day
    const nextDay = dayStartMs + 86_400_000; // 00:00 the next day in Nairobi
    expect(nairobiBusinessDate(lateEvening / 1000)).toBe(day);
    expect(nairobiBusinessDate(nextDay / 1000)).not.toBe(day);
    const at_ = (t: TestTerminal, ms: number) => {
      t.time = ms - 1000; // the next record's time (records tick one second)
    };
    const gpo = pki.terminal('T1', { merchantId: 'M-GPO' });
    const card = pki.card(cardNumberFor(41));
    at_(gpo, at);
    gpo.sale(card, 750_000);
    at_(gpo, at);
    const second = gpo.sale(card, 20_000, 'B-CANCELLED');
    at_(gpo, lateEvening);
    gpo.cancel(card, 20_000, 'B-CANCELLED', second.seq + 1);
    at_(gpo, nextDay);
    gpo.sale(card, 15_000);
    gpo.checkpoint();
    const mombasa = pki.terminal('T2', { merchantId: 'M-MSA' });
    at_(mombasa, at);
    mombasa.sale(pki.card(cardNumberFor(42)), 305_000);
    mombasa.append({ type: 'shift-open', time: mombasa.tick(), shiftId: 'S1', operatorId: 'op1' });
    mombasa.checkpoint();
    for (const t of [gpo, mombasa]) {
      expect((await ingestBatch(ingest, t.terminalId, t.batch())).status).toBe('accepted');
    }

    const report = await settlementForDate(db, day);
    expect(report.merchants).toEqual([
      {
        merchantId: 'M-GPO',
        merchantName: 'M-GPO',
        debitCount: 2,
        grossDebitsCents: 770_000,
        cancelCount: 1,
        cancelsCents: 20_000,
        netCents: 750_000,
      },
      {
        merchantId: 'M-MSA',
        merchantName: 'M-MSA',
        debitCount: 1,
        grossDebitsCents: 305_000,
        cancelCount: 0,
        cancelsCents: 0,
        netCents: 305_000,
      },
    ]);
    const [check] = await db.query<{ net: number }>(
      `SELECT (COALESCE(SUM(amount_cents) FILTER (WHERE record_type = 'debit'), 0)
             - COALESCE(SUM(amount_cents) FILTER (WHERE record_type = 'cancel'), 0))::bigint AS net
       FROM accepted_records WHERE business_date = $1::date`,
      [day],
    );
    expect(report.totals.netCents).toBe(check!.net);
    expect(report.totals).toEqual({
      debitCount: 3,
      grossDebitsCents: 1_075_000,
      cancelCount: 1,
      cancelsCents: 20_000,
      netCents: 1_055_000,
    });
    expect(settlementToCsv(report).split('\r\n')[1]).toBe(
      `${day},M-GPO,M-GPO,2,7700.00,770000,1,200.00,20000,7500.00,750000`,
    );
  });

  it('records mobile-money top-ups idempotently on the transaction id', async () => {
    const n = {
      provider: 'mpesa',
      providerTxnId: 'SLK4H7R2PQ',
      cardNumber: '4000000000000009',
      amountCents: 50_000,
    };
    const first = await recordTopupNotification(db, n);
    const again = await recordTopupNotification(db, n);
    expect(first.created).toBe(true);
    expect(again).toEqual({ created: false, topup: first.topup });
    await expect(recordTopupNotification(db, { ...n, amountCents: 60_000 })).rejects.toMatchObject({
      code: 'ERR_TOPUP_CONFLICT',
    });
    expect(await listPendingTopups(db, n.cardNumber)).toEqual([first.topup]);
  });

  it('seeds the service catalog', async () => {
    const catalog = await listCatalog(db);
    expect(catalog.find((s) => s.serviceCode === 1101)).toEqual({
      serviceCode: 1101,
      name: 'Certificate of good conduct',
      agency: 'Directorate of Criminal Investigations',
      feeCents: 105_000,
    });
    expect(catalog.length).toBeGreaterThanOrEqual(10);
  });
});
