/**
 * Long soak of the exactly-once model (model.ts): many more and longer schedules than the unit run.
 *
 *   node --conditions=huduma-source --import tsx simulators/card/test/soak.ts [--runs N] [--steps N] [--seed S]
 */
import fc from 'fast-check';
import { opArb, runSchedule } from './model';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const runs = arg('runs', 200);
const steps = arg('steps', 300);
const seed = arg('seed', Date.now() % 2 ** 31);

const started = performance.now();
console.log(`soak: ${runs} schedules of up to ${steps} operations, seed ${seed}`);
fc.assert(
  fc.property(fc.array(opArb, { minLength: 1, maxLength: steps }), (ops) => {
    runSchedule(ops);
  }),
  { numRuns: runs, seed },
);
console.log(`soak: ok in ${((performance.now() - started) / 1000).toFixed(1)} s`);
