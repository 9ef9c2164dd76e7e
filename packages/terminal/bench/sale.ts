/**
 * Host-side time of one complete counter sale, tap to approval: TerminalEngine.sale() from the
 * card being present to the approval (SELECT, checks, the intent record fsynced, OPEN SESSION +
 * DEBIT (applet v2), proof verification, the sale record written; it is made durable by the next
 * fsync — see docs/decisions/one-fsync-per-sale.md),
 * against the in-process simulated card with no latency model. Repeat taps of one card, as at a
 * busy counter (card certificate and link key cached). A v2 card takes at most 32 debits between
 * syncs: every 30 sales an untimed KES 0 reload (online, at this Huduma Centre counter) syncs it.
 *
 *   node --conditions=huduma-source --import tsx packages/terminal/bench/sale.ts [sales] [warmup]
 *
 * How the shares are measured: timing wrappers. Every FileHandle.datasync/sync in the process
 * (transaction log, intent journal) is wrapped to sum its wall time; crypto is the SDK's own
 * host-crypto figure (session keys and MACs + proof verification, from tap telemetry) plus the time the simulated card spends computing (its ECDSA verify + sign, which
 * on a real card is card time, not host time). A second pass with fsync turned into a no-op
 * cross-checks the fsync share by difference. The data directory is on the repository's disk
 * (.tmp/), not a tmpfs, so fsync is real.
 *
 * Baseline in the same run: a second terminal whose log file layer (LogFileIo) fsyncs every
 * record it writes, i.e. every log record durable on its own, as before the sale record was
 * deferred (the earlier engine also fsynced a separate intent journal and a pending-resolved
 * record: 4 fsyncs per sale; this baseline has 2). Prints figures; the last line is one JSON object.
 */
import { mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CURRENCY_KES } from '@huduma/card-applet-spec';
import { issueTestCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { type LogFileIo, nodeFileIo } from '@huduma/txlog';
import { devLoadAuthorizer, initTerminal, pollingCardReader, TerminalEngine } from '../src/index';

const SALES = Number(process.argv[2] ?? 300);
const WARMUP = Number(process.argv[3] ?? 30);
const TAP_BUDGET_MS = 300;
const AMOUNT = 5_000; // KES 50.00: below every PIN limit

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i]!;
}
const median = (v: number[]) => quantile(v, 0.5);
const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
const r2 = (n: number) => Math.round(n * 100) / 100;

// --- fsync timing wrapper on the FileHandle prototype (the log and the journal both use it)
const probe = await open(process.execPath, 'r');
const fileHandleProto = Object.getPrototypeOf(probe) as {
  datasync(): Promise<void>;
  sync(): Promise<void>;
};
await probe.close();
const realDatasync = fileHandleProto.datasync;
const realSync = fileHandleProto.sync;
const fsyncStats = { ms: 0, calls: 0, disabled: false };
for (const [name, real] of [
  ['datasync', realDatasync],
  ['sync', realSync],
] as const) {
  fileHandleProto[name] = async function (this: unknown) {
    if (fsyncStats.disabled) return;
    const t = performance.now();
    try {
      return await real.call(this);
    } finally {
      fsyncStats.ms += performance.now() - t;
      fsyncStats.calls++;
    }
  };
}

// --- the counter
const base = resolve(import.meta.dirname, '../../../.tmp');
mkdirSync(base, { recursive: true });
const dir = mkdtempSync(join(base, 'bench-terminal-'));
const FS_TYPES: Record<number, string> = {
  61267: 'ext4',
  16914836: 'tmpfs',
  1481003842: 'xfs',
  2435016766: 'btrfs',
  2035054128: 'overlayfs',
};
const fsType = FS_TYPES[Number(statfsSync(dir).type)] ?? `0x${Number(statfsSync(dir).type).toString(16)}`;
const pki = DevPki.inMemory();

