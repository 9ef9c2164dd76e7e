import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CURRENCY_KES } from '@huduma/card-applet-spec';
import { issueTestCard, SimulatedCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { type LogRecord, TransactionLog, verifyLog } from '@huduma/txlog';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { seededRandom } from '../../../test/support/random';
import { FILES, initTerminal } from '../src/index';
import { MERCHANT_ID, TERMINAL_ID } from './helpers';
import { expectCardAndLogAgree } from './invariants';

const CHILD = join(import.meta.dirname, 'crash-child.ts');
const KILLS = 24;
/** The kill moments are random; CRASH_SEED=<n> replays a run (the seed is printed on failure). */
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31);

async function untilLine(lines: string[], prefix: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!lines.some((l) => l.startsWith(prefix)) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

function run(args: string[]): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--conditions=huduma-source', '--import', 'tsx', CHILD, ...args], {
    cwd: join(import.meta.dirname, '..', '..', '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) lines.push(`STDERR ${stderr}`);
      resolve(code);
    }),
  );
  return { child, lines, exited };
}

async function readLog(path: string): Promise<LogRecord[]> {
  const log = await TransactionLog.open(path);
  const out: LogRecord[] = [];
  for await (const r of log.records()) out.push(r.record);
  await log.close();
  return out;
}

describe('kill -9 during a day of sales', () => {
  const dir = mkdtempSync(join(tmpdir(), 'huduma-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`loses nothing acknowledged and never charges without a record, over ${KILLS} SIGKILLs`, async () => {
    onTestFailed(() => console.error(`crash test failed with CRASH_SEED=${SEED}`));
    // On disk: the child signs its zero-amount sync reloads with this PKI's load authority.
    const pkiDir = join(dir, 'pki');
    const pki = DevPki.init(pkiDir);
    const terminalDir = join(dir, 'terminal');
    const cardPath = join(dir, 'card.cbor');
    await initTerminal({
      dir: terminalDir,
      pki,
      terminalId: TERMINAL_ID,
      merchantId: MERCHANT_ID,
      location: { kind: 'huduma-centre', name: 'Nairobi GPO' },
      limits: { perSaleOfflineLimitCents: 1_000_000 },
    });
    const issued = await issueTestCard({
      pki,
      path: cardPath,
      balance: 90_000_000,
      purse: {
        maxBalance: 100_000_000,
        offlineLimit: 100_000_000,
        cvmLimit: 200_000,
        noCvmLimit: 100_000_000,
        currency: CURRENCY_KES,
      },
    });
    const initialBalance = issued.card.state.balance;
    const logPath = join(terminalDir, FILES.log);
    const acked = new Map<number, number>();
    let kills = 0;
    let recoveredCompleted = 0;
    let recoveredNotCharged = 0;

    const random = seededRandom(SEED);
    for (let i = 0; i < KILLS; i++) {
      const seller = run([terminalDir, cardPath, 'sell', pkiDir]);
      // Kill at a random moment: sometimes during start-up (and its recovery tap), mostly
      // mid-sales. Mid-sales kills count from READY, so a slow start (a loaded machine) does
      // not turn every kill into a start-up kill.
      if (random() < 0.25) {
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(random() * 2000)));
      } else {
        await untilLine(seller.lines, 'READY', 30_000);
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(random() * 800)));
      }
      seller.child.kill('SIGKILL');
      const code = await seller.exited;
      expect(code, seller.lines.join('\n')).toBeNull();
      kills++;
      for (const line of seller.lines) {
        const m = /^ACK (\d+) (\d+)$/.exec(line);
        if (m) acked.set(Number(m[1]), Number(m[2]));
        if (line.startsWith('STDERR')) throw new Error(line);
      }

      // Restart + tap: settle whatever the kill left pending, then compare card and log.
      const recoverer = run([terminalDir, cardPath, 'recover', pkiDir]);
      expect(await recoverer.exited, recoverer.lines.join('\n')).toBe(0);
      const ready = recoverer.lines.find((l) => l.startsWith('READY'))!;
      recoveredCompleted += (ready.match(/:completed/g) ?? []).length;
      recoveredNotCharged += (ready.match(/:not-charged/g) ?? []).length;
      expect(ready).not.toContain(':unknown');

      const records = await readLog(logPath);
      const sales = new Map<number, number>();
      for (const r of records)
        if (r.type === 'sale' || r.type === 'recovered-sale') sales.set(r.terminalSeq, r.amountCents);
      for (const [seq, amount] of acked)
        expect(sales.get(seq), `acknowledged sale ${seq} is in the log`).toBe(amount);
      expectCardAndLogAgree({
        state: SimulatedCard.open(cardPath).state,
        records,
        initialBalance,
        terminalId: TERMINAL_ID,
      });
      const summary = await verifyLog(logPath);
      expect(summary.ok, JSON.stringify(summary.firstError)).toBe(true);
      expect(summary.unresolvedPendingDebits).toEqual([]);
    }
    expect(kills).toBeGreaterThanOrEqual(20);
    expect(acked.size).toBeGreaterThan(KILLS);
    console.log(
      `crash test (CRASH_SEED=${SEED}): ${kills} SIGKILLs, ${acked.size} acknowledged sales, recovered on re-tap: ${recoveredCompleted} completed, ${recoveredNotCharged} not charged`,
    );
  }, 600_000);
});
