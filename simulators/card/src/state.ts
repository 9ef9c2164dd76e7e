import {
  CryptoProfile,
  type CryptoProfileCode,
  LifeCycle,
  type LifeCycleState,
  Limits,
} from '@huduma/card-applet-spec';
import { decode, encode } from 'cbor-x';

/** A key the card trusts (STORE DATA object 06). */
export interface StoredTrustedKey {
  usage: number;
  keyId: Uint8Array;
  publicKey: Uint8Array;
}

/** A terminal registration (§2.9): the link-key cache entry made by REGISTER TERMINAL. */
export interface Registration {
  termCertId: Uint8Array;
  terminalId: string;
  merchantId: string;
  capabilities: number;
  notAfter: number;
  issuerKeyId: Uint8Array;
  lastUsed: number;
  /** False while the slot is being (re)written (§10.6): an invalid slot answers 9F12. */
  valid: boolean;
  /** K.link (the card's `AESKey`); written in its own step, between valid := 0 and valid := 1. */
  linkKey?: Uint8Array;
}

/** The per-chip install parameters (§7.1), loaded before personalization. */
export interface InstallParameters {
  chipSerial: Uint8Array;
  persoEncKey: Uint8Array;
  persoMacKey: Uint8Array;
  attestationKey: Uint8Array;
}

/**
 * Everything the card keeps in "EEPROM" (§10.1). Treated as immutable: every command that changes
 * it builds a new CardState and hands it to one `persist` step (one Java Card transaction).
 */
export interface CardState {
  lifeCycle: LifeCycleState;
  cryptoProfile: CryptoProfileCode;
  chipSerial: Uint8Array;
  /** K.perso-enc, K.perso-mac, K.att: cleared after FINALIZE. */
  persoEncKey?: Uint8Array;
  persoMacKey?: Uint8Array;
  attestationKey?: Uint8Array;
  persoFailures: number;
  cardNumber?: string;
  identity?: Uint8Array;
  /** True once STORE DATA 03 (purse parameters) has run. */
  purseParametersSet: boolean;
  balance: number;
  maxBalance: number;
  counter: number;
  syncedThrough: number;
  offlineSpend: number;
  offlineLimit: number;
  cvmLimit: number;
  noCvmSpend: number;
  noCvmLimit: number;
  currency: number;
  pinBlock?: Uint8Array;
  pinTries: number;
  pukBlock?: Uint8Array;
  pukTries: number;
  /** SK.card / PK.card (signing) and KA.card / QA.card (key agreement). */
  signingKey?: Uint8Array;
  signingPublicKey?: Uint8Array;
  keyAgreementKey?: Uint8Array;
  keyAgreementPublicKey?: Uint8Array;
  certificate?: Uint8Array;
  trustedKeys: StoredTrustedKey[];
  lastTrustedTime: number;
  /** Transaction ring, newest first: each entry is record (66) ‖ card signature (64). */
  ring: Uint8Array[];
  /** TERMINAL_SLOTS slots; null = never used. */
  registrations: (Registration | null)[];
  /** The u16 LRU stamp counter (§2.9). */
  lruStamp: number;
}

/** A session (§2.10, §4.5). */
export interface Session {
  type: number;
  /** Registration slot (TAP / SECURE). */
  slot?: number;
  /**
   * The registration's terminal id and capabilities as they were when the session opened: a
   * REGISTER TERMINAL during the session may reuse the slot for another terminal, whose identity
   * must not leak into this session's records.
   */
  terminal?: { terminalId: string; capabilities: number };
  keys: { enc?: Uint8Array; mac: Uint8Array; rmac: Uint8Array };
  ssc: number;
  /** PERSO: true after EXTERNAL AUTHENTICATE PERSO. TAP/SECURE: true after the first valid C-MAC. */
  authenticated: boolean;
  /** The CVM token (§2.11), SECURE only. */
  cvmToken: boolean;
  /** PERSO: both challenges, for the host cryptogram (§7.3). */
  rndH?: Uint8Array;
  rndC?: Uint8Array;
}

/** RAM state: lost on reset and power-off; SELECT clears the session and replaces the challenge. */
export interface TransientState {
  challenge?: Uint8Array;
  session?: Session;
  chain?: { cla: number; ins: number; p1: number; p2: number; data: Uint8Array };
}

export function blankCardState(install: InstallParameters): CardState {
  return {
    lifeCycle: LifeCycle.PERSONALIZATION,
    cryptoProfile: CryptoProfile.PLAIN_X,
    chipSerial: install.chipSerial.slice(),
    persoEncKey: install.persoEncKey.slice(),
    persoMacKey: install.persoMacKey.slice(),
    attestationKey: install.attestationKey.slice(),
    persoFailures: 0,
    purseParametersSet: false,
    balance: 0,
    maxBalance: 0,
    counter: 0,
    syncedThrough: 0,
    offlineSpend: 0,
    offlineLimit: 0,
    cvmLimit: 0,
    noCvmSpend: 0,
    noCvmLimit: 0,
    currency: 0,
    pinTries: Limits.PIN_TRIES,
    pukTries: Limits.PUK_TRIES,
    trustedKeys: [],
    lastTrustedTime: 0,
    ring: [],
    registrations: Array.from({ length: Limits.TERMINAL_SLOTS }, () => null),
    lruStamp: 0,
  };
}

export function cloneCardState(s: CardState): CardState {
  return structuredClone(s);
}

const FORMAT = 'huduma-card-eeprom';
const FORMAT_VERSION = 2;

/** The persisted form: CBOR of a versioned map (keys sorted, so equal states encode equally). */
export function encodeCardState(s: CardState): Uint8Array {
  return new Uint8Array(encode({ format: FORMAT, version: FORMAT_VERSION, state: canonical(s) }));
}

function canonical(v: unknown): unknown {
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(canonical);
  if (v === undefined) return null;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = canonical(x);
    }
    return out;
  }
  return v;
}

/** CBOR decoders return Buffers in Node: turn every byte string back into a plain Uint8Array. */
function normalise(v: unknown): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = normalise(x);
    return out;
  }
  return v;
}

export class CardStateFormatError extends Error {
  override name = 'CardStateFormatError';
  readonly code = 'ERR_CARD_STATE_FORMAT';
}

export function decodeCardState(bytes: Uint8Array): CardState {
  // biome-ignore lint/suspicious/noExplicitAny: checked below
  let d: any;
  try {
    d = decode(bytes);
  } catch (err) {
    throw new CardStateFormatError(`card file is not CBOR: ${(err as Error).message}`);
  }
  if (d?.format !== FORMAT || d.version !== FORMAT_VERSION || typeof d.state !== 'object') {
    throw new CardStateFormatError(`not a ${FORMAT} v${FORMAT_VERSION} document`);
  }
  const s = normalise(d.state) as CardState;
  if (!Array.isArray(s.ring) || !Array.isArray(s.registrations) || typeof s.counter !== 'number') {
    throw new CardStateFormatError('card state is missing fields');
  }
  return s;
}
