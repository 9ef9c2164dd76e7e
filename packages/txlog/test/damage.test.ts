import { readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test/support/random';
import {
  type AppendedRecord,
  FILE_HEADER,
  type LogFileIo,
  nodeCryptoSigner,
  nodeFileIo,
  TransactionLog,
  TxLogError,
  verifyLog,
} from '../src/index';
import { sale, TEST_PRIVATE_KEY, TEST_TERMINAL_ID, tempDir } from './fixtures';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const signer = nodeCryptoSigner(TEST_PRIVATE_KEY, TEST_TERMINAL_ID);

async function buildLog(path: string, n: number): Promise<AppendedRecord[]> {
  const log = await TransactionLog.open(path, { create: true, signer });
  const out: AppendedRecord[] = [];
  for (let i = 0; i < n; i++) {
    out.push(i % 7 === 6 ? await log.checkpoint(1_760_000_000_000 + i) : await log.append(sale(i)));
  }
  await log.close();
  return out;
}

async function readAll(log: TransactionLog): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const stored of log.records()) out.push(stored.bytes);
  return out;
}

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
}

describe('I/O failures', () => {
  it('full disk: a partial write is rolled back, append rejects with ERR_TXLOG_IO, the file is unchanged', async () => {
    const path = tmp.path('enospc.log');
    await buildLog(path, 5);
    const before = readFileSync(path);
    let failWrites = true;
    const io: LogFileIo = {
      ...nodeFileIo,
      async write(fh, data, position) {
        if (!failWrites) return nodeFileIo.write(fh, data, position);
        // The disk fills up part way through the frame.
        await nodeFileIo.write(fh, data.subarray(0, Math.floor(data.length / 2)), position);
        throw enospc();
      },
    };
    const log = await TransactionLog.open(path, { io });
    const failed = log.append(sale(100));
    const queued = log.append(sale(101));
    const error = await failed.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TxLogError);
    expect(error).toMatchObject({ code: 'ERR_TXLOG_IO', restored: true });
    expect((error as Error).message).toContain('ENOSPC');
    // Batched with the failed one or queued behind it: either way it is not acknowledged.
    await expect(queued).rejects.toBeInstanceOf(TxLogError);
    expect(readFileSync(path)).toEqual(before);
    // The handle is dead; only reopening helps, even once space is available again.
    failWrites = false;
    await expect(log.append(sale(102))).rejects.toMatchObject({ code: 'ERR_TXLOG_POISONED' });
    await log.close();
    const reopened = await TransactionLog.open(path);
    expect(reopened.recovery.bytesCut).toBe(0);
    expect(reopened.head.count).toBe(5);
    expect((await reopened.append(sale(103))).seq).toBe(5);
    await reopened.close();
    expect((await verifyLog(path, { terminalPublicKey: signer.publicKey })).ok).toBe(true);
  });

  it('fsync failure: never retried, the file is truncated back and the handle is poisoned', async () => {
    const path = tmp.path('fsync.log');
    await buildLog(path, 3);
    const before = readFileSync(path);
    let syncs = 0;
    const io: LogFileIo = {
      ...nodeFileIo,
      async datasync(fh) {
        syncs++;
        if (syncs === 1) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
        return nodeFileIo.datasync(fh);
      },
    };
    const log = await TransactionLog.open(path, { io });
    syncs = 0;
    await expect(log.append(sale(9))).rejects.toMatchObject({ code: 'ERR_TXLOG_IO', restored: true });
    expect(syncs).toBe(2); // the failed one, then the one after the rollback truncate: no retry
    expect(readFileSync(path)).toEqual(before);
    await expect(log.append(sale(10))).rejects.toMatchObject({ code: 'ERR_TXLOG_POISONED' });
    await log.close();
  });

  it('rollback failure: reports restored=false and reopening recovers a consistent log', async () => {
    const path = tmp.path('rollback.log');
    const built = await buildLog(path, 3);
    const io: LogFileIo = {
      ...nodeFileIo,
      async write(fh, data, position) {
        await nodeFileIo.write(fh, data.subarray(0, 7), position);
        throw enospc();
      },
      async truncate() {
        throw Object.assign(new Error('EIO'), { code: 'EIO' });
      },
    };
    const log = await TransactionLog.open(path, { io });
    await expect(log.append(sale(9))).rejects.toMatchObject({ code: 'ERR_TXLOG_IO', restored: false });
    await log.close();
    const reopened = await TransactionLog.open(path);
    expect(reopened.recovery).toMatchObject({ bytesCut: 7 });
    expect(await readAll(reopened)).toEqual(built.map((b) => b.bytes));
    await reopened.close();
  });

  it('a failing signer rejects only the checkpoint; the log stays usable', async () => {
    const path = tmp.path('signfail.log');
    const log = await TransactionLog.open(path, {
      create: true,
      signer: { ...signer, sign: async () => Promise.reject(new Error('HSM unplugged')) },
    });
    await log.append(sale(1));
    await expect(log.checkpoint()).rejects.toMatchObject({ code: 'ERR_TXLOG_SIGN' });
    expect((await log.append(sale(2))).seq).toBe(1);
    await log.close();
  });
});

