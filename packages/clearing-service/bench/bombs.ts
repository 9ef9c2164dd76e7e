/**
 * Request bombs against the clearing service in a child process on loopback (PostgreSQL
 * storage): for each bomb of the attack report, the answer, the child's peak RSS while handling
 * it beside its idle RSS measured in the same run (ratio), the worst /healthz latency meanwhile
 * and how many body bytes the service let the client send before answering.
 *
 *   node --conditions=huduma-source --import tsx packages/clearing-service/bench/bombs.ts
 *
 * Peak RSS is the child's VmHWM, reset before each bomb (/proc/PID/clear_refs); Linux only, and
 * the benchmark must be allowed to write its child's clear_refs (same user). The last line
 * printed is one JSON object with the figures.
 */
import { TestPki } from '../test/fixtures';
import {
  bombs,
  currentRss,
  MIB,
  peakRss,
  probeHealth,
  resetPeakRss,
  sendRaw,
  startBombTarget,
} from '../test/support/bombs';

const OPERATOR = 'bench-operator-token-0123456789';
const log = (line: string) => process.stderr.write(`${line}\n`);

async function main() {
  const pki = new TestPki();
  const target = await startBombTarget(pki, OPERATOR);
  try {
    // Idle: started, migrated, one request served, a moment to settle.
    await (await fetch(`${target.url}/healthz`)).json();
    await new Promise((r) => setTimeout(r, 1000));
    const idle = currentRss(target.pid);
    log(`idle RSS of the service: ${(idle / MIB).toFixed(1)} MiB`);
    const rows: Array<{
      bomb: string;
      answers: string[];
      peakRssMiB: number;
      peakOverIdle: number;
      worstHealthMs: number;
      bodyMiBSent: number;
      ms: number;
    }> = [];
    for (const bomb of bombs(pki.terminal('BOMB-1'), OPERATOR)) {
      resetPeakRss(target.pid);
      const probes = probeHealth(target.url);
      const t0 = performance.now();
      const answers = await Promise.all(bomb.requests.map((r) => sendRaw(target.port, r)));
      const ms = performance.now() - t0;
      const latencies = await probes.stop();
      const peak = peakRss(target.pid);
      const row = {
        bomb: bomb.name,
        answers: answers.map((a) => `${a.status} ${a.body?.error ?? '-'}`),
        peakRssMiB: Number((peak / MIB).toFixed(1)),
        peakOverIdle: Number((peak / idle).toFixed(2)),
        worstHealthMs: Math.round(Math.max(...latencies)),
        bodyMiBSent: Number((answers.reduce((sum, a) => sum + a.sentBytes, 0) / MIB).toFixed(1)),
        ms: Math.round(ms),
      };
      rows.push(row);
      log(
        `${row.bomb}: ${row.answers.join(', ')}; peak RSS ${row.peakRssMiB} MiB (${row.peakOverIdle}× idle); ` +
          `worst /healthz ${row.worstHealthMs} ms; ${row.bodyMiBSent} MiB of body sent; ${row.ms} ms`,
      );
    }
    const worst = Math.max(...rows.map((r) => r.peakOverIdle));
    log(`worst peak ÷ idle RSS: ${worst}`);
    process.stdout.write(
      `${JSON.stringify({ idleRssMiB: Number((idle / MIB).toFixed(1)), worstPeakOverIdle: worst, bombs: rows })}\n`,
    );
  } finally {
    await target.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exitCode = 1;
});
