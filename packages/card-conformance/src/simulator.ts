/**
 * The in-process reference simulator as a conformance target. Every card starts blank, keyed with
 * the issuer's per-chip install keys (§7.1, from the DevPki), and the suite personalizes it itself
 * with raw §7 commands (src/perso.ts): nothing of the SDK is on the path, so the suite judges the
 * simulator by the spec alone. Tearable cards arm the simulator's power loss by tear-point label.
 */
import { SimulatedCard, SimulatedReader } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { CONFORMANCE_PROFILE, personalizeRaw } from './perso';
import { RawCard } from './raw';
import type { ConformanceTarget, TearableCard } from './target';

type Sim = SimulatedCard & {
  armTearAt?: (label: string) => void;
  armTear(n: number): void;
  lastTearPoints: readonly string[];
  persistedImage(): Uint8Array;
};

/**
 * A blank simulated card keyed with `pki`'s install keys for a random chipSerial (§7.1); with a
 * path it is persisted there (a card file for vpcd).
 */
export function blankSimulatedCard(pki: DevPki, path?: string): SimulatedCard {
  const chipSerial = crypto.getRandomValues(new Uint8Array(8));
  const install = pki.installKeys(chipSerial);
  // The v2 simulator takes the §7.1 install parameters at creation (see .notes/conformance-needs.md).
  const create = SimulatedCard.create as unknown as (path: string | undefined, o: object) => SimulatedCard;
  return create(path, { install, overwrite: true });
}

/** A simulated card personalized by the suite with raw §7 commands (CONFORMANCE_PROFILE). */
export async function conformanceSimulatedCard(pki: DevPki, path?: string) {
  const card = blankSimulatedCard(pki, path);
  const reader = new SimulatedReader();
  reader.insert(card);
  await personalizeRaw(new RawCard(reader), pki, CONFORMANCE_PROFILE);
  return { card: card as Sim, reader };
}

export async function simulatorTarget(opts: { pki?: DevPki } = {}): Promise<ConformanceTarget> {
  const pki = opts.pki ?? DevPki.inMemory();
  const blank = () => {
    const card = blankSimulatedCard(pki);
    const reader = new SimulatedReader();
    reader.insert(card);
    return { card: card as Sim, reader };
  };
  const personalized = () => conformanceSimulatedCard(pki);
  return {
    name: 'simulator (in-process)',
    keys: pki,
    pin: CONFORMANCE_PROFILE.pin,
    puk: CONFORMANCE_PROFILE.puk,
    hasIdentity: true,
    freshCards: true,
    async openCard() {
      return (await personalized()).reader;
    },
    async openBlankCard() {
      return blank().reader;
    },
    async openTearableCard(): Promise<TearableCard> {
      const { card, reader } = await personalized();
      let armed: string | undefined;
      return {
        async transmit(command) {
          const label = armed;
          armed = undefined;
          if (label !== undefined) {
            if (card.armTearAt) card.armTearAt(label);
            else {
              // Find the index of the label by running the command on a copy of the card.
              const copy = SimulatedCard.fromImage(card.persistedImage()) as Sim;
              try {
                copy.transmit(command);
              } catch {
                // a copy without RAM state may refuse: the index search below then fails
              }
              const at = copy.lastTearPoints.indexOf(label);
              if (at < 0) throw new Error(`the simulator passes no tear point "${label}" for this command`);
              card.armTear(at);
            }
          }
          return reader.transmit(command);
        },
        armTear(point) {
          armed = point;
        },
        async powerUp() {
          reader.reinsert();
        },
      };
    },
  };
}
