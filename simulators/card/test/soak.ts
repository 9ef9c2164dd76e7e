/**
 * Long model-based soak of the reference card: many more and longer random sequences of debit /
 * undebit / reload / verify-PIN with tearing and removal than the unit test run.
 *
 *   node --conditions=huduma-source --import tsx simulators/card/test/soak.ts [--runs N] [--steps N] [--seed S]
 */
import { DevPki } from '@huduma/pki';
import fc from 'fast-check';
import { issueTestCard, SimulatedReader } from '../src/index';
import { terminal } from './helpers';
import { opArb, runModelSequence } from './model';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const runs = arg('runs', 20_000);
const steps = arg('steps', 20);
const seed = arg('seed', Date.now() % 2 ** 31);

const pki = DevPki.inMemory();
const term = await terminal(pki);
const base = await issueTestCard({
  pki,
  balance: 100_000,
  purse: { maxBalance: 300_000, offlineLimit: 150_000, cvmLimit: 100_000 },
});
const started = performance.now();
console.log(`soak: ${runs} sequences of up to ${steps} operations, seed ${seed}`);
await fc.assert(
  fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: steps }), async (ops) => {
    const card = base.card.clone();
    const reader = new SimulatedReader();
    reader.insert(card);
    await runModelSequence({ pki, term, card, reader, cardNumber: base.cardNumber, pin: base.pin }, ops);
  }),
  { numRuns: runs, seed },
);
console.log(`soak: ok in ${((performance.now() - started) / 1000).toFixed(1)} s`);
