/**
 * Constants of the Huduma card applet v2 (SPEC.md). Every number here is normative: the
 * simulator, the SDK and a Java Card implementation use these exact values.
 */

/** Applet AID: proprietary RID 0xF0 + ASCII "HUDUMAPAY" + applet major version 0x02. */
export const AID = new Uint8Array([0xf0, 0x48, 0x55, 0x44, 0x55, 0x4d, 0x41, 0x50, 0x41, 0x59, 0x02]);

export const APPLET_VERSION = 0x02;

/**
 * Class bytes (§4.7.1, §6.0.3). Only the basic logical channel is supported. `0C`/`8C` mark
 * secure messaging ("command header authenticated", SM bits b4 b3 = 11).
 */
export const CLA = {
  ISO: 0x00,
  ISO_SM: 0x0c,
  PROPRIETARY: 0x80,
  PROPRIETARY_SM: 0x8c,
  /** ISO 7816-4 command chaining bit: set on every command of a chain but the last. */
  CHAINING: 0x10,
  /** The SM indication bits b4 b3. */
  SM_BITS: 0x0c,
} as const;

/** Instruction bytes (§6 table). */
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
  GET_TRANSACTION: 0x5a,
  READ_IDENTITY: 0x5c,
  BLOCK_CARD: 0x5e,
  REGISTER_TERMINAL: 0x60,
  OPEN_SESSION: 0x62,
  INITIALIZE_PERSO: 0x70,
  EXTERNAL_AUTHENTICATE_PERSO: 0x72,
  STORE_DATA: 0xe2,
  GENERATE_KEY_PAIR: 0xe4,
  FINALIZE: 0xe6,
} as const;
export type InsName = keyof typeof INS;

/** The only accepted CLA of each instruction (plus the chaining bit where chainable). */
export const CLA_OF_INS: Readonly<Record<InsName, number>> = {
  SELECT: CLA.ISO,
  GET_CHALLENGE: CLA.ISO,
  GET_DATA: CLA.ISO,
  VERIFY_PIN: CLA.ISO_SM,
  CHANGE_PIN: CLA.ISO_SM,
  UNBLOCK_PIN: CLA.ISO_SM,
  READ_RECORD: CLA.ISO,
  READ_PURSE: CLA.PROPRIETARY,
  DEBIT: CLA.PROPRIETARY_SM,
  UNDEBIT: CLA.PROPRIETARY_SM,
  RELOAD: CLA.PROPRIETARY,
  GET_TRANSACTION: CLA.PROPRIETARY,
  READ_IDENTITY: CLA.PROPRIETARY_SM,
  BLOCK_CARD: CLA.PROPRIETARY_SM,
  REGISTER_TERMINAL: CLA.PROPRIETARY,
  OPEN_SESSION: CLA.PROPRIETARY,
  INITIALIZE_PERSO: CLA.PROPRIETARY,
  EXTERNAL_AUTHENTICATE_PERSO: CLA.PROPRIETARY_SM,
  STORE_DATA: CLA.PROPRIETARY_SM,
  GENERATE_KEY_PAIR: CLA.PROPRIETARY_SM,
  FINALIZE: CLA.PROPRIETARY_SM,
};

/** P1/P2 values. */
export const P1P2 = {
  SELECT_BY_NAME: 0x0400,
  GET_DATA_CARD_CERTIFICATE: 0x7f21,
  PIN_REFERENCE: 0x0081,
  READ_RECORD_P2: 0x04,
} as const;

/** Life-cycle states (§3). v1's TERMINATED (04) does not exist in v2: a card reporting it is invalid. */
export const LifeCycle = {
  PERSONALIZATION: 0x01,
  ACTIVE: 0x02,
  BLOCKED: 0x03,
} as const;
export type LifeCycleState = (typeof LifeCycle)[keyof typeof LifeCycle];

