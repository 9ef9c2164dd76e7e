import { Limits, StoreDataObject } from '@huduma/card-applet-spec';
import type { CardState, Session, TransientState } from './state';

/**
 * What the applet needs from its platform: the atomic EEPROM write, tear injection and
 * randomness. `SimulatedCard` provides a persisting, tearable host; `memoryHost` keeps state in memory.
 */
export interface AppletHost {
  /** Atomically replaces the persisted state (one Java Card transaction). */
  write(next: CardState): void;
  /** A point where power may be lost; throws PowerLossError when a tear is armed here. */
  tearPoint(label: string): void;
  randomBytes(n: number): Uint8Array;
  generatePrivateKey(): Uint8Array;
}

/** A command's answer before secure messaging wraps it: status word and response data. */
export interface Reply {
  sw: number;
  data?: Uint8Array;
}

export const reply = (sw: number, data?: Uint8Array): Reply => (data ? { sw, data } : { sw });

/** What the last processed APDU cost on the card, for the latency model. */
export interface CommandInfo {
  /** INS of the command, undefined when rejected before the INS was known. */
  ins?: number;
  /** P1 (OPEN SESSION type). */
  p1?: number;
  /** Assembled data length (Lc) of the command. */
  lc?: number;
  /** Only buffered a chain segment. */
  chainSegment: boolean;
  verifies: number;
  signs: number;
  ecdh: number;
  writes: number;
}

/**
 * The view of the applet the command handlers (one file per concern) work on: the persisted
 * state, RAM, the host, and the single persistent write step with its tear points.
 */
export interface AppletContext {
  state: CardState;
  transient: TransientState;
  readonly host: AppletHost;
  readonly info: CommandInfo;
  /** One atomic write (a Java Card transaction) with a tear point before and after it. */
  persist(next: CardState, what: string): void;
  /** A named tear point inside a command (e.g. "debit:signed"). */
  tear(label: string): void;
  /** Ends the session (keys zeroed). */
  endSession(): void;
  /** The 40-byte purse as READ PURSE and the FCI return it. */
  purseBytes(): Uint8Array;
  /** The session this SM command runs in (only valid inside a session handler). */
  readonly session: Session;
}

/** Object lengths of STORE DATA (§7.4): [min, max] of the plain object. */
export const STORE_DATA_LENGTH: Record<number, readonly [number, number]> = {
  [StoreDataObject.CARD_NUMBER]: [8, 8],
  [StoreDataObject.IDENTITY]: [1, Limits.IDENTITY_MAX],
  [StoreDataObject.PURSE_PARAMETERS]: [18, 18],
  [StoreDataObject.PIN]: [8, 8],
  [StoreDataObject.PUK]: [8, 8],
  [StoreDataObject.TRUSTED_KEY]: [74, 74],
  [StoreDataObject.CARD_CERTIFICATE]: [230, 230],
};
