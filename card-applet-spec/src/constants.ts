/**
 * Constants of the Huduma card applet v1 (SPEC.md). Every number here is normative: the
 * simulator, the SDK and a Java Card implementation use these exact values.
 */

/** Applet AID: proprietary RID 0xF0 + ASCII "HUDUMAPAY" + applet major version 0x01. */
export const AID = new Uint8Array([0xf0, 0x48, 0x55, 0x44, 0x55, 0x4d, 0x41, 0x50, 0x41, 0x59, 0x01]);

export const APPLET_VERSION = 0x01;

/** Class bytes. Only the basic logical channel (0) is supported. */
export const CLA = {
  ISO: 0x00,
  PROPRIETARY: 0x80,
  /** ISO 7816-4 command chaining bit: set on every command of a chain but the last. */
  CHAINING: 0x10,
} as const;

/** Instruction bytes. ISO instructions are sent with CLA 0x00, the others with CLA 0x80. */
export const INS = {
  SELECT: 0xa4,
  GET_CHALLENGE: 0x84,
  GET_DATA: 0xca,
  VERIFY_PIN: 0x20,
  CHANGE_PIN: 0x24,
  UNBLOCK_PIN: 0x2c,
  READ_RECORD: 0xb2,
  READ_PURSE: 0x50,
  DEBIT: 0x54,
  UNDEBIT: 0x56,
  RELOAD: 0x58,
  GET_LAST_TRANSACTION: 0x5a,
  READ_IDENTITY: 0x5c,
  BLOCK_CARD: 0x5e,
  STORE_DATA: 0xe2,
  GENERATE_KEY_PAIR: 0xe4,
  FINALIZE: 0xe6,
} as const;
export type InsName = keyof typeof INS;

/** Which class byte each instruction uses. */
export const CLA_OF_INS: Readonly<Record<InsName, number>> = {
  SELECT: CLA.ISO,
  GET_CHALLENGE: CLA.ISO,
  GET_DATA: CLA.ISO,
  VERIFY_PIN: CLA.ISO,
  CHANGE_PIN: CLA.ISO,
  UNBLOCK_PIN: CLA.ISO,
  READ_RECORD: CLA.ISO,
  READ_PURSE: CLA.PROPRIETARY,
  DEBIT: CLA.PROPRIETARY,
  UNDEBIT: CLA.PROPRIETARY,
  RELOAD: CLA.PROPRIETARY,
  GET_LAST_TRANSACTION: CLA.PROPRIETARY,
  READ_IDENTITY: CLA.PROPRIETARY,
  BLOCK_CARD: CLA.PROPRIETARY,
  STORE_DATA: CLA.PROPRIETARY,
  GENERATE_KEY_PAIR: CLA.PROPRIETARY,
  FINALIZE: CLA.PROPRIETARY,
};

/** P1/P2 values. */
export const P1P2 = {
  SELECT_BY_NAME: 0x0400, // P1=04 select by DF name, P2=00 first occurrence, return FCI
  GET_DATA_CARD_CERTIFICATE: 0x7f21, // ISO 7816-8 CV-certificate tag as the data object
  PIN_REFERENCE: 0x0081, // P1=00, P2=81: the cardholder PIN (specific reference data)
  READ_RECORD_P2: 0x04, // P2=04: record number in P1, current (transaction ring) file
} as const;

/** Life-cycle states (SPEC.md §3). */
export const LifeCycle = {
  PERSONALIZATION: 0x01,
  ACTIVE: 0x02,
  BLOCKED: 0x03,
  TERMINATED: 0x04,
} as const;
export type LifeCycleState = (typeof LifeCycle)[keyof typeof LifeCycle];

/** Terminal capabilities, a bit mask in the terminal certificate. */
export const Capability = {
  DEBIT: 0x0001,
  UNDEBIT: 0x0002,
  RELOAD: 0x0004,
  IDENTITY_READ: 0x0008,
  BLOCK: 0x0010,
} as const;
export type CapabilityName = keyof typeof Capability;

/** Certificate types. */
export const CertType = { CARD: 0x01, TERMINAL: 0x02 } as const;
export const CERT_VERSION = 0x01;

/** What a trusted public key stored on the card may be used for. */
export const KeyUsage = {
  /** Verifies terminal certificates (the acquirer CA). */
  TERMINAL_CA: 0x01,
  /** Verifies load authorizations (the issuer's load authority, run by the clearing service). */
  LOAD_AUTHORITY: 0x02,
} as const;

/** Transaction record types (the ring and every card proof). */
export const TxType = { DEBIT: 0x01, UNDEBIT: 0x02, RELOAD: 0x03 } as const;
export type TxTypeCode = (typeof TxType)[keyof typeof TxType];

