import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkpointMessage,
  decodeRecord,
  exportLog,
  FILE_HEADER,
  GENESIS_HASH,
  type LogEvent,
  nodeCryptoSigner,
  recordHash,
  TransactionLog,
  TxLogError,
  verifyLog,
} from '../src/index';
import { sale, TEST_PRIVATE_KEY, TEST_TERMINAL_ID, tempDir } from './fixtures';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const signer = nodeCryptoSigner(TEST_PRIVATE_KEY, TEST_TERMINAL_ID);

const allKinds: LogEvent[] = [
  { type: 'shift-open', time: 1, shiftId: 'S1', operatorId: 'op-7' },
  {
    type: 'pending-debit',
    time: 2,
    terminalSeq: 1,
    cardNumber: '6280010000000042',
    amountCents: 500,
    billRef: 'B1',
  },
  sale(1, 500),
  { type: 'pending-resolved', time: 3, terminalSeq: 1, outcome: 'completed' },
  {
    type: 'pending-debit',
    time: 4,
    terminalSeq: 2,
    cardNumber: '6280010000000042',
    amountCents: 700,
    billRef: 'B2',
  },
  { ...sale(2, 700), type: 'recovered-sale', time: 5 },
  {
    type: 'cancel',
    time: 6,
    terminalSeq: 3,
    originalTerminalSeq: 1,
    cardNumber: '6280010000000042',
    amountCents: 500,
    billRef: 'B1',
    cardProof: new Uint8Array(130).fill(9),
    cardCertificate: new Uint8Array(230).fill(0xce),
  },
  {
    type: 'reload',
    time: 7,
    terminalSeq: 4,
    cardNumber: '6280010000000042',
    amountCents: 10_000,
    reference: 'MPESA-XYZ',
    cardProof: new Uint8Array(130).fill(3),
    cardCertificate: new Uint8Array(230).fill(0xce),
  },
  {
    type: 'intent',
    time: 7,
    op: 'undebit',
    terminalSeq: 6,
    cardNumber: '6280010000000042',
    expectedCounter: 41,
    amountCents: 700,
    billRef: 'B2',
    serviceCode: 301,
    originalTerminalSeq: 2,
  },
  { type: 'card-blocked', time: 8, cardNumber: '6280010000000099', reason: 'reported stolen' },
  { type: 'shift-close', time: 9, shiftId: 'S1', saleCount: 2, saleTotalCents: 1200 },
  // Large values must stay integers (cbor-x writes > 2^32 as float64 unless told otherwise).
  { ...sale(5_000_000_000, 4_294_967_301), time: 1_760_000_000_123 },
];

