/**
 * Open + verify a 1,000,000-record log, and append throughput with and without group commit.
 * Run: node --conditions=huduma-source --import tsx packages/txlog/bench/open-verify.ts [RECORDS]
 * Prints figures; the last line is a JSON object of them.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFrame } from '../src/frame';
import {
  checkpointMessage,
  FILE_HEADER,
  nodeCryptoSigner,
  type SaleEvent,
  TransactionLog,
  verifyLog,
} from '../src/index';
import { encodeRecord, GENESIS_HASH, recordHash } from '../src/records';

const RECORDS = Number(process.argv[2] ?? 1_000_000);
const CHECKPOINT_EVERY = 10_000;
const dir = mkdtempSync(join(tmpdir(), 'txlog-bench-'));
const path = join(dir, 'bench.log');
const signer = nodeCryptoSigner(new Uint8Array(32).fill(0x42), 'BENCH001');
const figures: Record<string, number> = { records: RECORDS };
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

function saleEvent(i: number): SaleEvent {
  const cardProof = new Uint8Array(127);
  cardProof.fill(i & 0xff);
  return {
    type: 'sale',
    time: 1_760_000_000_000 + i * 1000,
    terminalSeq: i,
    cardNumber: String(6280010000000000 + (i % 100_000)),
    amountCents: 100 + (i % 10_000),
    billRef: `BILL-${i}`,
    serviceCode: 'NHIF-01',
    cardProof,
    cardCertificate: new Uint8Array(165).fill(0xce),
  };
}

try {
  // 1. Build the file directly (no fsync per record: we are measuring reading, not writing).
  let t = process.hrtime.bigint();
  const fd = openSync(path, 'w');
  writeSync(fd, FILE_HEADER);
  let prevHash = GENESIS_HASH;
  let chunk: Buffer[] = [];
  let chunkBytes = 0;
  for (let seq = 0; seq < RECORDS; seq++) {
    const body =
      seq % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1
        ? {
            type: 'checkpoint' as const,
            time: 1_760_000_000_000 + seq * 1000,
            terminalId: signer.terminalId,
            coveredSeq: seq - 1,
            headHash: prevHash,
            count: seq,
            signature: await signer.sign(checkpointMessage(signer.terminalId, seq - 1, prevHash)),
          }
        : saleEvent(seq);
    const bytes = encodeRecord(seq, prevHash, body);
    prevHash = recordHash(bytes);
    const frame = encodeFrame(bytes);
    chunk.push(frame);
    chunkBytes += frame.length;
    if (chunkBytes > 8 << 20) {
      writeSync(fd, Buffer.concat(chunk));
      chunk = [];
      chunkBytes = 0;
    }
  }
  writeSync(fd, Buffer.concat(chunk));
  closeSync(fd);
  figures.buildMs = ms(t);
  figures.fileBytes = statSync(path).size;
  console.log(
    `built ${RECORDS} records (${(figures.fileBytes / 1e6).toFixed(1)} MB) in ${figures.buildMs.toFixed(0)} ms`,
  );

  // 2. Open (frame scan + CRC + tail check + decode of the last record).
  t = process.hrtime.bigint();
  const log = await TransactionLog.open(path);
  figures.openMs = ms(t);
  if (log.head.count !== RECORDS) throw new Error(`opened ${log.head.count} records, expected ${RECORDS}`);
  console.log(`open: ${figures.openMs.toFixed(0)} ms`);

  // 3. Iterate decoded records.
  t = process.hrtime.bigint();
  let n = 0;
  for await (const _ of log.records()) n++;
  figures.iterateMs = ms(t);
  await log.close();
  console.log(`records() over ${n}: ${figures.iterateMs.toFixed(0)} ms`);

  // 4. Full verification: CRC, decode, seq, hash chain, checkpoint signatures.
  t = process.hrtime.bigint();
  const summary = await verifyLog(path, { terminalPublicKey: signer.publicKey });
  figures.verifyMs = ms(t);
  if (!summary.ok || summary.records !== RECORDS)
    throw new Error(`verify failed: ${JSON.stringify(summary.firstError)}`);
  figures.openPlusVerifyMs = figures.openMs + figures.verifyMs;
  figures.verifyRecordsPerSec = Math.round(RECORDS / (figures.verifyMs / 1000));
  console.log(
    `verifyLog (chain + ${summary.checkpoints} checkpoint signatures): ${figures.verifyMs.toFixed(0)} ms = ${figures.verifyRecordsPerSec} records/s`,
  );
  console.log(`open + verify: ${figures.openPlusVerifyMs.toFixed(0)} ms`);

  // 5. For scale: one P-256 verify per record (what the clearing service does per card proof).
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const message = new Uint8Array(63).fill(1);
  const signature = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const VERIFIES = 20_000;
  t = process.hrtime.bigint();
  for (let i = 0; i < VERIFIES; i++)
    verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  figures.p256VerifyPerSec = Math.round(VERIFIES / (ms(t) / 1000));
  figures.logOverheadVsCardVerifyPct = Number(
    ((100 * figures.p256VerifyPerSec) / figures.verifyRecordsPerSec).toFixed(1),
  );
  console.log(
    `node:crypto P-256 verify: ${figures.p256VerifyPerSec}/s; log verification costs ${figures.logOverheadVsCardVerifyPct}% of one card verify per record`,
  );
  t = process.hrtime.bigint();
  for (let i = 0; i < 2000; i++) await signer.sign(message);
  figures.p256SignPerSec = Math.round(2000 / (ms(t) / 1000));
  console.log(`node:crypto P-256 sign (async): ${figures.p256SignPerSec}/s`);

  // 6. Durable appends: one at a time (a counter terminal) vs 16 in flight with group commit.
  const APPENDS = 2000;
  for (const [label, maxBatch, inFlight] of [
    ['sequential', 1, 1],
    ['concurrent16NoGroup', 1, 16],
    ['concurrent16Group', 64, 16],
  ] as const) {
    const appendPath = join(dir, `append-${label}.log`);
    const appendLog = await TransactionLog.open(appendPath, { create: true, maxBatch });
    let next = 0;
    t = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < APPENDS) await appendLog.append(saleEvent(next++));
      }),
    );
    const elapsed = ms(t);
    await appendLog.close();
    figures[`append_${label}_perSec`] = Math.round(APPENDS / (elapsed / 1000));
    console.log(
      `append ${label}: ${figures[`append_${label}_perSec`]}/s (${((elapsed / APPENDS) * 1000).toFixed(0)} µs each)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
for (const key of Object.keys(figures)) figures[key] = Math.round(figures[key]! * 10) / 10;
console.log(JSON.stringify(figures));
