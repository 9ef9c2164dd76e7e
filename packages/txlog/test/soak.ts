/**
 * Crash soak: 1,000 SIGKILLs at random moments on one log file (see crash-harness.ts for what is
 * checked after every kill). Run: node --conditions=huduma-source --import tsx packages/txlog/test/soak.ts [CYCLES]
 */
import { seedFromEnv } from '../../../test/support/random';
import { runCrashCycles } from './crash-harness';
import { tempDir } from './fixtures';

const cycles = Number(process.argv[2] ?? 1000);
// HUDUMA_SEED=<n> replays the kill moments of a run.
const seed = seedFromEnv(Date.now() % 2 ** 31);
console.log(`crash soak: ${cycles} kills, seed ${seed}`);
const tmp = tempDir('txlog-soak-');
const started = Date.now();
try {
  const stats = await runCrashCycles({
    path: tmp.path('soak.log'),
    cycles,
    seed,
    onCycle: (cycle, s) => {
      if ((cycle + 1) % 50 === 0) {
        console.log(
          `${cycle + 1}/${cycles} kills: ${s.acknowledged} acknowledged, ${s.records} records, ${s.tornTailsCut} torn tails cut`,
        );
      }
    },
  });
  console.log(`soak passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(JSON.stringify({ ...stats, seed, seconds: (Date.now() - started) / 1000 }));
} catch (err) {
  console.error(
    `soak FAILED after ${((Date.now() - started) / 1000).toFixed(1)} s (replay: HUDUMA_SEED=${seed}): ${(err as Error).message}`,
  );
  process.exitCode = 1;
} finally {
  tmp.cleanup();
}
