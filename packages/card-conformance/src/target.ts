/** What the suite runs against: a target's keys and how it hands out cards. */
import { publicKeyOf, signMessage, vectorPrivateKey } from '@huduma/card-applet-spec';
import type { CardTransport } from './raw';

/** Something that signs with a P-256 key (a DevPki role, an HSM, a software key). */
export interface ConformanceSigner {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** The per-chip install keys of §7.1 (what the issuer HSM derives from MK.perso / MK.att). */
export interface InstallKeys {
  persoEnc: Uint8Array;
  persoMac: Uint8Array;
  att: Uint8Array;
}

/**
 * The keys the card under test trusts. A `DevPki` satisfies this interface as it is. The issuer
 * CA signer and `installKeys` are needed only to personalize blank cards (§16.6); the issuer CA
 * public key verifies card certificates.
 */
export interface ConformanceKeys {
  readonly issuerCaPublicKey: Uint8Array;
  readonly issuerCa?: ConformanceSigner;
  readonly acquirerCa: ConformanceSigner;
  readonly loadAuthority: ConformanceSigner;
  installKeys?(chipSerial: Uint8Array): InstallKeys;
}

export function softwareSigner(privateKey: Uint8Array): ConformanceSigner {
  return { publicKey: publicKeyOf(privateKey), sign: async (m) => signMessage(privateKey, m) };
}

/** A card whose power the target can cut at a named tear point of §10.3 (§16.7). */
export interface TearableCard extends CardTransport {
  /** The next command that reaches `point` loses power there (no response). */
  armTear(point: string): void;
  /** Restores power (the card resets: RAM state is gone, transactions roll back). */
  powerUp(): Promise<void>;
}

/**
 * A card under test. `openCard` yields an ACTIVE card personalized with `keys`, its PIN and PUK
 * as given. When `freshCards` is true every call yields a NEW card (a simulator, a stack of test
 * cards); when false it yields the same card again (a real card in a reader), and the checks that
 * consume a card (exhaustion, BLOCK CARD, 32 unsynced transactions) are reported as not run.
 */
export interface ConformanceTarget {
  readonly name: string;
  readonly keys: ConformanceKeys;
  readonly pin: string;
  readonly puk: string;
  /** Whether the card holds a holder identity (READ IDENTITY expects it then, 6A88 otherwise). */
  readonly hasIdentity: boolean;
  readonly freshCards: boolean;
  openCard(): Promise<CardTransport>;
  /** A blank card in PERSONALIZATION, keyed by `keys.installKeys`, for the §16.6 checks. */
  openBlankCard?(): Promise<CardTransport>;
  /** An ACTIVE card with power control, for the §16.7 tear checks. */
  openTearableCard?(): Promise<TearableCard>;
  /** Releases the target (closes readers). */
  close?(): Promise<void>;
}

/** How the CLI builds a target from its arguments: `--sim` or `--reader NAME` (PC/SC). */
export type TargetFactory = (
  options: Record<string, string | boolean | undefined>,
) => Promise<ConformanceTarget>;

/**
 * The fixed test keys of the spec's vectors (§15 reuses the v1 labels), for real cards
 * personalized with them: SHA-256(label) reduced into [1, n-1].
 */
export function vectorConformanceKeys(): ConformanceKeys {
  const key = vectorPrivateKey;
  const issuer = key('huduma-v1-vector:issuer-ca');
  return {
    issuerCaPublicKey: publicKeyOf(issuer),
    issuerCa: softwareSigner(issuer),
    acquirerCa: softwareSigner(key('huduma-v1-vector:acquirer-ca')),
    loadAuthority: softwareSigner(key('huduma-v1-vector:load-authority')),
  };
}