/** Every write followed by its own fdatasync (the baseline: each record durable on its own). */
function syncEveryRecordIo(): LogFileIo {
  const synced = new WeakSet<object>();
  return {
    async write(fh, data, position) {
      await nodeFileIo.write(fh, data, position);
      await nodeFileIo.datasync(fh);
      synced.add(fh);
    },
    async datasync(fh) {
      // Already synced with its write: the log's own fdatasync would be a second one.
      if (synced.delete(fh)) return;
      await nodeFileIo.datasync(fh);
    },
    truncate: (fh, length) => nodeFileIo.truncate(fh, length),
  };
}

async function openCounter(name: string, logIo?: LogFileIo) {
  const terminalDir = join(dir, name);
  await initTerminal({
    dir: terminalDir,
    pki,
    terminalId: 'BENCH-1',
    merchantId: 'HC-NBI01',
    location: { kind: 'huduma-centre', name: 'Bench' },
    limits: { maxUnsyncedRecords: 9_999 },
  });
  const { reader, card } = await issueTestCard({
    pki,
    balance: 9_000_000,
    purse: {
      maxBalance: 10_000_000,
      offlineLimit: 10_000_000,
      cvmLimit: 100_000,
      noCvmLimit: 10_000_000,
      currency: CURRENCY_KES,
    },
  });
  const engine = await TerminalEngine.open({
    dir: terminalDir,
    reader: pollingCardReader(() => reader),
    loadAuthorizer: devLoadAuthorizer(pki),
    ...(logIo ? { logIo } : {}),
  });
  return { engine, reader, card };
}
type Counter = Awaited<ReturnType<typeof openCounter>>;

interface Pass {
  totalMs: number[];
  fsyncMs: number[];
  fsyncCalls: number[];
  terminalCryptoMs: number[];
  cardMs: number[];
}

let billNo = 0;
async function run({ engine, reader, card }: Counter, count: number): Promise<Pass> {
  const pass: Pass = { totalMs: [], fsyncMs: [], fsyncCalls: [], terminalCryptoMs: [], cardMs: [] };
  for (let i = 0; i < count; i++) {
    if (card.state.counter - card.state.syncedThrough >= 30) await engine.reload({ amountCents: 0 });
    const fsyncBefore = { ...fsyncStats };
    const cardBefore = reader.hostTimeMs;
    const t = performance.now();
    await engine.sale({ amount: AMOUNT, billRef: `B-${++billNo}` });
    pass.totalMs.push(performance.now() - t);
    pass.fsyncMs.push(fsyncStats.ms - fsyncBefore.ms);
    pass.fsyncCalls.push(fsyncStats.calls - fsyncBefore.calls);
    pass.terminalCryptoMs.push(engine.lastTelemetry?.hostCryptoMs ?? Number.NaN);
    pass.cardMs.push(reader.hostTimeMs - cardBefore);
  }
  return pass;
}

const current = await openCounter('one-fsync');
const baseline = await openCounter('fsync-every-record', syncEveryRecordIo());
// Interleaved halves, so a change in the machine's load hits both alike.
await run(current, WARMUP);
await run(baseline, WARMUP);
const half = Math.ceil(SALES / 2);
const withFsync = merge(await run(current, half), await run(current, SALES - half));
const everyRecord = merge(await run(baseline, half), await run(baseline, SALES - half));
fsyncStats.disabled = true;
await run(current, WARMUP);
const noFsync = await run(current, SALES);
fsyncStats.disabled = false;
await current.engine.close();
await baseline.engine.close();
rmSync(dir, { recursive: true, force: true });

function merge(a: Pass, b: Pass): Pass {
  return {
    totalMs: [...a.totalMs, ...b.totalMs],
    fsyncMs: [...a.fsyncMs, ...b.fsyncMs],
    fsyncCalls: [...a.fsyncCalls, ...b.fsyncCalls],
    terminalCryptoMs: [...a.terminalCryptoMs, ...b.terminalCryptoMs],
    cardMs: [...a.cardMs, ...b.cardMs],
  };
}

