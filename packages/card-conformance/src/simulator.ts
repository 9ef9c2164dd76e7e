import { issueTestCard, SimulatedCard, SimulatedReader } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import type { ConformanceTarget } from './target';

/**
 * The in-process reference simulator as a conformance target: every `openCard` is a NEW card
 * issued with `issueTestCard` (the SDK's personalization) under one in-memory DevPki; blank cards
 * for the personalization checks come straight from `SimulatedCard.create()`.
 */
export async function simulatorTarget(opts: { pki?: DevPki } = {}): Promise<ConformanceTarget> {
  const pki = opts.pki ?? DevPki.inMemory();
  const pin = '1234';
  const puk = '12345678';
  return {
    name: 'simulator (in-process)',
    keys: pki,
    pin,
    puk,
    hasIdentity: true,
    freshCards: true,
    async openCard() {
      const { reader } = await issueTestCard({ pki, pin, puk });
      return reader;
    },
    async openBlankCard() {
      const reader = new SimulatedReader();
      reader.insert(SimulatedCard.create());
      return reader;
    },
  };
}
