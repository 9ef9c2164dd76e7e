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

/**
 * A blank simulated card keyed with `pki`'s install keys for a random chipSerial (§7.1); with a
 * path it is persisted there (a card file for vpcd).
 */
export function blankSimulatedCard(pki: DevPki, path?: string): SimulatedCard {
  const chipSerial = crypto.getRandomValues(new Uint8Array(8));
  const k = pki.installKeys(chipSerial);
  const install = { chipSerial, persoEncKey: k.persoEnc, persoMacKey: k.persoMac, attestationKey: k.att };
  return SimulatedCard.create(path, { install, overwrite: true });
}

/**
 * The suite's tear point names (TearPoint, §10) as the simulator labels them. T2 ("inside the
 * transaction") is the point just before the one atomic write: the simulator's write is
 * all-or-nothing, so a cut there leaves the old state, as a rolled-back transaction does.
 */
const SIM_LABELS: Record<string, string> = {
  'debit:T0': 'debit:checked',
  'debit:T1': 'debit:signed',
  'debit:T2': 'before-write:debit',
  'debit:T3': 'after-write:debit',
  'debit:T4': 'debit:committed',
  'reload:T0': 'reload:checked',
  'reload:T1': 'reload:signed',
  'reload:T2': 'before-write:reload',
  'reload:T3': 'after-write:reload',
  'reload:T4': 'after-write:reload',
  'pin:after-decrement': 'pin:decremented',
  'register:1': 'after-write:register:invalidate',
  'register:2': 'after-write:register:link-key',
  'register:3': 'before-write:register:complete',
};

/** A simulated card personalized by the suite with raw §7 commands (CONFORMANCE_PROFILE). */
export async function conformanceSimulatedCard(pki: DevPki, path?: string) {
  const card = blankSimulatedCard(pki, path);
  const reader = new SimulatedReader();
  reader.insert(card);
  await personalizeRaw(new RawCard(reader), pki, CONFORMANCE_PROFILE);
  return { card, reader };
}

export async function simulatorTarget(opts: { pki?: DevPki } = {}): Promise<ConformanceTarget> {
  const pki = opts.pki ?? DevPki.inMemory();
  const blank = () => {
    const card = blankSimulatedCard(pki);
    const reader = new SimulatedReader();
    reader.insert(card);
    return { card, reader };
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
            // Find where the label falls in this command by running it on a copy (RAM included).
            const simLabel = SIM_LABELS[label] ?? label;
            const copy = card.clone();
            try {
              copy.transmit(command);
            } catch {
              // the copy's answer does not matter, only the points it passed
            }
            const at = copy.lastTearPoints.indexOf(simLabel);
            if (at < 0)
              throw new Error(`the command passes no simulator tear point "${simLabel}" (${label})`);
            card.armTear(at);
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