/** Terminal capabilities, a u16 bit mask in the terminal certificate (§4.3). */
export const Capability = {
  DEBIT: 0x0001,
  UNDEBIT: 0x0002,
  RELOAD: 0x0004,
  IDENTITY_READ: 0x0008,
  BLOCK: 0x0010,
  UNBLOCK_PIN: 0x0020,
} as const;
export type CapabilityName = keyof typeof Capability;
/** Undefined capability bits: a certificate with any of them set is invalid (9F04). */
export const CAPABILITY_UNDEFINED_BITS = 0xffc0;

/** Certificate types and version (§5). */
export const CertType = { CARD: 0x01, TERMINAL: 0x02 } as const;
export const CERT_VERSION = 0x02;

/** What a trusted public key stored on the card may be used for (§2.6). */
export const KeyUsage = {
  TERMINAL_CA: 0x01,
  LOAD_AUTHORITY: 0x02,
} as const;

/** Transaction record types (§2.7). */
export const TxType = { DEBIT: 0x01, UNDEBIT: 0x02, RELOAD: 0x03 } as const;
export type TxTypeCode = (typeof TxType)[keyof typeof TxType];

/** The record's cvm byte (§2.7). */
export const Cvm = { NONE: 0x00, PIN: 0x01 } as const;

/** Holder identity types (Huduma Namba). */
export const IdentityType = { CITIZEN_NATIONAL_ID: 0x01, ALIEN_ID: 0x02, ENTITY_REGISTRATION: 0x03 } as const;
export type IdentityTypeCode = (typeof IdentityType)[keyof typeof IdentityType];

/** Reasons for BLOCK CARD (informative byte). */
export const BlockReason = {
  DENY_LISTED: 0x01,
  LOST_OR_STOLEN: 0x02,
  FRAUD_SUSPECTED: 0x03,
  HOLDER_REQUEST: 0x04,
} as const;

/** Data objects written by STORE DATA (P1) during personalization (§7.4). */
export const StoreDataObject = {
  CARD_NUMBER: 0x01,
  IDENTITY: 0x02,
  PURSE_PARAMETERS: 0x03,
  PIN: 0x04,
  PUK: 0x05,
  TRUSTED_KEY: 0x06,
  CARD_CERTIFICATE: 0x07,
} as const;

/** GENERATE KEY PAIR P1 (§7.5). */
export const KeyKind = { SIGNING: 0x01, KEY_AGREEMENT: 0x02 } as const;
export type KeyKindCode = (typeof KeyKind)[keyof typeof KeyKind];

/** Session types = OPEN SESSION P1; PERSO is the `type` byte of the perso ctx (§4.5, §7.2). */
export const SessionType = { TAP: 0x00, SECURE: 0x01, PERSO: 0x02 } as const;
export type SessionTypeCode = (typeof SessionType)[keyof typeof SessionType];

/** DEBIT / UNDEBIT outcome codes (§6.8). */
export const Outcome = { EXECUTED: 0x01, ALREADY_APPLIED: 0x02, STALE: 0x03, REFUSED: 0x04 } as const;
export type OutcomeCode = (typeof Outcome)[keyof typeof Outcome];

/** GET TRANSACTION status codes (§6.12). */
export const TransactionStatus = { FOUND: 0x01, NOT_EXECUTED: 0x02, SYNCED: 0x03 } as const;
export type TransactionStatusCode = (typeof TransactionStatus)[keyof typeof TransactionStatus];

/** Crypto profile (FCI tag C5, §4.6.3): which ECDH output the card uses. */
export const CryptoProfile = { PLAIN_X: 0x00, SHA1_X: 0x01 } as const;
export type CryptoProfileCode = (typeof CryptoProfile)[keyof typeof CryptoProfile];

/** ISO 4217 numeric code of the Kenyan shilling written as BCD (404 → 04 04). */
export const CURRENCY_KES = 0x0404;

