import { type ChildProcess, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../../../test/support/random';
import { nodeCryptoSigner, TransactionLog, verifyLog } from '../src/index';
import { TEST_PRIVATE_KEY, TEST_TERMINAL_ID } from './fixtures';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');
const childScript = join(here, 'crash-child.ts');

export interface CrashStats {
  cycles: number;
  acknowledged: number;
  records: number;
  tornTailsCut: number;
  bytesCut: number;
  killedBeforeReady: number;
}

function spawnChild(path: string, mode: string, concurrency: number): ChildProcess {
  return spawn(
    process.execPath,
    ['--conditions=huduma-source', '--import', 'tsx', childScript, path, mode, String(concurrency)],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/**
 * Kill a writer child with SIGKILL `cycles` times at seeded random moments on one log file and check after
 * each kill: every acknowledged record is present byte-identical (same SHA-256), the chain and the
 * checkpoint signatures verify, and no partial record remains once the log is reopened.
 */
export async function runCrashCycles(options: {
  path: string;
  cycles: number;
  /** Most milliseconds to let the child run after it opened the log. */
  maxRunMs?: number;
  /** Seeds the kill moments, so a failing run can be replayed with the same delays. */
  seed: number;
  onCycle?: (cycle: number, stats: CrashStats) => void;
}): Promise<CrashStats> {
  const { path, cycles } = options;
  const maxRunMs = options.maxRunMs ?? 150;
  const random = seededRandom(options.seed);
  const signer = nodeCryptoSigner(TEST_PRIVATE_KEY, TEST_TERMINAL_ID);
  const acknowledged = new Map<number, string>();
  const stats: CrashStats = {
    cycles: 0,
    acknowledged: 0,
    records: 0,
    tornTailsCut: 0,
    bytesCut: 0,
    killedBeforeReady: 0,
  };

  let conflict: string | undefined;
  let checkedUpTo = 0;
  for (let cycle = 0; cycle < cycles; cycle++) {
    const mode = cycle % 2 === 0 ? 'whole' : 'torn';
    const child = spawnChild(path, mode, 1 + (cycle % 4));
    let stderr = '';
    let partial = '';
    let ready = false;
    const exited = new Promise<void>((resolveExit) => child.on('exit', () => resolveExit()));
    const readyOrExit = new Promise<void>((resolveReady) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString('latin1')).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          if (line.startsWith('ready')) {
            ready = true;
            resolveReady();
            continue;
          }
          const [seq, hash] = line.split(' ');
          const previous = acknowledged.get(Number(seq));
          if (previous !== undefined && previous !== hash) {
            conflict ??= `seq ${seq} acknowledged twice with different hashes`;
          }
          acknowledged.set(Number(seq), hash!);
        }
      });
      child.on('exit', () => resolveReady());
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    if (cycle % 10 === 5) {
      // Now and then kill while the child is still starting up or opening (recovering) the log.
      await new Promise((r) => setTimeout(r, random() * 300));
      if (!ready) stats.killedBeforeReady++;
    } else {
      await readyOrExit;
      await new Promise((r) => setTimeout(r, random() * maxRunMs));
    }
    if (child.exitCode !== null)
      throw new Error(`crash child exited by itself (${child.exitCode}): ${stderr}`);
    child.kill('SIGKILL');
    await exited;
    // Let the last stdout chunk arrive (it was in the pipe before the kill).
    await new Promise((r) => setImmediate(r));

    if (conflict) throw new Error(`cycle ${cycle}: ${conflict}`);
    const log = await TransactionLog.open(path);
    if (log.recovery.bytesCut > 0) {
      stats.tornTailsCut++;
      stats.bytesCut += log.recovery.bytesCut;
    }
    // Acks below `checkedUpTo` were compared in earlier cycles. The chain (verified below) makes the
    // record at checkedUpTo commit to every record before it, so comparing from there covers all acks.
    const stored = new Map<number, string>();
    for await (const record of log.records(checkedUpTo)) {
      stored.set(record.seq, Buffer.from(record.hash).toString('hex'));
    }
    const head = log.head;
    await log.close();
    for (const [seq, hash] of acknowledged) {
      if (seq < checkedUpTo) continue;
      if (stored.get(seq) !== hash) {
        throw new Error(
          `cycle ${cycle}: acknowledged record ${seq} ${stored.has(seq) ? 'changed' : 'is missing'}`,
        );
      }
    }
    for (const seq of acknowledged.keys()) checkedUpTo = Math.max(checkedUpTo, seq);
    if (statSync(path).size !== head.length)
      throw new Error(`cycle ${cycle}: partial record left after reopen`);
    const summary = await verifyLog(path, { terminalPublicKey: signer.publicKey });
    if (!summary.ok || summary.tornTail || summary.records !== head.count) {
      throw new Error(`cycle ${cycle}: log does not verify after reopen: ${JSON.stringify(summary)}`);
    }
    stats.cycles = cycle + 1;
    stats.acknowledged = acknowledged.size;
    stats.records = head.count;
    options.onCycle?.(cycle, stats);
  }
  return stats;
}
