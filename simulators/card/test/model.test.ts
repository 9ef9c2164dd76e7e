/**
 * Model-based property test of the exactly-once guarantee (SPEC.md §10.2); the model is model.ts.
 * HUDUMA_SEED and HUDUMA_RUNS override the seed and the number of schedules.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { opArb, runSchedule } from './model';

const SEED = Number(process.env.HUDUMA_SEED ?? 20_261_130);
const RUNS = Number(process.env.HUDUMA_RUNS ?? 12);

describe('exactly-once under debits, repeats, other terminals, tears and recovery (§10.2)', () => {
  it(`no (terminal, seq) is charged twice and every fate is learnable (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 40, maxLength: 140 }), (ops) => {
        runSchedule(ops);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  }, 240_000);
});
