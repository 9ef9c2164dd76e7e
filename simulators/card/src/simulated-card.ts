import * as fs from 'node:fs';
import { generatePrivateKey } from '@huduma/card-applet-spec';
import { type AppletHost, CardApplet, type CommandInfo } from './applet';
import { CardFileError, PowerLossError } from './errors';
import {
  blankCardState,
  type CardState,
  decodeCardState,
  encodeCardState,
  type InstallParameters,
} from './state';
import { type CardStore, FileCardStore, MemoryCardStore } from './store';

/**
 * The card speaks T=1 only: TS 3B (direct convention), T0 86 (TD1 follows, 6 historical bytes),
 * TD1 80 (TD2 follows, T=0 indicated by convention of the first offer), TD2 01 (T=1), historical
 * bytes "HUDUMA" (proprietary format), TCK (XOR of T0..last historical byte, required with T=1).
 */
export const HUDUMA_ATR: Uint8Array = (() => {
  const body = [0x86, 0x80, 0x01, ...new TextEncoder().encode('HUDUMA')];
  return new Uint8Array([0x3b, ...body, body.reduce((a, b) => a ^ b, 0)]);
})();

/** The interface of the vpcd bridge (simulators/vpcd), declared here structurally. */
export interface VirtualCard {
  readonly atr: Uint8Array;
  powerOn(): void;
  powerOff(): void;
  reset(): void;
  transmit(apdu: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

export interface SimulatedCardOptions {
  /** Randomness for challenges (default: crypto.getRandomValues). */
  randomBytes?: (n: number) => Uint8Array;
  /** Key generation for GENERATE KEY PAIR (default: a fresh random P-256 key). */
  generatePrivateKey?: () => Uint8Array;
  /** Overwrite an existing file in `create`. */
  overwrite?: boolean;
  /**
   * The install parameters of §7.1 (chipSerial and the per-chip K.perso-enc/mac and K.att, from
   * the issuer HSM, e.g. `DevPki.installKeys`). `create` draws random ones when absent; read
   * them back with `installParameters()`.
   */
  install?: InstallParameters;
}

/** Random install parameters (a chip nobody's HSM knows: for tests that personalize it themselves). */
export function randomInstallParameters(): InstallParameters {
  const r = (n: number) => crypto.getRandomValues(new Uint8Array(n));
  return { chipSerial: r(8), persoEncKey: r(16), persoMacKey: r(16), attestationKey: r(16) };
}

/** Outcome of one command with a tear armed. */
export type TearOutcome = { torn: true; error: PowerLossError } | { torn: false; response: Uint8Array };

/**
 * A reference Huduma card: the applet, its persisted EEPROM image (file or memory) and
 * power-loss injection. Also a `VirtualCard` for the vpcd bridge.
 *
 * Tear points: every command passes a sequence of them (start of the command, before and after
 * each persistent write, and inside computations such as "signed but not committed").
 * `armTear(n)` makes the n-th tear point (0-based) passed from now on cut the power, whichever
 * command it falls in (so a tear can land in the last segment of a chained command); it stays
 * armed until it fires or `disarmTear()`.
 */
export class SimulatedCard implements VirtualCard {
  readonly atr = HUDUMA_ATR;
  private readonly applet: CardApplet;
  private armedAt: number | undefined;
  private pointIndex = 0;
  private labels: string[] = [];

  private constructor(
    private readonly store: CardStore,
    state: CardState,
    private readonly options: SimulatedCardOptions,
  ) {
    const host: AppletHost = {
      write: (next) => this.store.save(encodeCardState(next)),
      tearPoint: (label) => this.tearPoint(label),
      randomBytes: options.randomBytes ?? ((n) => crypto.getRandomValues(new Uint8Array(n))),
      generatePrivateKey: options.generatePrivateKey ?? generatePrivateKey,
    };
    this.applet = new CardApplet(state, host);
  }

  /** A new blank card (PERSONALIZATION). With a path it is written there; without, it lives in memory. */
  static create(path?: string, opts: SimulatedCardOptions = {}): SimulatedCard {
    const state = blankCardState(opts.install ?? randomInstallParameters());
    const image = encodeCardState(state);
    if (path === undefined) return new SimulatedCard(new MemoryCardStore(image), state, opts);
    if (!opts.overwrite && fs.existsSync(path)) {
      throw new CardFileError(
        'ERR_CARD_FILE_EXISTS',
        `${path} already exists (pass overwrite: true to replace it)`,
      );
    }
    const store = new FileCardStore(path);
    store.save(image);
    return new SimulatedCard(store, state, opts);
  }

  /** Opens a card file written by `create`. */
  static open(path: string, opts: SimulatedCardOptions = {}): SimulatedCard {
    if (!fs.existsSync(path)) throw new CardFileError('ERR_CARD_FILE_NOT_FOUND', `no card file at ${path}`);
    const store = new FileCardStore(path);
    return new SimulatedCard(store, decodeCardState(store.load()), opts);
  }

  /** An in-memory card from a persisted image (e.g. a copy of another card for exploring tear points). */
  static fromImage(image: Uint8Array, opts: SimulatedCardOptions = {}): SimulatedCard {
    return new SimulatedCard(new MemoryCardStore(image), decodeCardState(image), opts);
  }

  /**
   * The install parameters as persisted (simulator-only: a real applet never reveals its keys);
   * undefined once FINALIZE has cleared the perso keys.
   */
  installParameters(): InstallParameters | undefined {
    const s = this.applet.state;
    if (!s.persoEncKey || !s.persoMacKey || !s.attestationKey) return undefined;
    return {
      chipSerial: s.chipSerial.slice(),
      persoEncKey: s.persoEncKey.slice(),
      persoMacKey: s.persoMacKey.slice(),
      attestationKey: s.attestationKey.slice(),
    };
  }

  get path(): string | undefined {
    return this.store.path;
  }

  /** The state as the applet currently sees it (a copy). */
  get state(): CardState {
    return structuredClone(this.applet.state);
  }

  /** The state as persisted (decoded from the stored image): what survives a power loss. */
  persistedState(): CardState {
    return decodeCardState(this.store.load());
  }

  /** The persisted image bytes (CBOR). Equal images mean equal persisted states. */
  persistedImage(): Uint8Array {
    return this.store.load();
  }

  /** Cost of the last command (for the latency model). */
  get lastCommand(): CommandInfo {
    return this.applet.lastCommand;
  }

  /** Labels of the tear points every command passed since the card was made (diagnostics). */

  /** Labels of the tear points the last command passed, in order. */
  get lastTearPoints(): readonly string[] {
    return this.labels;
  }

  powerOn(): void {
    this.applet.resetTransient();
  }
  powerOff(): void {
    this.applet.resetTransient();
  }
  reset(): void {
    this.applet.resetTransient();
  }

  /** Arms a power loss at the n-th tear point (0-based) passed from now on. */
  armTear(n: number): void {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`tear point must be a non-negative integer, got ${n}`);
    // Count from the arming, not from the card's creation: "the n-th point of what comes next".
    this.pointIndex = 0;
    this.armedAt = n;
  }

  disarmTear(): void {
    this.armedAt = undefined;
  }

  /**
   * Processes one APDU. Throws PowerLossError only when an armed tear fires; the card has then
   * already reloaded its persisted state and lost its RAM.
   */
  transmit(apdu: Uint8Array): Uint8Array {
    this.labels = [];
    try {
      return this.applet.process(apdu);
    } catch (err) {
      if (err instanceof PowerLossError) {
        this.applet.state = decodeCardState(this.store.load());
        this.applet.resetTransient();
      }
      throw err;
    }
  }

  /** Runs `apdu` with a tear armed at point `n`; tells whether it fired. */
  transmitWithTear(apdu: Uint8Array, n: number): TearOutcome {
    this.armTear(n);
    try {
      return { torn: false, response: this.transmit(apdu) };
    } catch (err) {
      if (err instanceof PowerLossError) return { torn: true, error: err };
      throw err;
    } finally {
      this.disarmTear();
    }
  }

  /**
   * How many tear points `apdu` passes from the current state (run on a copy of the card, RAM
   * included, so this card is untouched).
   */
  countTearPoints(apdu: Uint8Array): number {
    const copy = this.clone();
    copy.transmit(apdu);
    return copy.labels.length;
  }

  /** An in-memory copy of this card: persisted image, current state and RAM. */
  clone(): SimulatedCard {
    const copy = SimulatedCard.fromImage(this.store.load(), this.options);
    copy.applet.state = structuredClone(this.applet.state);
    copy.applet.transient = structuredClone(this.applet.transient);
    return copy;
  }

  private tearPoint(label: string): void {
    const index = this.pointIndex++;
    this.labels.push(label);
    if (this.armedAt === index) {
      this.armedAt = undefined;
      throw new PowerLossError(index, label);
    }
  }
}