/** Fixed sizes in bytes. */
export const Size = {
  AID: 11,
  CARD_NUMBER: 8,
  TERMINAL_ID: 8,
  MERCHANT_ID: 8,
  KEY_ID: 8,
  CERT_ID: 8,
  PUBLIC_KEY: 65,
  SIGNATURE: 64,
  CHALLENGE: 16,
  NONCE: 8,
  BILL_REF: 16,
  DOMAIN: 16,
  PIN_BLOCK: 8,
  AES_KEY: 16,
  AES_BLOCK: 16,
  MAC: 8,
  SSC: 16,
  CRYPTOGRAM: 8,
  CHIP_SERIAL: 8,
  ATT_NONCE: 16,
  ATT_MAC: 16,
  CERTIFICATE_HEADER: 36,
  CARD_CERTIFICATE: 230,
  CARD_CERTIFICATE_TBS: 166,
  TERMINAL_CERTIFICATE: 165,
  TERMINAL_CERTIFICATE_TBS: 101,
  TRANSACTION_RECORD: 66,
  TRANSACTION_PROOF: 130,
  PURSE: 40,
  PURSE_PARAMETERS: 18,
  TRUSTED_KEY: 74,
  FCI: 96,
  DEBIT_REQUEST: 44,
  UNDEBIT_REQUEST: 26,
  VALUE_RESPONSE_HEAD: 11,
  VALUE_RESPONSE_WITH_PROOF: 141,
  BLOCK_REQUEST: 9,
  LOAD_AUTHORIZATION_TBS: 82,
  LOAD_AUTHORIZATION: 146,
  GET_TRANSACTION_REQUEST: 12,
  GET_TRANSACTION_RESPONSE: 207,
  GET_TRANSACTION_ATTESTED: 143,
  OPEN_SESSION_TAP: 24,
  OPEN_SESSION_SECURE: 89,
  INITIALIZE_PERSO_RESPONSE: 32,
  KEY_ATTESTATION_MESSAGE: 106,
  GENERATE_KEY_PAIR_RESPONSE: 145,
} as const;

/** Card-side limits. */
export const Limits = {
  PIN_TRIES: 3,
  PUK_TRIES: 10,
  PERSO_TRIES: 10,
  PIN_MIN_DIGITS: 4,
  PIN_MAX_DIGITS: 8,
  PUK_DIGITS: 8,
  /** Transaction ring entries (record + signature each); unsynced entries are never overwritten. */
  RING_SIZE: 32,
  TRUSTED_KEY_SLOTS: 4,
  /** Terminal registrations (link-key cache, LRU). */
  TERMINAL_SLOTS: 8,
  UNDEBIT_WINDOW_SECONDS: 900,
  /** Largest assembled command data of a chain. */
  CHAIN_BUFFER: 255,
  IDENTITY_MAX: 224,
  NAME_MAX: 64,
  ID_FIELD_MAX: 20,
  MAX_COUNTER: 0xffffffff,
} as const;

/**
 * Domain-separation tags (§4.9): 16 bytes, ASCII right-padded with 0x00, at the start of every
 * signed message and every KDF label.
 */
export const DomainTag = {
  CERTIFICATE: 'HUDUMA-CERT-v2',
  TRANSACTION: 'HUDUMA-TXN-v2',
  LOAD: 'HUDUMA-LOAD-v2',
  RECOVERY: 'HUDUMA-RCVR-v2',
  KEY_ATTESTATION: 'HUDUMA-KATT-v2',
  SALT: 'HUDUMA-SALT-v2',
  LINK: 'HUDUMA-LINK-v2',
  SENC: 'HUDUMA-SENC-v2',
  SMAC: 'HUDUMA-SMAC-v2',
  SRMAC: 'HUDUMA-SRMC-v2',
  CARD_CRYPTOGRAM: 'HUDUMA-CCRY-v2',
  HOST_CRYPTOGRAM: 'HUDUMA-HCRY-v2',
  PERSO_ENC: 'HUDUMA-PENC-v2',
  PERSO_MAC: 'HUDUMA-PMAC-v2',
  ATTESTATION_KEY: 'HUDUMA-PATT-v2',
} as const;

