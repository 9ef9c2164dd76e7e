/**
 * Vitest setup (vitest.config.ts `setupFiles`): one seed for every randomised test.
 *
 * fast-check properties that do not pass their own `seed` run with this one: HUDUMA_SEED when
 * set, else a fresh one per test file. When a test fails the seed is printed with the command
 * that re-runs it, e.g. `HUDUMA_SEED=123 npx vitest run packages/txlog/test/damage.test.ts`.
 * Tests that need a number themselves call `seedFromEnv` (./random.ts) and put it in the test's name.
 */
import fc from 'fast-check';
import { beforeEach } from 'vitest';
import { seedFromEnv } from './random';

const seed = seedFromEnv((Date.now() ^ Math.floor(Math.random() * 2 ** 31)) | 0);
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });

beforeEach(({ task, onTestFailed }) => {
  onTestFailed(() => {
    const file = task.file?.name ?? '<test file>';
    console.error(
      `\n[seed] fast-check properties without their own seed ran with HUDUMA_SEED=${seed}; re-run: ` +
        `HUDUMA_SEED=${seed} npx vitest run ${file}\n`,
    );
  });
});