/** Holder identity types (Huduma Namba). */
export const IdentityType = { CITIZEN_NATIONAL_ID: 0x01, ALIEN_ID: 0x02, ENTITY_REGISTRATION: 0x03 } as const;
export type IdentityTypeCode = (typeof IdentityType)[keyof typeof IdentityType];

/** Reasons for BLOCK CARD. */
export const BlockReason = {
  DENY_LISTED: 0x01,
  LOST_OR_STOLEN: 0x02,
  FRAUD_SUSPECTED: 0x03,
  HOLDER_REQUEST: 0x04,
} as const;

/** Data objects written by STORE DATA (P1) during personalization. */
export const StoreDataObject = {
  CARD_NUMBER: 0x01,
  IDENTITY: 0x02,
  PURSE_PARAMETERS: 0x03,
  PIN: 0x04,
  PUK: 0x05,
  TRUSTED_KEY: 0x06,
  CARD_CERTIFICATE: 0x07,
} as const;

/** ISO 4217 numeric code of the Kenyan shilling; all amounts are in cents of it. */
export const CURRENCY_KES = 0x0404;

/** Fixed sizes in bytes. */
export const Size = {
  AID: 11,
  CARD_NUMBER: 8,
  TERMINAL_ID: 8,
  MERCHANT_ID: 8,
  KEY_ID: 8,
  PUBLIC_KEY: 65,
  SIGNATURE: 64,
  CHALLENGE: 16,
  NONCE: 8,
  BILL_REF: 16,
  DOMAIN: 16,
  PIN_BLOCK: 8,
  CERTIFICATE_TBS: 101,
  CERTIFICATE: 165,
  TRANSACTION_RECORD: 63,
  TRANSACTION_PROOF: 127,
  PURSE: 28,
  PURSE_PARAMETERS: 12,
  TRUSTED_KEY: 74,
  DEBIT_BODY: 38,
  UNDEBIT_BODY: 24,
  IDENTITY_BODY: 12,
  BLOCK_BODY: 9,
  LOAD_AUTHORIZATION_TBS: 80,
  LOAD_AUTHORIZATION: 144,
  RECOVERY_REQUEST: 20,
  RECOVERY_RESPONSE: 200,
} as const;

/** Card-side limits. */
export const Limits = {
  PIN_TRIES: 3,
  PUK_TRIES: 10,
  PIN_MIN_DIGITS: 4,
  PIN_MAX_DIGITS: 8,
  PUK_DIGITS: 8,
  /** Transaction ring entries (record + proof signature each). */
  RING_SIZE: 16,
  TRUSTED_KEY_SLOTS: 4,
  /** Verified terminal certificates remembered (by SHA-256) so a repeat terminal costs one ECDSA verify less. */
  TERMINAL_CERT_CACHE: 4,
  /** Seconds, by the cancelling terminal's own clock, within which UNDEBIT may cancel the last debit. */
  UNDEBIT_WINDOW_SECONDS: 900,
  /** Largest command data accepted after chaining. */
  CHAIN_BUFFER: 512,
  IDENTITY_MAX: 240,
  NAME_MAX: 64,
  ID_FIELD_MAX: 20,
  MAX_COUNTER: 0xffffffff,
} as const;

/**
 * Domain-separation tags: 16 bytes, ASCII right-padded with 0x00, prefixed to every signed
 * message so a signature made for one purpose can never be replayed as another.
 */
export const DomainTag = {
  CERTIFICATE: 'HUDUMA-CERT-v1',
  TERMINAL_AUTH: 'HUDUMA-AUTH-v1',
  TRANSACTION: 'HUDUMA-TXN-v1',
  LOAD: 'HUDUMA-LOAD-v1',
  RECOVERY: 'HUDUMA-RCVR-v1',
} as const;

