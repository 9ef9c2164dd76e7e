import { DevPki } from '@huduma/pki';
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { issueTestCard, SimulatedReader, type TestCard } from '../src/index';
import { type TestTerminal, terminal } from './helpers';
import { opArb, runModelSequence } from './model';

let pki: DevPki;
let term: TestTerminal;
let base: TestCard;
beforeAll(async () => {
  pki = DevPki.inMemory();
  term = await terminal(pki);
  base = await issueTestCard({
    pki,
    balance: 100_000,
    purse: { maxBalance: 300_000, offlineLimit: 150_000, cvmLimit: 100_000 },
  });
});

describe('model-based: debit / undebit / reload / verify with random tearing and removal', () => {
  it('balance == loads - debits + undebits, counters strictly increase, no debit applied twice', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 4 }), async (ops) => {
        const card = base.card.clone();
        const reader = new SimulatedReader();
        reader.insert(card);
        await runModelSequence({ pki, term, card, reader, cardNumber: base.cardNumber, pin: base.pin }, ops);
      }),
      { numRuns: 1000 },
    );
  });
});