const total = sum(withFsync.totalMs);
const fsyncShare = sum(withFsync.fsyncMs) / total;
const terminalCryptoShare = sum(withFsync.terminalCryptoMs) / total;
const cardShare = sum(withFsync.cardMs) / total;
const figures = {
  sales: SALES,
  warmup: WARMUP,
  filesystem: fsType,
  medianMs: r2(median(withFsync.totalMs)),
  p95Ms: r2(quantile(withFsync.totalMs, 0.95)),
  maxMs: r2(Math.max(...withFsync.totalMs)),
  meanMs: r2(total / SALES),
  fsyncCallsPerSale: r2(sum(withFsync.fsyncCalls) / SALES),
  fsyncMsPerSale: r2(sum(withFsync.fsyncMs) / SALES),
  fsyncShare: r2(fsyncShare),
  terminalCryptoMsPerSale: r2(sum(withFsync.terminalCryptoMs) / SALES),
  terminalCryptoShare: r2(terminalCryptoShare),
  simulatedCardMsPerSale: r2(sum(withFsync.cardMs) / SALES),
  simulatedCardShare: r2(cardShare),
  cryptoShare: r2(terminalCryptoShare + cardShare),
  baselineFsyncCallsPerSale: r2(sum(everyRecord.fsyncCalls) / SALES),
  baselineMedianMs: r2(median(everyRecord.totalMs)),
  baselineP95Ms: r2(quantile(everyRecord.totalMs, 0.95)),
  medianRatioToBaseline: r2(median(withFsync.totalMs) / median(everyRecord.totalMs)),
  noFsyncMedianMs: r2(median(noFsync.totalMs)),
  noFsyncP95Ms: r2(quantile(noFsync.totalMs, 0.95)),
  fsyncMsByDifference: r2(median(withFsync.totalMs) - median(noFsync.totalMs)),
  tapBudgetMs: TAP_BUDGET_MS,
  p95ShareOfBudget: r2(quantile(withFsync.totalMs, 0.95) / TAP_BUDGET_MS),
  withinBudget: quantile(withFsync.totalMs, 0.95) <= TAP_BUDGET_MS,
};

const pct = (x: number) => `${Math.round(x * 100)}%`;
console.log(`terminal sale, tap to approval: ${SALES} sales after ${WARMUP} warm-up, data on ${fsType}`);
console.log(
  `  fsyncs per sale: ${figures.fsyncCallsPerSale} (baseline, every record fsynced: ${figures.baselineFsyncCallsPerSale}; the engine before this change: 4)`,
);
console.log(
  `  median ${figures.medianMs} ms vs baseline ${figures.baselineMedianMs} ms in the same run (ratio ${figures.medianRatioToBaseline}); p95 ${figures.p95Ms} vs ${figures.baselineP95Ms} ms`,
);
console.log(
  `  median ${figures.medianMs} ms   p95 ${figures.p95Ms} ms   max ${figures.maxMs} ms   mean ${figures.meanMs} ms`,
);
console.log(
  `  fsync: ${figures.fsyncCallsPerSale} calls, ${figures.fsyncMsPerSale} ms per sale = ${pct(fsyncShare)} (timing wrapper); by difference with fsync off: ${figures.fsyncMsByDifference} ms (median ${figures.noFsyncMedianMs} ms without fsync)`,
);
console.log(
  `  crypto: terminal (SDK session + verify) ${figures.terminalCryptoMsPerSale} ms = ${pct(terminalCryptoShare)}; simulated card ${figures.simulatedCardMsPerSale} ms = ${pct(cardShare)} (card time on a real card)`,
);
console.log(
  `  tap budget ${TAP_BUDGET_MS} ms: p95 host time is ${pct(figures.p95ShareOfBudget)} of it, leaving ${r2(TAP_BUDGET_MS - figures.p95Ms)} ms for the card and the RF link (${figures.withinBudget ? 'within' : 'OVER'} budget)`,
);
console.log(JSON.stringify(figures));
