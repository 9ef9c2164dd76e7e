import { afterAll, describe, expect, it } from 'vitest';
import { seedFromEnv } from '../../../test/support/random';
import { runCrashCycles } from './crash-harness';
import { tempDir } from './fixtures';

const tmp = tempDir('txlog-crash-');
afterAll(() => tmp.cleanup());

// The kill moments come from this seed; HUDUMA_SEED=<n> replays a run's delays.
const SEED = seedFromEnv(Date.now() % 2 ** 31);

describe('crash safety', () => {
  it(`SIGKILL at random moments, 50 times on one log: acknowledged records survive, tail is cut (seed ${SEED})`, async () => {
    const started = Date.now();
    const stats = await runCrashCycles({ path: tmp.path('crash.log'), cycles: 50, seed: SEED });
    console.log(`crash test: ${JSON.stringify(stats)} in ${Date.now() - started} ms`);
    expect(stats.cycles).toBe(50);
    expect(stats.acknowledged).toBeGreaterThan(50);
    // Half the runs write frames in slow pieces, so some kills must have left a torn tail to cut.
    expect(stats.tornTailsCut).toBeGreaterThan(0);
  }, 120_000);
});
