/**
 * The fixed inputs of the v1 test vectors (vectors/v1.json): deterministic key pairs and the card
 * profile they describe. Part of the public API because the conformance suite
 * (@huduma/card-conformance) uses them as its default keys for real cards personalized with them.
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

export const VECTOR_KEY_LABELS = {
  issuerCa: 'huduma-v1-vector:issuer-ca',
  terminalCa: 'huduma-v1-vector:acquirer-ca',
  loadAuthority: 'huduma-v1-vector:load-authority',
  card: 'huduma-v1-vector:card',
  terminal: 'huduma-v1-vector:terminal',
} as const;

/** Fixed inputs of the vectors (also the conformance suite's default test profile). */
export const VECTOR_INPUTS = {
  cardNumber: cardNumberFromAccount('00012345678'),
  terminalId: 'TRM-0001',
  merchantId: 'ECITIZEN',
  agentTerminalId: 'AGT-0007',
  pin: '1234',
  puk: '12345678',
  purseParameters: { maxBalance: 10_000_000, offlineLimit: 2_000_000, cvmLimit: 500_000 },
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
