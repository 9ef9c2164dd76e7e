import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DebitOutcomeUnknownError, HudumaCard, InMemoryCardLinkCache } from '../src/index';
import { fakeCardWithPki } from './fake-card';

const SEED = Number(process.env.HUDUMA_SEED ?? Date.now() % 2 ** 31);
const DEBIT = 0x54;
const MAX_INTENTS = 6;
// Every intent is a debit without a PIN: their sum stays within the fake card's cumulative no-CVM
// limit (fake-card.ts, 10,000), or the card rightly asks for a PIN, which this property is not about.
const MAX_AMOUNT = Math.floor(10_000 / MAX_INTENTS);

describe('exactly once (SPEC-v2 §10): journal, debit, lose answers, recover', () => {
  it(`charges every intent exactly once whatever answers are lost (seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            amount: fc.integer({ min: 1, max: MAX_AMOUNT }),
            fate: fc.constantFrom('answered', 'lost-after-commit', 'lost-before-card'),
            resendFirst: fc.boolean(),
          }),
          { minLength: 1, maxLength: MAX_INTENTS },
        ),
        async (intents) => {
          const { card, pki, terminal } = await fakeCardWithPki();
          const options = {
            trust: { issuerCaPublicKeys: [pki.issuerCaPublicKey] },
            terminal,
            linkCache: new InMemoryCardLinkCache(),
            clock: () => 1_750_000_000,
          };
          const start = card.balance;
          let charged = 0;
          for (const [i, intent] of intents.entries()) {
            const tap = await HudumaCard.select(card, options);
            const journal = { expectedCounter: tap.purse.counter, terminalSeq: i + 1, amount: intent.amount };
            if (intent.fate === 'lost-after-commit') card.tearAfter = DEBIT;
            if (intent.fate === 'lost-before-card') card.tearBefore = DEBIT;
            const req = { amount: intent.amount, terminalSeq: i + 1, billRef: `B${i}`, serviceCode: 1 };
            try {
              const r = await tap.debit({ ...req, expectedCounter: journal.expectedCounter });
              expect(r.outcome).toBe('executed');
              charged += intent.amount;
            } catch (err) {
              expect(err).toBeInstanceOf(DebitOutcomeUnknownError);
              const next = await HudumaCard.select(card, options);
              if (intent.resendFirst) {
                // Resending the identical request is always safe: executed now or already applied.
                const r = await next.debit((err as DebitOutcomeUnknownError).request);
                expect(r.outcome).toBe(intent.fate === 'lost-after-commit' ? 'already-applied' : 'executed');
              } else {
                const rec = await next.recoverTransaction(journal);
                if (intent.fate === 'lost-after-commit') expect(rec.status).toBe('executed');
                else {
                  expect(rec).toMatchObject({ status: 'not-executed', resendable: true });
                  const r = await next.debit((err as DebitOutcomeUnknownError).request);
                  expect(r.outcome).toBe('executed');
                }
              }
              charged += intent.amount;
            }
          }
          expect(card.balance).toBe(start - charged);
          expect(card.ring).toHaveLength(intents.length);
        },
      ),
      { numRuns: 25, seed: SEED },
    );
  }, 60_000);
});