/** Status words the applet returns (ISO 7816-4 ones it uses, then its own 9Fxx set). */
export const SW = {
  OK: 0x9000,
  SELECTED_FILE_DEACTIVATED: 0x6283,
  SELECTED_FILE_TERMINATED: 0x6285,
  /** 63Cx: verification failed, x tries left (use `swWrongPin(x)`). */
  VERIFY_FAILED_BASE: 0x63c0,
  WRONG_LENGTH: 0x6700,
  LOGICAL_CHANNEL_NOT_SUPPORTED: 0x6881,
  LAST_COMMAND_OF_CHAIN_EXPECTED: 0x6883,
  CHAINING_NOT_SUPPORTED: 0x6884,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  WRONG_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  APPLET_NOT_FOUND: 0x6a82,
  RECORD_NOT_FOUND: 0x6a83,
  WRONG_P1P2: 0x6a86,
  REFERENCED_DATA_NOT_FOUND: 0x6a88,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
  INSUFFICIENT_FUNDS: 0x9f01,
  MAX_BALANCE_EXCEEDED: 0x9f02,
  OFFLINE_LIMIT_EXCEEDED: 0x9f03,
  TERMINAL_CERT_INVALID: 0x9f04,
  TERMINAL_SIGNATURE_INVALID: 0x9f05,
  CAPABILITY_MISSING: 0x9f06,
  UNDEBIT_REFUSED: 0x9f07,
  LOAD_AUTH_INVALID: 0x9f08,
  SEQUENCE_REUSED: 0x9f09,
  TERMINAL_CERT_EXPIRED: 0x9f0a,
  CARD_BLOCKED: 0x9f0b,
  COUNTER_EXHAUSTED: 0x9f0c,
  CARD_TERMINATED: 0x9f0d,
  PIN_REQUIRED: 0x9f0e,
} as const;
export type SwName = keyof typeof SW;

/** 63Cx with x = tries left (0..15). */
export function swWrongPin(triesLeft: number): number {
  return SW.VERIFY_FAILED_BASE | (triesLeft & 0x0f);
}

/** Meaning of every status word of the applet, for tables and error messages. */
export const STATUS_WORD_MEANINGS: ReadonlyArray<{ sw: number; name: string; meaning: string }> = [
  { sw: SW.OK, name: 'OK', meaning: 'command completed' },
  {
    sw: SW.SELECTED_FILE_DEACTIVATED,
    name: 'CARD_BLOCKED_SELECTED',
    meaning: 'applet selected, card is blocked',
  },
  {
    sw: SW.SELECTED_FILE_TERMINATED,
    name: 'CARD_TERMINATED_SELECTED',
    meaning: 'applet selected, card is terminated',
  },
  { sw: SW.WRONG_LENGTH, name: 'WRONG_LENGTH', meaning: 'Lc does not match the command layout' },
  {
    sw: SW.LOGICAL_CHANNEL_NOT_SUPPORTED,
    name: 'LOGICAL_CHANNEL_NOT_SUPPORTED',
    meaning: 'only the basic channel is supported',
  },
  {
    sw: SW.LAST_COMMAND_OF_CHAIN_EXPECTED,
    name: 'LAST_COMMAND_OF_CHAIN_EXPECTED',
    meaning: 'a chain was interrupted by another command',
  },
  {
    sw: SW.CHAINING_NOT_SUPPORTED,
    name: 'CHAINING_NOT_SUPPORTED',
    meaning: 'this command cannot be chained or the chain is too long',
  },
  {
    sw: SW.SECURITY_STATUS_NOT_SATISFIED,
    name: 'NO_FRESH_CHALLENGE',
    meaning: 'no unused card challenge for this authenticated command',
  },
  {
    sw: SW.AUTH_METHOD_BLOCKED,
    name: 'PIN_OR_PUK_BLOCKED',
    meaning: 'the PIN (or PUK) try counter is exhausted',
  },
  {
    sw: SW.CONDITIONS_NOT_SATISFIED,
    name: 'WRONG_LIFE_CYCLE_STATE',
    meaning: 'command not allowed in the current life-cycle state',
  },
  { sw: SW.WRONG_DATA, name: 'WRONG_DATA', meaning: 'the data field is malformed or out of range' },
  { sw: SW.FUNCTION_NOT_SUPPORTED, name: 'FUNCTION_NOT_SUPPORTED', meaning: 'function not supported' },
  { sw: SW.APPLET_NOT_FOUND, name: 'APPLET_NOT_FOUND', meaning: 'no applet with this AID' },
  { sw: SW.RECORD_NOT_FOUND, name: 'RECORD_NOT_FOUND', meaning: 'no such transaction record' },
  { sw: SW.WRONG_P1P2, name: 'WRONG_P1P2', meaning: 'P1-P2 not valid for this instruction' },
  {
    sw: SW.REFERENCED_DATA_NOT_FOUND,
    name: 'UNKNOWN_KEY',
    meaning: 'the certificate or authorization names a key the card does not hold',
  },
  { sw: SW.INS_NOT_SUPPORTED, name: 'INS_NOT_SUPPORTED', meaning: 'instruction not supported' },
  { sw: SW.CLA_NOT_SUPPORTED, name: 'CLA_NOT_SUPPORTED', meaning: 'class not supported' },
  {
    sw: SW.NO_PRECISE_DIAGNOSIS,
    name: 'NO_PRECISE_DIAGNOSIS',
    meaning: 'internal error; no state was changed',
  },
  { sw: SW.INSUFFICIENT_FUNDS, name: 'INSUFFICIENT_FUNDS', meaning: 'balance is lower than the amount' },
  {
    sw: SW.MAX_BALANCE_EXCEEDED,
    name: 'MAX_BALANCE_EXCEEDED',
    meaning: 'the reload would exceed the maximum balance',
  },
  {
    sw: SW.OFFLINE_LIMIT_EXCEEDED,
    name: 'OFFLINE_LIMIT_EXCEEDED',
    meaning: 'cumulative offline spend limit reached: the card must go online (reload)',
  },
  {
    sw: SW.TERMINAL_CERT_INVALID,
    name: 'TERMINAL_CERT_INVALID',
    meaning: 'terminal certificate malformed or its signature does not verify',
  },
  {
    sw: SW.TERMINAL_SIGNATURE_INVALID,
    name: 'TERMINAL_SIGNATURE_INVALID',
    meaning: 'the terminal signature over the command does not verify',
  },
  {
    sw: SW.CAPABILITY_MISSING,
    name: 'CAPABILITY_MISSING',
    meaning: 'the terminal certificate does not grant this command',
  },
  {
    sw: SW.UNDEBIT_REFUSED,
    name: 'UNDEBIT_REFUSED',
    meaning: 'not the last debit, another terminal, other amount, or outside the window',
  },
  {
    sw: SW.LOAD_AUTH_INVALID,
    name: 'LOAD_AUTH_INVALID',
    meaning: 'load authorization not for this card, counter or challenge, or bad signature',
  },
  {
    sw: SW.SEQUENCE_REUSED,
    name: 'SEQUENCE_REUSED',
    meaning: 'terminal sequence number already used for a different request',
  },
  {
    sw: SW.TERMINAL_CERT_EXPIRED,
    name: 'TERMINAL_CERT_EXPIRED',
    meaning: 'terminal certificate expired before the latest trusted time the card knows',
  },
  { sw: SW.CARD_BLOCKED, name: 'CARD_BLOCKED', meaning: 'card is blocked' },
  {
    sw: SW.COUNTER_EXHAUSTED,
    name: 'COUNTER_EXHAUSTED',
    meaning: 'transaction counter exhausted: card must be replaced',
  },
  { sw: SW.CARD_TERMINATED, name: 'CARD_TERMINATED', meaning: 'card is terminated' },
  {
    sw: SW.PIN_REQUIRED,
    name: 'PIN_REQUIRED',
    meaning: 'this command needs the PIN verified in this session',
  },
];