describe('torn tails and corruption', () => {
  it('cuts a torn tail back to the last whole record and reports the bytes cut', async () => {
    const path = tmp.path('torn.log');
    const built = await buildLog(path, 4);
    const whole = readFileSync(path);
    writeFileSync(path, Buffer.concat([whole, Buffer.from([0xd7, 0x01, 0, 0, 0, 200, 1, 2, 3])]));
    const summaryBefore = await verifyLog(path);
    expect(summaryBefore).toMatchObject({
      ok: true,
      records: 4,
      tornTail: { offset: whole.length, bytes: 9 },
    });
    const log = await TransactionLog.open(path);
    expect(log.recovery).toMatchObject({
      bytesCut: 9,
      offset: whole.length,
      reason: 'frame runs past end of file',
    });
    expect(readFileSync(path)).toEqual(whole);
    expect(await readAll(log)).toEqual(built.map((b) => b.bytes));
    await log.close();
  });

  it('refuses to open when a damaged frame is followed by intact frames', async () => {
    const path = tmp.path('corrupt.log');
    const built = await buildLog(path, 5);
    const bytes = readFileSync(path);
    bytes[built[2]!.offset + 20]! ^= 0x10;
    writeFileSync(path, bytes);
    await expect(TransactionLog.open(path)).rejects.toMatchObject({
      code: 'ERR_TXLOG_CORRUPT',
      offset: built[2]!.offset,
      frameIndex: 2,
    });
    expect(readFileSync(path)).toEqual(bytes); // nothing cut
    const summary = await verifyLog(path);
    expect(summary).toMatchObject({
      ok: false,
      records: 2,
      firstError: { seq: 2, offset: built[2]!.offset, kind: 'frame-corrupt' },
    });
  });

  it('verifyLog finds a record rewritten with a valid CRC (broken chain)', async () => {
    const path = tmp.path('rewritten.log');
    const built = await buildLog(path, 4);
    const bytes = readFileSync(path);
    // Change the amount of sale 1 and fix up its CRC, as a forger would.
    const { encodeFrame } = await import('../src/frame');
    const { encodeRecord, decodeRecord } = await import('../src/records');
    const original = decodeRecord(built[1]!.bytes);
    if (original.type !== 'sale') throw new Error('expected a sale');
    const forged = encodeFrame(encodeRecord(1, original.prevHash, { ...original, amountCents: 1000 }));
    expect(forged.length).toBe(built[2]!.offset - built[1]!.offset);
    forged.copy(bytes, built[1]!.offset);
    writeFileSync(path, bytes);
    const summary = await verifyLog(path);
    expect(summary).toMatchObject({ ok: false, records: 2, firstError: { seq: 2, kind: 'chain-broken' } });
  });

  it('property: any truncation opens to a prefix of the acknowledged records', async () => {
    const path = tmp.path('prop-src.log');
    const built = await buildLog(path, 12);
    const original = readFileSync(path);
    const target = tmp.path('prop-trunc.log');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: original.length }), async (length) => {
        writeFileSync(target, original.subarray(0, length));
        const log = await TransactionLog.open(target);
        const records = await readAll(log);
        await log.close();
        expect(records).toEqual(built.slice(0, records.length).map((b) => b.bytes));
        const wholeFrames = built.filter((b) => b.offset + 10 + b.bytes.length <= length).length;
        expect(records.length).toBe(wholeFrames);
        expect((await verifyLog(target, { terminalPublicKey: signer.publicKey })).ok).toBe(true);
      }),
      { numRuns: propertyRuns(150) },
    );
  });

  it('property: a bit flip either opens to a prefix (last frame) or fails with a typed error, never crashes', async () => {
    const path = tmp.path('prop-flip-src.log');
    const built = await buildLog(path, 12);
    const original = readFileSync(path);
    const lastOffset = built.at(-1)!.offset;
    const target = tmp.path('prop-flip.log');
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: original.length - 1 }),
        fc.integer({ min: 0, max: 7 }),
        async (position, bit) => {
          const damaged = Buffer.from(original);
          damaged[position]! ^= 1 << bit;
          writeFileSync(target, damaged);
          let log: TransactionLog;
          try {
            log = await TransactionLog.open(target);
          } catch (err) {
            expect(err).toBeInstanceOf(TxLogError);
            if (position < FILE_HEADER.length) expect(err).toMatchObject({ code: 'ERR_TXLOG_NOT_A_LOG' });
            else {
              expect(err).toMatchObject({ code: 'ERR_TXLOG_CORRUPT' });
              expect(position).toBeLessThan(lastOffset); // damage in the last frame is a torn tail
            }
            return;
          }
          const records = await readAll(log);
          await log.close();
          expect(position).toBeGreaterThanOrEqual(lastOffset);
          expect(records).toEqual(built.slice(0, -1).map((b) => b.bytes));
        },
      ),
      { numRuns: propertyRuns(300) },
    );
  });
});