describe('TransactionLog', () => {
  it('appends every record type, chains them and reads them back byte-identical', async () => {
    const path = tmp.path('all.log');
    const log = await TransactionLog.open(path, { create: true, signer });
    const appended = [];
    for (const event of allKinds) appended.push(await log.append(event));
    appended.push(await log.checkpoint(42));
    expect(appended.map((a) => a.seq)).toEqual([...appended.keys()]);
    expect(log.head.count).toBe(appended.length);
    expect(log.head.hash).toEqual(appended.at(-1)!.hash);

    let prev = GENESIS_HASH;
    let i = 0;
    for await (const stored of log.records()) {
      expect(stored.bytes).toEqual(appended[i]!.bytes);
      expect(stored.record.prevHash).toEqual(prev);
      expect(stored.hash).toEqual(recordHash(stored.bytes));
      if (i < allKinds.length) expect(stored.record).toEqual({ ...allKinds[i], seq: i, prevHash: prev });
      prev = stored.hash;
      i++;
    }
    expect(i).toBe(appended.length);
    const fromSeq = [];
    for await (const stored of log.records(9)) fromSeq.push(stored.seq);
    expect(fromSeq).toEqual([9, 10, 11, 12]);
    await log.close();

    const checkpoint = decodeRecord(appended.at(-1)!.bytes);
    expect(checkpoint).toMatchObject({
      type: 'checkpoint',
      coveredSeq: 11,
      count: 12,
      terminalId: TEST_TERMINAL_ID,
    });

    const reopened = await TransactionLog.open(path);
    expect(reopened.recovery.bytesCut).toBe(0);
    expect(reopened.head).toEqual(log.head);
    await reopened.close();

    const summary = await verifyLog(path, {
      terminalPublicKey: signer.publicKey,
      verifyCardProof: () => true,
    });
    expect(summary).toMatchObject({
      ok: true,
      records: 13,
      checkpoints: 1,
      lastCheckpointSeq: 12,
      unsignedTail: 0,
      checkpointSignatures: 'verified',
      cardProofs: 'verified',
      terminalId: TEST_TERMINAL_ID,
      unresolvedPendingDebits: [2],
      totals: {
        saleCents: 500 + 4_294_967_301,
        recoveredSaleCents: 700,
        cancelCents: 500,
        reloadCents: 10_000,
      },
    });
    expect(summary.byType.sale).toBe(2);
    expect(summary.byType.intent).toBe(1);
    expect(summary.firstError).toBeUndefined();
  });

  it('encodes records deterministically: same event, same position, same bytes', async () => {
    const a = await TransactionLog.open(tmp.path('det-a.log'), { create: true });
    const b = await TransactionLog.open(tmp.path('det-b.log'), { create: true });
    for (const event of allKinds) {
      expect((await a.append(event)).bytes).toEqual((await b.append(structuredClone(event))).bytes);
    }
    await a.close();
    await b.close();
    expect(readFileSync(tmp.path('det-a.log'))).toEqual(readFileSync(tmp.path('det-b.log')));
  });

  it('signs checkpoints over the documented message with a P-256 key', async () => {
    const log = await TransactionLog.open(tmp.path('ckpt.log'), { create: true, signer });
    await expect(log.checkpoint()).rejects.toMatchObject({ code: 'ERR_TXLOG_EMPTY' });
    const first = await log.append(sale(1));
    const ckpt = await log.checkpoint();
    await log.append(sale(2));
    await log.append(sale(3));
    await log.close();
    const record = decodeRecord(ckpt.bytes);
    if (record.type !== 'checkpoint') throw new Error('expected a checkpoint');
    const message = checkpointMessage(TEST_TERMINAL_ID, 0, first.hash);
    expect(Buffer.from(message.subarray(0, 32)).toString('latin1')).toBe(
      'HUDUMA-CKPT-v1\0\0TRM00042' + '\0'.repeat(7) + '\0',
    );
    expect(message.length).toBe(64);
    const { verify, createPublicKey } = await import('node:crypto');
    const key = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: Buffer.from(signer.publicKey.subarray(1, 33)).toString('base64url'),
        y: Buffer.from(signer.publicKey.subarray(33)).toString('base64url'),
      },
      format: 'jwk',
    });
    expect(verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, record.signature)).toBe(true);

    const summary = await verifyLog(tmp.path('ckpt.log'), { terminalPublicKey: signer.publicKey });
    expect(summary).toMatchObject({
      ok: true,
      records: 4,
      checkpoints: 1,
      lastCheckpointSeq: 1,
      unsignedTail: 2,
    });

    const otherKey = nodeCryptoSigner(new Uint8Array(32).fill(7), TEST_TERMINAL_ID).publicKey;
    const wrong = await verifyLog(tmp.path('ckpt.log'), { terminalPublicKey: otherKey });
    expect(wrong.ok).toBe(false);
    expect(wrong.firstError).toMatchObject({ seq: 1, kind: 'checkpoint-signature' });
  });

  it('rejects invalid events with a typed error and writes nothing', async () => {
    const log = await TransactionLog.open(tmp.path('invalid.log'), { create: true });
    const bad: unknown[] = [
      { ...sale(1), cardNumber: '628001000000004' },
      { ...sale(1), amountCents: 12.5 },
      { ...sale(1), amountCents: -1 },
      { ...sale(1), cardProof: 'not bytes' },
      { ...sale(1), time: undefined },
      { type: 'pending-resolved', time: 1, terminalSeq: 1, outcome: 'maybe' },
      { type: 'checkpoint', time: 1 },
      { type: 'nonsense', time: 1 },
    ];
    for (const event of bad) {
      await expect(log.append(event as LogEvent)).rejects.toMatchObject({ code: 'ERR_TXLOG_INVALID_EVENT' });
    }
    expect(log.head.count).toBe(0);
    await log.close();
    expect(readFileSync(tmp.path('invalid.log'))).toEqual(Buffer.from(FILE_HEADER));
  });

  it('serializes concurrent appends in call order (group commit)', async () => {
    const log = await TransactionLog.open(tmp.path('concurrent.log'), { create: true, maxBatch: 8 });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(sale(i))));
    expect(results.map((r) => r.seq)).toEqual([...Array(50).keys()]);
    let i = 0;
    for await (const stored of log.records()) {
      expect(stored.record).toMatchObject({ terminalSeq: i++ });
    }
    await log.close();
    await expect(log.append(sale(99))).rejects.toMatchObject({ code: 'ERR_TXLOG_CLOSED' });
    expect((await verifyLog(tmp.path('concurrent.log'))).records).toBe(50);
  });

  it('refuses to open a missing file without create, and a file that is not a log', async () => {
    await expect(TransactionLog.open(tmp.path('missing.log'))).rejects.toMatchObject({
      code: 'ERR_TXLOG_NOT_FOUND',
    });
    writeFileSync(tmp.path('notalog.txt'), 'hello world, this is not a log');
    await expect(TransactionLog.open(tmp.path('notalog.txt'))).rejects.toMatchObject({
      code: 'ERR_TXLOG_NOT_A_LOG',
    });
    expect(readFileSync(tmp.path('notalog.txt'), 'utf8')).toBe('hello world, this is not a log');
    await expect(verifyLog(tmp.path('missing.log'))).rejects.toBeInstanceOf(TxLogError);
  });

  it('exports JSON and CSV', async () => {
    const path = tmp.path('export.log');
    const log = await TransactionLog.open(path, { create: true, signer });
    await log.append(sale(1, 1234));
    await log.append({
      type: 'card-blocked',
      time: 5,
      cardNumber: '6280010000000099',
      reason: 'said "stolen", sadly',
    });
    await log.checkpoint(6);
    await log.close();
    const json = JSON.parse(await exportLog(path, 'json'));
    expect(json).toHaveLength(3);
    expect(json[0]).toMatchObject({
      seq: 0,
      type: 'sale',
      amountCents: 1234,
      cardNumber: '6280010000000042',
    });
    expect(json[0].cardProof).toHaveLength(260); // the 130-byte v2 proof in hex
    expect(json[2]).toMatchObject({ type: 'checkpoint', coveredSeq: 1, count: 2 });
    const csv = (await exportLog(path, 'csv')).trimEnd().split('\n');
    expect(csv).toHaveLength(4);
    expect(csv[0]).toMatch(/^seq,type,time,timeIso,/);
    expect(csv[2]).toContain('"said ""stolen"", sadly"');
    expect(
      JSON.parse(await exportLog(tmp.path('empty.log').replace('empty', 'export'), 'json')),
    ).toHaveLength(3);
  });
});