/** Status words (§12): the ISO 7816-4 ones the applet uses, then its own 9Fxx set. */
export const SW = {
  OK: 0x9000,
  CARD_BLOCKED_SELECTED: 0x6283,
  /** 63Cx: verification failed, x tries left (use `swWrongPin(x)`). */
  VERIFY_FAILED_BASE: 0x63c0,
  WRONG_LENGTH: 0x6700,
  LOGICAL_CHANNEL_NOT_SUPPORTED: 0x6881,
  LAST_COMMAND_OF_CHAIN_EXPECTED: 0x6883,
  CHAINING_NOT_SUPPORTED: 0x6884,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  SM_DATA_MISSING: 0x6987,
  SM_DATA_INCORRECT: 0x6988,
  WRONG_DATA: 0x6a80,
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
  CAPABILITY_MISSING: 0x9f06,
  UNDEBIT_REFUSED: 0x9f07,
  LOAD_AUTH_INVALID: 0x9f08,
  SEQUENCE_REUSED: 0x9f09,
  TERMINAL_CERT_EXPIRED: 0x9f0a,
  CARD_BLOCKED: 0x9f0b,
  COUNTER_EXHAUSTED: 0x9f0c,
  CVM_REQUIRED: 0x9f0e,
  STALE_COUNTER: 0x9f11,
  TERMINAL_NOT_REGISTERED: 0x9f12,
  SYNC_REQUIRED: 0x9f14,
  CURRENCY_MISMATCH: 0x9f15,
} as const;
export type SwName = keyof typeof SW;

/** 63Cx with x = tries left (0..15). */
export function swWrongPin(triesLeft: number): number {
  return SW.VERIFY_FAILED_BASE | (triesLeft & 0x0f);
}

