import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appliedMigrations, MIGRATIONS, migrate } from '../src/db/migrations';
import type { Db } from '../src/db/types';
import {
  appendDenyListEntry,
  claimCardCounter,
  currentDenyListVersion,
  denyListSince,
  insertAcceptedRecord,
  isCardDenied,
  listAlerts,
  listCatalog,
  listPendingTopups,
  nairobiBusinessDate,
  raiseAlert,
  recordTopupNotification,
  registerTerminal,
  settlementForDate,
  settlementToCsv,
  upsertMerchant,
} from '../src/store';
import { BACKENDS } from './backends';

const hash = (n: number) => new Uint8Array(32).fill(n);
// 2026-03-14 10:00 Nairobi time.
const MARCH_14 = Date.UTC(2026, 2, 14, 7, 0, 0) / 1000;

describe.each(BACKENDS)('storage on $name', (backend) => {
  let db: Db;

  beforeAll(async () => {
    db = await backend.open();
    await upsertMerchant(db, 'M-NAIROBI-GPO', 'Huduma Centre GPO');
    await upsertMerchant(db, 'M-MOMBASA', 'Huduma Centre Mombasa');
    await registerTerminal(db, { terminalId: 'T1', merchantId: 'M-NAIROBI-GPO', publicKey: hash(1) });
    await registerTerminal(db, { terminalId: 'T2', merchantId: 'M-MOMBASA', publicKey: hash(2) });
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
        await upsertMerchant(tx, 'M-GHOST', 'never committed');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.query("SELECT 1 FROM merchants WHERE merchant_id = 'M-GHOST'")).toHaveLength(0);
  });

  const record = (seq: number, recordHash: Uint8Array) => ({
    terminalId: 'T1',
    seq,
    recordHash,
    record: new Uint8Array([seq, 1, 2, 3]),
    recordType: 'debit',
    merchantId: 'M-NAIROBI-GPO',
    cardNumber: '4000000000000001',
    cardCounter: seq,
    amountCents: 105_000,
    occurredAt: MARCH_14,
  });

  it('accepts a record exactly once: duplicate on retry, fork on a different hash', async () => {
    const first = await insertAcceptedRecord(db, record(1, hash(0xa1)));
    expect(first.status).toBe('inserted');
    const retry = await insertAcceptedRecord(db, record(1, hash(0xa1)));
    expect(retry).toEqual({
      status: 'duplicate',
      recordId: first.status === 'inserted' ? first.recordId : -1,
    });
    const fork = await insertAcceptedRecord(db, record(1, hash(0xb2)));
    expect(fork).toMatchObject({ status: 'fork', existingHash: hash(0xa1) });
    const rows = await db.query("SELECT seq FROM accepted_records WHERE terminal_id = 'T1' AND seq = 1");
    expect(rows).toHaveLength(1);
  });

  it('stays exactly-once under concurrent inserts of the same sequence number', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        db.transaction((tx) => insertAcceptedRecord(tx, record(2, hash(0xc3)))),
      ),
    );
    expect(results.filter((r) => r.status === 'inserted')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'duplicate')).toHaveLength(7);
  });

  it('detects a cloned card: two records claiming one card counter', async () => {
    const claim = { cardNumber: '4000000000000002', counter: 17, terminalId: 'T1', seq: 10 };
    expect(await claimCardCounter(db, { ...claim, recordHash: hash(1) })).toEqual({ status: 'claimed' });
    expect(await claimCardCounter(db, { ...claim, recordHash: hash(1) })).toEqual({ status: 'duplicate' });
    expect(await claimCardCounter(db, { ...claim, terminalId: 'T2', seq: 4, recordHash: hash(2) })).toEqual({
      status: 'clone',
      existingHash: hash(1),
      existingTerminalId: 'T1',
      existingSeq: 10,
    });
    expect(await claimCardCounter(db, { ...claim, counter: 18, recordHash: hash(3) })).toEqual({
      status: 'claimed',
    });
    await expect(
      db.query(
        "INSERT INTO card_counters (card_number, counter, record_hash, terminal_id, seq) VALUES ('4000000000000002', 17, $1, 'T9', 1)",
        [hash(9)],
      ),
    ).rejects.toThrow(/duplicate key|unique/i);
  });

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
    const day = '2026-04-02';
    const at = Date.UTC(2026, 3, 2, 12) / 1000;
    const lateEvening = Date.UTC(2026, 3, 2, 20, 59, 59) / 1000; // 23:59:59 Nairobi: still April 2
    const nextDay = Date.UTC(2026, 3, 2, 21, 0, 0) / 1000; // 00:00 April 3 in Nairobi
    expect(nairobiBusinessDate(lateEvening)).toBe(day);
    expect(nairobiBusinessDate(nextDay)).toBe('2026-04-03');
    const rows: Array<[string, string, number, string, number, number]> = [
      ['T1', 'M-NAIROBI-GPO', 100, 'debit', 750_000, at],
      ['T1', 'M-NAIROBI-GPO', 101, 'debit', 20_000, at],
      ['T1', 'M-NAIROBI-GPO', 102, 'cancel', 20_000, lateEvening],
      ['T1', 'M-NAIROBI-GPO', 103, 'debit', 15_000, nextDay],
      ['T2', 'M-MOMBASA', 100, 'debit', 305_000, at],
      ['T2', 'M-MOMBASA', 101, 'shift_close', 0, at],
    ];
    for (const [terminalId, merchantId, seq, recordType, amountCents, occurredAt] of rows) {
      await insertAcceptedRecord(db, {
        terminalId,
        merchantId,
        seq,
        recordType,
        amountCents,
        occurredAt,
        recordHash: hash(seq),
        record: new Uint8Array([seq]),
      });
    }
    const report = await settlementForDate(db, day);
    expect(report.merchants).toEqual([
      {
        merchantId: 'M-MOMBASA',
        merchantName: 'Huduma Centre Mombasa',
        debitCount: 1,
        grossDebitsCents: 305_000,
        cancelCount: 0,
        cancelsCents: 0,
        netCents: 305_000,
      },
      {
        merchantId: 'M-NAIROBI-GPO',
        merchantName: 'Huduma Centre GPO',
        debitCount: 2,
        grossDebitsCents: 770_000,
        cancelCount: 1,
        cancelsCents: 20_000,
        netCents: 750_000,
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
    expect(settlementToCsv(report).split('\r\n')[2]).toBe(
      '2026-04-02,M-NAIROBI-GPO,Huduma Centre GPO,2,770000,1,20000,750000',
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
