import {
  AID,
  type CardNumber,
  type Certificate,
  certificateSigningMessage,
  encodeCardNumber,
  encodeCertificate,
  encodeCertificateBody,
  encodeIdentity,
  encodePinBlock,
  encodePurseParameters,
  encodeTrustedKey,
  type HolderIdentity,
  KeyUsage,
  keyIdOf,
  type PurseParameters,
  publicKeyOf,
  StoreDataObject,
  signMessage,
  type UnsignedCertificate,
  VECTOR_INPUTS,
  vectorKeys,
} from '@huduma/card-applet-spec';
import { type CardTransport, RawCard, swHex } from './raw';

/** Something that signs with a P-256 key (a DevPki role, an HSM, a software key). */
export interface ConformanceSigner {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/**
 * The keys the card under test trusts. A `DevPki` satisfies this interface as it is. The issuer
 * CA signer is only needed to personalize blank cards (§7 checks); its public key verifies the
 * card certificate.
 */
export interface ConformanceKeys {
  readonly issuerCaPublicKey: Uint8Array;
  readonly issuerCa?: ConformanceSigner;
  readonly acquirerCa: ConformanceSigner;
  readonly loadAuthority: ConformanceSigner;
}

export function softwareSigner(privateKey: Uint8Array): ConformanceSigner {
  return { publicKey: publicKeyOf(privateKey), sign: async (m) => signMessage(privateKey, m) };
}

/** The vector keys of vectors/v1.json (for real cards personalized with them). */
export function vectorConformanceKeys(): ConformanceKeys {
  const k = vectorKeys();
  return {
    issuerCaPublicKey: k.issuerCa.publicKey,
    issuerCa: softwareSigner(k.issuerCa.privateKey),
    acquirerCa: softwareSigner(k.terminalCa.privateKey),
    loadAuthority: softwareSigner(k.loadAuthority.privateKey),
  };
}

/**
 * A card under test. `openCard` yields an ACTIVE card personalized with `keys`, its PIN and PUK
 * as given. When `freshCards` is true every call yields a NEW card (a simulator, a stack of test
 * cards); when false it yields the same card again (a real card in a reader), and the checks that
 * destroy a card (PIN and PUK exhaustion, BLOCK CARD) are reported as not run.
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
  /** A blank card in PERSONALIZATION, for the §7 checks; absent when the target cannot give one. */
  openBlankCard?(): Promise<CardTransport>;
  /** Releases the target (closes readers). */
  close?(): Promise<void>;
}

/** How the CLI builds a target from its arguments: `--sim` now, `--reader NAME` (PC/SC) later. */
export type TargetFactory = (
  options: Record<string, string | boolean | undefined>,
) => Promise<ConformanceTarget>;

export async function signCertificateWith(
  cert: UnsignedCertificate,
  ca: ConformanceSigner,
): Promise<Certificate> {
  const signature = await ca.sign(certificateSigningMessage(encodeCertificateBody(cert)));
  return { ...cert, signature } as Certificate;
}

export interface PersonalizationProfile {
  cardNumber: CardNumber;
  pin: string;
  puk: string;
  purse: PurseParameters;
  identity?: HolderIdentity;
  /** Card certificate validity (default: from a day ago for five years). */
  notBefore?: number;
  notAfter?: number;
}

export const CONFORMANCE_PROFILE: PersonalizationProfile = {
  cardNumber: VECTOR_INPUTS.cardNumber,
  pin: VECTOR_INPUTS.pin,
  puk: VECTOR_INPUTS.puk,
  purse: { ...VECTOR_INPUTS.purseParameters },
  identity: { ...VECTOR_INPUTS.identity },
};

/**
 * Personalizes a blank card with raw §7 commands (SELECT, STORE DATA, GENERATE KEY PAIR,
 * FINALIZE). Throws with the failing command's status word.
 */
export async function personalizeRaw(
  transport: CardTransport,
  keys: ConformanceKeys,
  profile: PersonalizationProfile,
): Promise<{ cardPublicKey: Uint8Array; certificate: Uint8Array }> {
  if (!keys.issuerCa) throw new Error('personalization needs the issuer CA signer (keys.issuerCa)');
  const card = new RawCard(transport);
  const step = async (what: string, p: Promise<{ sw: number; data: Uint8Array }>) => {
    const r = await p;
    if (r.sw !== 0x9000) throw new Error(`personalization: ${what} answered ${swHex(r.sw)}`);
    return r.data;
  };
  await step('SELECT', card.send(0x00, 0xa4, 0x04, 0x00, AID, 0));
  const store = (obj: number, data: Uint8Array, what: string) =>
    step(`STORE DATA ${what}`, card.send(0x80, 0xe2, obj, 0x00, data));
  await store(StoreDataObject.CARD_NUMBER, encodeCardNumber(profile.cardNumber), 'card number');
  if (profile.identity) await store(StoreDataObject.IDENTITY, encodeIdentity(profile.identity), 'identity');
  await store(StoreDataObject.PURSE_PARAMETERS, encodePurseParameters(profile.purse), 'purse parameters');
  await store(StoreDataObject.PIN, encodePinBlock(profile.pin), 'PIN');
  await store(StoreDataObject.PUK, encodePinBlock(profile.puk, 'PUK'), 'PUK');
  await store(
    StoreDataObject.TRUSTED_KEY,
    encodeTrustedKey({ usage: KeyUsage.TERMINAL_CA, publicKey: keys.acquirerCa.publicKey }),
    'trusted key (terminal CA)',
  );
  await store(
    StoreDataObject.TRUSTED_KEY,
    encodeTrustedKey({ usage: KeyUsage.LOAD_AUTHORITY, publicKey: keys.loadAuthority.publicKey }),
    'trusted key (load authority)',
  );
  const cardPublicKey = await step('GENERATE KEY PAIR', card.send(0x80, 0xe4, 0, 0, undefined, 0));
  const now = Math.floor(Date.now() / 1000);
  const cert = await signCertificateWith(
    {
      type: 'card',
      issuerKeyId: keyIdOf(keys.issuerCaPublicKey),
      cardNumber: profile.cardNumber,
      notBefore: profile.notBefore ?? now - 86_400,
      notAfter: profile.notAfter ?? now + 5 * 365 * 86_400,
      publicKey: cardPublicKey,
    },
    keys.issuerCa,
  );
  const certificate = encodeCertificate(cert);
  await store(StoreDataObject.CARD_CERTIFICATE, certificate, 'card certificate');
  await step('FINALIZE', card.send(0x80, 0xe6, 0, 0));
  return { cardPublicKey, certificate };
}