/** Meaning of every status word of the applet (§12), for tables and error messages. */
export const STATUS_WORD_MEANINGS: ReadonlyArray<{ sw: number; name: string; meaning: string }> = [
  { sw: SW.OK, name: 'OK', meaning: 'command completed' },
  {
    sw: SW.CARD_BLOCKED_SELECTED,
    name: 'CARD_BLOCKED_SELECTED',
    meaning: 'applet selected, card is blocked',
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
    name: 'SECURITY_STATUS_NOT_SATISFIED',
    meaning: 'no current challenge, no session or the wrong session type, or a bad host cryptogram',
  },
  {
    sw: SW.AUTH_METHOD_BLOCKED,
    name: 'AUTH_METHOD_BLOCKED',
    meaning: 'PIN tries exhausted, PUK blocked, or personalization tries exhausted',
  },
  {
    sw: SW.CONDITIONS_NOT_SATISFIED,
    name: 'CONDITIONS_NOT_SATISFIED',
    meaning: 'not allowed in this life-cycle state, or personalization incomplete / out of order',
  },
  { sw: SW.SM_DATA_MISSING, name: 'SM_DATA_MISSING', meaning: 'the command requires secure messaging' },
  {
    sw: SW.SM_DATA_INCORRECT,
    name: 'SM_DATA_INCORRECT',
    meaning: 'the C-MAC did not verify; the session was destroyed',
  },
  { sw: SW.WRONG_DATA, name: 'WRONG_DATA', meaning: 'the data field is malformed or out of range' },
  { sw: SW.APPLET_NOT_FOUND, name: 'APPLET_NOT_FOUND', meaning: "SELECT data is not this applet's AID" },
  { sw: SW.RECORD_NOT_FOUND, name: 'RECORD_NOT_FOUND', meaning: 'no such transaction record' },
  { sw: SW.WRONG_P1P2, name: 'WRONG_P1P2', meaning: 'P1-P2 not valid for this instruction' },
  {
    sw: SW.REFERENCED_DATA_NOT_FOUND,
    name: 'REFERENCED_DATA_NOT_FOUND',
    meaning: 'unknown trusted key; no certificate / identity stored',
  },
  {
    sw: SW.INS_NOT_SUPPORTED,
    name: 'INS_NOT_SUPPORTED',
    meaning: 'instruction not supported for this class',
  },
  {
    sw: SW.CLA_NOT_SUPPORTED,
    name: 'CLA_NOT_SUPPORTED',
    meaning: 'class not supported, or SM bits on a command without SM',
  },
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
    meaning: 'offline spend limit reached: the card must go online',
  },
  {
    sw: SW.TERMINAL_CERT_INVALID,
    name: 'TERMINAL_CERT_INVALID',
    meaning: 'terminal certificate malformed or bad CA signature',
  },
  {
    sw: SW.CAPABILITY_MISSING,
    name: 'CAPABILITY_MISSING',
    meaning: "the terminal's registration does not grant this command",
  },
  {
    sw: SW.UNDEBIT_REFUSED,
    name: 'UNDEBIT_REFUSED',
    meaning: 'not the last debit, another terminal, other amount/currency, or outside the window',
  },
  {
    sw: SW.LOAD_AUTH_INVALID,
    name: 'LOAD_AUTH_INVALID',
    meaning: 'load authorization not for this card, counter or challenge, or bad signature',
  },
  {
    sw: SW.SEQUENCE_REUSED,
    name: 'SEQUENCE_REUSED',
    meaning: '(terminalId, terminalSeq) already used for a different request',
  },
  {
    sw: SW.TERMINAL_CERT_EXPIRED,
    name: 'TERMINAL_CERT_EXPIRED',
    meaning: 'terminal certificate (or registration) expired before lastTrustedTime',
  },
  { sw: SW.CARD_BLOCKED, name: 'CARD_BLOCKED', meaning: 'card is blocked' },
  {
    sw: SW.COUNTER_EXHAUSTED,
    name: 'COUNTER_EXHAUSTED',
    meaning: 'transaction counter exhausted: card must be replaced',
  },
  { sw: SW.CVM_REQUIRED, name: 'CVM_REQUIRED', meaning: 'the PIN must be verified in this session' },
  {
    sw: SW.STALE_COUNTER,
    name: 'STALE_COUNTER',
    meaning: 'expectedCounter is not the card counter; not executed, never will be',
  },
  {
    sw: SW.TERMINAL_NOT_REGISTERED,
    name: 'TERMINAL_NOT_REGISTERED',
    meaning: 'no valid registration for this termCertId: send REGISTER TERMINAL',
  },
  {
    sw: SW.SYNC_REQUIRED,
    name: 'SYNC_REQUIRED',
    meaning: '32 unsynced records: the card must go online (RELOAD, possibly of 0)',
  },
  {
    sw: SW.CURRENCY_MISMATCH,
    name: 'CURRENCY_MISMATCH',
    meaning: "the request's currency is not the purse's",
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
  CRYPTO_PROFILE: 0xc5,
  IDENTITY_TEMPLATE: 0xe1,
  ID_TYPE: 0x80,
  HUDUMA_NAMBA: 0x81,
  ID_NUMBER: 0x82,
  NAME: 0x83,
  NHIF: 0x84,
  NSSF: 0x85,
} as const;

/**
 * The simulator's latency model (ms per command, excluding transmission): rounded from the chip
 * C column of §9.3–9.5 (a mid-range 2017 chip), not a measurement of any card.
 */
export const TypicalCardTimeMs = {
  SELECT: 6,
  GET_CHALLENGE: 6,
  GET_DATA: 6,
  VERIFY_PIN: 55,
  CHANGE_PIN: 60,
  UNBLOCK_PIN: 60,
  READ_PURSE: 5,
  READ_RECORD: 6,
  /** One chained-command segment that only buffers data. */
  CHAIN_SEGMENT: 4,
  OPEN_SESSION_TAP: 41,
  OPEN_SESSION_SECURE: 196,
  REGISTER_TERMINAL: 330,
  DEBIT: 143,
  UNDEBIT: 143,
  RELOAD: 250,
  GET_TRANSACTION: 105,
  READ_IDENTITY: 30,
  BLOCK_CARD: 35,
  INITIALIZE_PERSO: 40,
  EXTERNAL_AUTHENTICATE_PERSO: 30,
  STORE_DATA: 25,
  GENERATE_KEY_PAIR: 440,
  FINALIZE: 30,
  /** Transmission at T=1, 115.2 kbit/s, per byte in either direction. */
  PER_BYTE: 0.09,
} as const;