/** Tags of the FCI returned by SELECT and of the identity template. */
export const Tag = {
  FCI: 0x6f,
  DF_NAME: 0x84,
  FCI_PROPRIETARY: 0xa5,
  APPLET_VERSION: 0xc0,
  LIFE_CYCLE: 0xc1,
  CARD_NUMBER: 0xc2,
  CHALLENGE: 0xc3,
  PURSE: 0xc4,
  IDENTITY_TEMPLATE: 0xe1,
  ID_TYPE: 0x80,
  HUDUMA_NAMBA: 0x81,
  ID_NUMBER: 0x82,
  NAME: 0x83,
  NHIF: 0x84,
  NSSF: 0x85,
} as const;

/**
 * The simulator's latency model (ms per command, excluding transmission): round planning figures
 * (sign ≈ 80 ms, verify ≈ 100 ms, an EEPROM transaction ≈ 15 ms), not measurements. Published
 * on-card measurements per chip, and the v1 tap costed from them, are `CHIP_TIMINGS` and
 * `modelV1Tap` (chip-timings.ts, SPEC.md §9.1–9.2): real chips range from well under to well
 * over these figures.
 */
export const TypicalCardTimeMs = {
  ECDSA_SIGN: 80,
  ECDSA_VERIFY: 100,
  EEPROM_COMMIT: 15,
  SELECT: 12,
  GET_CHALLENGE: 8,
  GET_DATA: 6,
  VERIFY_PIN: 20,
  CHANGE_PIN: 30,
  UNBLOCK_PIN: 30,
  READ_PURSE: 5,
  READ_RECORD: 6,
  /** One chained-command segment that only buffers data. */
  CHAIN_SEGMENT: 4,
  /** Cached terminal certificate: 1 verify + 1 sign + commit; add ECDSA_VERIFY on a cache miss. */
  DEBIT: 200,
  UNDEBIT: 200,
  RELOAD: 200,
  GET_LAST_TRANSACTION: 90,
  READ_IDENTITY: 110,
  BLOCK_CARD: 125,
  STORE_DATA: 20,
  GENERATE_KEY_PAIR: 250,
  FINALIZE: 20,
  /** Transmission at T=1, 115.2 kbit/s, per byte in either direction. */
  PER_BYTE: 0.09,
} as const;
