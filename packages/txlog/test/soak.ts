/**
 * Crash soak: 1,000 SIGKILLs at random moments on one log file (see crash-harness.ts for what is
 * checked after every kill). Run: node --conditions=huduma-source --import tsx packages/txlog/test/soak.ts [CYCLES]
 */
import { runCrashCycles } from './crash-harness';
import { tempDir } from './fixtures';

const cycles = Number(process.argv[2] ?? 1000);
const tmp = tempDir('txlog-soak-');
const started = Date.now();
try {
  const stats = await runCrashCycles({
    path: tmp.path('soak.log'),
    cycles,
    onCycle: (cycle, s) => {
      if ((cycle + 1) % 50 === 0) {
        console.log(
          `${cycle + 1}/${cycles} kills: ${s.acknowledged} acknowledged, ${s.records} records, ${s.tornTailsCut} torn tails cut`,
        );
      }
    },
  });
  console.log(`soak passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(JSON.stringify({ ...stats, seconds: (Date.now() - started) / 1000 }));
} catch (err) {
  console.error(
    `soak FAILED after ${((Date.now() - started) / 1000).toFixed(1)} s: ${(err as Error).message}`,
  );
  process.exitCode = 1;
} finally {
  tmp.cleanup();
}
