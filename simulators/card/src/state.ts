import { LifeCycle, type LifeCycleState, Limits } from '@huduma/card-applet-spec';
import { decode, encode } from 'cbor-x';

/** A key the card trusts (STORE DATA object 06). */
export interface StoredTrustedKey {
  usage: number;
  keyId: Uint8Array;
  publicKey: Uint8Array;
}

/**
 * Everything the card keeps in "EEPROM". Treated as immutable: every command that changes it
 * builds a new CardState and hands it to one `persist` step.
 */
export interface CardState {
  lifeCycle: LifeCycleState;
  cardNumber?: string;
  identity?: Uint8Array;
  /** True once STORE DATA 03 (purse parameters) has run. */
  purseParametersSet: boolean;
  balance: number;
  maxBalance: number;
  counter: number;
  offlineSpend: number;
  offlineLimit: number;
  cvmLimit: number;
  pinBlock?: Uint8Array;
  pinTries: number;
  pukBlock?: Uint8Array;
  pukTries: number;
  privateKey?: Uint8Array;
  publicKey?: Uint8Array;
  certificate?: Uint8Array;
  trustedKeys: StoredTrustedKey[];
  lastTrustedTime: number;
  /** Transaction ring, newest first: each entry is record (63) || card signature (64). */
  ring: Uint8Array[];
  /** SHA-256 of recently verified terminal certificates, newest first (FIFO, at most 4). */
  certCache: Uint8Array[];
}

/** RAM state: lost on SELECT (challenge/PIN flag), reset and power-off. */
export interface TransientState {
  challenge?: Uint8Array;
  pinVerified: boolean;
  chain?: { cla: number; ins: number; p1: number; p2: number; data: Uint8Array };
}

export function blankCardState(): CardState {
  return {
    lifeCycle: LifeCycle.PERSONALIZATION,
    purseParametersSet: false,
    balance: 0,
    maxBalance: 0,
    counter: 0,
    offlineSpend: 0,
    offlineLimit: 0,
    cvmLimit: 0,
    pinTries: Limits.PIN_TRIES,
    pukTries: Limits.PUK_TRIES,
    trustedKeys: [],
    lastTrustedTime: 0,
    ring: [],
    certCache: [],
  };
}

export function cloneCardState(s: CardState): CardState {
  return structuredClone(s);
}

const FORMAT = 'huduma-card-eeprom';
const FORMAT_VERSION = 1;

const bytesOf = (v: unknown): Uint8Array | undefined =>
  v === undefined || v === null ? undefined : new Uint8Array(v as Uint8Array);

/** The persisted form: CBOR of a versioned map with a fixed key order (so equal states encode equally). */
export function encodeCardState(s: CardState): Uint8Array {
  const doc = {
    format: FORMAT,
    version: FORMAT_VERSION,
    lifeCycle: s.lifeCycle,
    cardNumber: s.cardNumber ?? null,
    identity: s.identity ?? null,
    purseParametersSet: s.purseParametersSet,
    balance: s.balance,
    maxBalance: s.maxBalance,
    counter: s.counter,
    offlineSpend: s.offlineSpend,
    offlineLimit: s.offlineLimit,
    cvmLimit: s.cvmLimit,
    pinBlock: s.pinBlock ?? null,
    pinTries: s.pinTries,
    pukBlock: s.pukBlock ?? null,
    pukTries: s.pukTries,
    privateKey: s.privateKey ?? null,
    publicKey: s.publicKey ?? null,
    certificate: s.certificate ?? null,
    trustedKeys: s.trustedKeys.map((k) => ({ usage: k.usage, keyId: k.keyId, publicKey: k.publicKey })),
    lastTrustedTime: s.lastTrustedTime,
    ring: s.ring,
    certCache: s.certCache,
  };
  return new Uint8Array(encode(doc));
}

export class CardStateFormatError extends Error {
  override name = 'CardStateFormatError';
  readonly code = 'ERR_CARD_STATE_FORMAT';
}

export function decodeCardState(bytes: Uint8Array): CardState {
  // biome-ignore lint/suspicious/noExplicitAny: validated field by field below
  let d: any;
  try {
    d = decode(bytes);
  } catch (err) {
    throw new CardStateFormatError(`card file is not CBOR: ${(err as Error).message}`);
  }
  if (d?.format !== FORMAT || d.version !== FORMAT_VERSION) {
    throw new CardStateFormatError(`not a ${FORMAT} v${FORMAT_VERSION} document`);
  }
  const s: CardState = {
    lifeCycle: d.lifeCycle,
    purseParametersSet: !!d.purseParametersSet,
    balance: d.balance,
    maxBalance: d.maxBalance,
    counter: d.counter,
    offlineSpend: d.offlineSpend,
    offlineLimit: d.offlineLimit,
    cvmLimit: d.cvmLimit,
    pinTries: d.pinTries,
    pukTries: d.pukTries,
    trustedKeys: (d.trustedKeys as StoredTrustedKey[]).map((k) => ({
      usage: k.usage,
      keyId: new Uint8Array(k.keyId),
      publicKey: new Uint8Array(k.publicKey),
    })),
    lastTrustedTime: d.lastTrustedTime,
    ring: (d.ring as Uint8Array[]).map((e) => new Uint8Array(e)),
    certCache: (d.certCache as Uint8Array[]).map((e) => new Uint8Array(e)),
  };
  if (d.cardNumber !== null) s.cardNumber = d.cardNumber;
  const opt = ['identity', 'pinBlock', 'pukBlock', 'privateKey', 'publicKey', 'certificate'] as const;
  for (const k of opt) {
    const v = bytesOf(d[k]);
    if (v !== undefined) s[k] = v;
  }
  return s;
}
