/**
 * The fixed inputs of the v2 test vectors (vectors/v2.json): deterministic keys and the card
 * profile they describe. Part of the public API because the conformance suite
 * (@huduma/card-conformance) uses them as its default keys for real cards personalized with them.
 * The P-256 key labels keep their v1 names: SPEC.md §15 reuses those keys.
 */
import { p256 } from '@noble/curves/p256';
import { fromHex, toHex } from './bytes';
import { cardNumberFromAccount } from './card-number';
import { IdentityType } from './constants';
import { publicKeyOf, sha256 } from './crypto';

/** A deterministic private key: SHA-256(label) reduced into [1, n-1]. */
export function vectorPrivateKey(label: string): Uint8Array {
  const n = p256.CURVE.n;
  const digest = BigInt(`0x${toHex(sha256(new TextEncoder().encode(label)))}`);
  const scalar = (digest % (n - 1n)) + 1n;
  return fromHex(scalar.toString(16).padStart(64, '0'));
}

/** A raw 32-byte value SHA-256(label), as §15 defines KA.card, RND.T and the symmetric masters. */
export function vectorRawKey(label: string, length = 32): Uint8Array {
  return sha256(new TextEncoder().encode(label)).slice(0, length);
}

export const VECTOR_KEY_LABELS = {
  issuerCa: 'huduma-v1-vector:issuer-ca',
  terminalCa: 'huduma-v1-vector:acquirer-ca',
  loadAuthority: 'huduma-v1-vector:load-authority',
  card: 'huduma-v1-vector:card',
  /** The terminal's static key-agreement key QT (§15 reuses the v1 terminal key). */
  terminal: 'huduma-v1-vector:terminal',
} as const;

/** Labels of the raw-hash inputs of §15 (SHA-256(label), truncated where noted). */
export const VECTOR_RAW_LABELS = {
  /** KA.card = SHA-256(label), 32 bytes (§15). */
  cardKeyAgreement: 'huduma-v2-vector:card-ka',
  /** RND.T = SHA-256(label)[0..15] (§15). */
  rndT: 'huduma-v2-vector:rnd-t',
  /** MK.perso and MK.att = SHA-256(label)[0..15] (vectors only; production masters live in the HSM). */
  persoMaster: 'huduma-v2-vector:mk-perso',
  attestationMaster: 'huduma-v2-vector:mk-att',
} as const;

/** Fixed inputs of the vectors (also the conformance suite's default test profile). */
export const VECTOR_INPUTS = {
  cardNumber: cardNumberFromAccount('00012345678'),
  terminalId: 'TRM-0001',
  merchantId: 'ECITIZEN',
  agentTerminalId: 'AGT-0007',
  pin: '1234',
  puk: '12345678',
  purseParameters: {
    maxBalance: 10_000_000,
    offlineLimit: 2_000_000,
    cvmLimit: 500_000,
    noCvmLimit: 1_000_000,
    currency: 0x0404,
  },
  /** The §15 debit: KES 150.00 for bill ECZ-2025-000123, service 0101, seq 42, after a KES 500.00 reload. */
  chipSerial: '4790503300000042',
  example: {
    reloadAmount: 50_000,
    rndC: '2054AA22C5674816C296ED696AC43A1A',
    debit: {
      expectedCounter: 1,
      amount: 15_000,
      currency: 0x0404,
      terminalSeq: 42,
      terminalNonce: '8309A1D5F11BC296',
      time: 0x684ee3d8,
      billRef: 'ECZ-2025-000123',
      serviceCode: 0x0101,
    },
    terminalCapabilities: 0x000b,
  },
  cardNotBefore: 1_735_689_600, // 2025-01-01T00:00:00Z
  cardNotAfter: 1_893_456_000, // 2030-01-01T00:00:00Z
  terminalNotBefore: 1_735_689_600,
  terminalNotAfter: 1_798_761_600, // 2027-01-01T00:00:00Z
  identity: {
    idType: IdentityType.CITIZEN_NATIONAL_ID,
    hudumaNamba: 'HN-0034567812',
    idNumber: '34567812',
    name: 'Wanjiru Njoroge Müller',
    nhifNumber: 'NHIF-7781234',
    nssfNumber: 'NSSF-2219876',
  },
} as const;

export function vectorKeys(): Record<
  keyof typeof VECTOR_KEY_LABELS,
  { privateKey: Uint8Array; publicKey: Uint8Array }
> {
  const out = {} as Record<keyof typeof VECTOR_KEY_LABELS, { privateKey: Uint8Array; publicKey: Uint8Array }>;
  for (const [name, label] of Object.entries(VECTOR_KEY_LABELS) as Array<
    [keyof typeof VECTOR_KEY_LABELS, string]
  >) {
    const privateKey = vectorPrivateKey(label);
    out[name] = { privateKey, publicKey: publicKeyOf(privateKey) };
  }
  return out;
}
