import { type CommandApdu, type Transport, transceive } from '@huduma/apdu';
import {
  AID,
  bytesEqual,
  CLA_OF_INS,
  cardCryptogram,
  decodeInitializePersoResponse,
  decodeKeyAttestation,
  decodeSelectResponse,
  derivePersoSessionKeys,
  encodeCardNumber,
  encodeIdentity,
  encodePinBlock,
  encodePurseParameters,
  encodeTrustedKey,
  type HolderIdentity,
  hostCryptogram,
  INS,
  type KeyAttestation,
  KeyKind,
  type KeyKindCode,
  keyAttestationMessage,
  LifeCycle,
  macEqual,
  type PurseParameters,
  SessionType,
  type SignatureVerify,
  StoreDataObject,
  verifyCertificateBytes,
  verifyMessage,
} from '@huduma/card-applet-spec';
import { randomBytes } from '@noble/hashes/utils';
import { SecureSession, type SmCommand } from './session';

/** The steps of personalization, as named in errors. */
export type PersonalizationStep =
  | 'input'
  | 'SELECT'
  | 'INITIALIZE_PERSO'
  | 'EXTERNAL_AUTHENTICATE_PERSO'
  | 'STORE_CARD_NUMBER'
  | 'STORE_IDENTITY'
  | 'STORE_PURSE_PARAMETERS'
  | 'STORE_PIN'
  | 'STORE_PUK'
  | 'STORE_TRUSTED_KEY'
  | 'GENERATE_SIGNING_KEY'
  | 'GENERATE_KEY_AGREEMENT_KEY'
  | 'ISSUE_CERTIFICATE'
  | 'STORE_CARD_CERTIFICATE'
  | 'FINALIZE';

/**
 * Personalization failed at `step`. `sw` is the card's status word when the card refused;
 * codes: ERR_PERSONALIZATION_REFUSED (card SW), ERR_PERSONALIZATION_INPUT (bad arguments),
 * ERR_PERSONALIZATION_NOT_BLANK (card not in PERSONALIZATION), ERR_PERSONALIZATION_RESPONSE
 * (malformed answer), ERR_PERSONALIZATION_CARD_AUTH (the card cryptogram, an R-MAC or a key's
 * self-attestation did not verify: not the chip the perso keys belong to, or not genuine),
 * ERR_PERSONALIZATION_CERTIFICATE (the issuer refused to certify, or certified something else).
 */
export class PersonalizationError extends Error {
  override name = 'PersonalizationError';
  constructor(
    readonly code: string,
    readonly step: PersonalizationStep,
    message: string,
    readonly sw?: number,
    options?: { cause?: unknown },
  ) {
    super(`personalization step ${step}: ${message}`, options);
  }
}

/** The chip's personalization keys (§7.1), from the bureau's HSM, which holds MK.perso. */
export interface PersoKeys {
  persoEncKey: Uint8Array;
  persoMacKey: Uint8Array;
}

/**
 * The issuer side personalization talks to (SPEC-v2 §7): the bureau HSM's per-chip perso keys
 * and the issuer CA, which issues one attestation nonce per GENERATE KEY PAIR and certifies the
 * card only after verifying both key attestations (§7.6). `DevPki` from @huduma/pki provides
 * all three (`installKeys`, `attestationNonce`, `certifyCard`).
 */
export interface CardIssuer {
  persoKeys(chipSerial: Uint8Array): PersoKeys | Promise<PersoKeys>;
  attestationNonce(chipSerial: Uint8Array): Uint8Array | Promise<Uint8Array>;
  certifyCard(request: {
    chipSerial: Uint8Array;
    cardNumber: string;
    signingKey: KeyAttestation & { attNonce: Uint8Array };
    keyAgreementKey: KeyAttestation & { attNonce: Uint8Array };
  }): Promise<Uint8Array>;
}

export interface PersonalizeArgs {
  cardNumber: string;
  identity?: HolderIdentity;
  purse: PurseParameters;
  /** 4-8 digits. */
  pin: string;
  /** 8 digits. */
  puk: string;
  /** At most 4; the card needs at least one TERMINAL_CA and one LOAD_AUTHORITY key. */
  trustedKeys: ReadonlyArray<{ usage: number; publicKey: Uint8Array }>;
  issuer: CardIssuer;
  /** The issuer CA key the returned certificate must verify with. */
  issuerCaPublicKey: Uint8Array;
  verifySignature?: SignatureVerify;
}

export interface PersonalizeResult {
  chipSerial: Uint8Array;
  /** PK.card. */
  signingKey: Uint8Array;
  /** QA.card. */
  keyAgreementKey: Uint8Array;
  /** The 230-byte card certificate stored on the card. */
  certificate: Uint8Array;
}

const hex4 = (sw: number) => sw.toString(16).toUpperCase().padStart(4, '0');

function encodeInputs(args: PersonalizeArgs) {
  try {
    return {
      cardNumber: encodeCardNumber(args.cardNumber),
      identity: args.identity === undefined ? undefined : encodeIdentity(args.identity),
      purse: encodePurseParameters(args.purse),
      pin: encodePinBlock(args.pin, 'PIN'),
      puk: encodePinBlock(args.puk, 'PUK'),
      trustedKeys: args.trustedKeys.map((k) => encodeTrustedKey(k)),
    };
  } catch (err) {
    throw new PersonalizationError('ERR_PERSONALIZATION_INPUT', 'input', (err as Error).message, undefined, {
      cause: err,
    });
  }
}

async function plain(transport: Transport, step: PersonalizationStep, cmd: CommandApdu): Promise<Uint8Array> {
  const r = await transceive(transport, cmd);
  if (r.sw !== 0x9000) {
    throw new PersonalizationError('ERR_PERSONALIZATION_REFUSED', step, `card answered ${hex4(r.sw)}`, r.sw);
  }
  return r.data;
}

/**
 * Personalizes a blank card inside the issuer-authenticated PERSO session (SPEC-v2 §7):
 * SELECT, INITIALIZE PERSO (the card proves it holds this chip's perso keys), EXTERNAL
 * AUTHENTICATE PERSO (we prove it), STORE DATA of every object encrypted, GENERATE KEY PAIR
 * for the signing and key-agreement keys with issuer nonces (each attestation's self-signature
 * checked here; the issuer CA checks the K.att MACs in `certifyCard`), the certificate the
 * issuer returns checked against both keys, STORE DATA of it, FINALIZE. Inputs are checked
 * before the first APDU; any failure throws PersonalizationError naming the step.
 */
export async function personalizeCard(
  transport: Transport,
  args: PersonalizeArgs,
): Promise<PersonalizeResult> {
  const enc = encodeInputs(args);
  const verify = args.verifySignature ?? verifyMessage;
  const fciBytes = await plain(transport, 'SELECT', {
    cla: 0x00,
    ins: INS.SELECT,
    p1: 0x04,
    p2: 0x00,
    data: AID,
    le: 256,
  });
  let lifeCycle: number;
  try {
    lifeCycle = decodeSelectResponse(fciBytes).lifeCycle;
  } catch (err) {
    throw new PersonalizationError('ERR_PERSONALIZATION_RESPONSE', 'SELECT', 'malformed FCI', undefined, {
      cause: err,
    });
  }
  if (lifeCycle !== LifeCycle.PERSONALIZATION) {
    throw new PersonalizationError(
      'ERR_PERSONALIZATION_NOT_BLANK',
      'SELECT',
      `card is not in the PERSONALIZATION state (life cycle ${lifeCycle})`,
    );
  }

  const rndH = randomBytes(16);
  const initBytes = await plain(transport, 'INITIALIZE_PERSO', {
    cla: CLA_OF_INS.INITIALIZE_PERSO,
    ins: INS.INITIALIZE_PERSO,
    p1: 0,
    p2: 0,
    data: rndH,
    le: 256,
  });
  let init: ReturnType<typeof decodeInitializePersoResponse>;
  try {
    init = decodeInitializePersoResponse(initBytes);
  } catch (err) {
    throw new PersonalizationError(
      'ERR_PERSONALIZATION_RESPONSE',
      'INITIALIZE_PERSO',
      (err as Error).message,
      undefined,
      {
        cause: err,
      },
    );
  }
  const { chipSerial, rndC } = init;
  const keys = derivePersoSessionKeys({ ...(await args.issuer.persoKeys(chipSerial)), rndC, rndH });
  if (!macEqual(init.cardCryptogram, cardCryptogram(keys, rndC, rndH, SessionType.PERSO))) {
    throw new PersonalizationError(
      'ERR_PERSONALIZATION_CARD_AUTH',
      'INITIALIZE_PERSO',
      'the card cryptogram does not verify: the chip does not hold the perso keys derived for its serial',
    );
  }
  const session = new SecureSession('perso', keys);
  const sm = async (step: PersonalizationStep, cmd: SmCommand): Promise<Uint8Array> => {
    let r: { sw: number; payload: Uint8Array };
    try {
      r = await session.send(transport, cmd);
    } catch (err) {
      const sw = (err as { sw?: number }).sw;
      throw new PersonalizationError(
        sw === undefined ? 'ERR_PERSONALIZATION_CARD_AUTH' : 'ERR_PERSONALIZATION_REFUSED',
        step,
        (err as Error).message,
        sw,
        { cause: err },
      );
    }
    if (r.sw !== 0x9000) {
      throw new PersonalizationError(
        'ERR_PERSONALIZATION_REFUSED',
        step,
        `card answered ${hex4(r.sw)}`,
        r.sw,
      );
    }
    return r.payload;
  };

  await sm('EXTERNAL_AUTHENTICATE_PERSO', {
    name: 'EXTERNAL_AUTHENTICATE_PERSO',
    payload: hostCryptogram(keys, rndH, rndC),
  });
  const store = (step: PersonalizationStep, object: number, data: Uint8Array) =>
    sm(step, { name: 'STORE_DATA', p1: object, payload: data, encryptCommand: true });
  await store('STORE_CARD_NUMBER', StoreDataObject.CARD_NUMBER, enc.cardNumber);
  if (enc.identity) await store('STORE_IDENTITY', StoreDataObject.IDENTITY, enc.identity);
  await store('STORE_PURSE_PARAMETERS', StoreDataObject.PURSE_PARAMETERS, enc.purse);
  await store('STORE_PIN', StoreDataObject.PIN, enc.pin);
  await store('STORE_PUK', StoreDataObject.PUK, enc.puk);
  for (const key of enc.trustedKeys) await store('STORE_TRUSTED_KEY', StoreDataObject.TRUSTED_KEY, key);

  const generate = async (step: PersonalizationStep, kind: KeyKindCode, signer: Uint8Array | undefined) => {
    const attNonce = await args.issuer.attestationNonce(chipSerial);
    const payload = await sm(step, { name: 'GENERATE_KEY_PAIR', p1: kind, payload: attNonce });
    let att: KeyAttestation;
    try {
      att = decodeKeyAttestation(payload);
    } catch (err) {
      throw new PersonalizationError(
        'ERR_PERSONALIZATION_RESPONSE',
        step,
        (err as Error).message,
        undefined,
        {
          cause: err,
        },
      );
    }
    // Proof of possession: the signing key signs its own attestation, the key-agreement key's
    // attestation is signed with the signing key (§7.5). The K.att MAC is the issuer CA's to check.
    const m = keyAttestationMessage(chipSerial, kind, att.publicKey, attNonce);
    if (!verify(signer ?? att.publicKey, m, att.attSig)) {
      throw new PersonalizationError(
        'ERR_PERSONALIZATION_CARD_AUTH',
        step,
        'the key attestation signature does not verify',
      );
    }
    return { ...att, attNonce };
  };
  const signingKey = await generate('GENERATE_SIGNING_KEY', KeyKind.SIGNING, undefined);
  const keyAgreementKey = await generate(
    'GENERATE_KEY_AGREEMENT_KEY',
    KeyKind.KEY_AGREEMENT,
    signingKey.publicKey,
  );

  let certificate: Uint8Array;
  try {
    certificate = await args.issuer.certifyCard({
      chipSerial,
      cardNumber: args.cardNumber,
      signingKey,
      keyAgreementKey,
    });
  } catch (err) {
    throw new PersonalizationError(
      'ERR_PERSONALIZATION_CERTIFICATE',
      'ISSUE_CERTIFICATE',
      `the issuer did not certify the card: ${(err as Error).message}`,
      undefined,
      { cause: err },
    );
  }
  const cert = verifyCertificateBytes(certificate, args.issuerCaPublicKey, verify);
  if (
    cert?.type !== 'card' ||
    cert.cardNumber !== args.cardNumber ||
    !bytesEqual(cert.signingKey, signingKey.publicKey) ||
    !bytesEqual(cert.keyAgreementKey, keyAgreementKey.publicKey)
  ) {
    throw new PersonalizationError(
      'ERR_PERSONALIZATION_CERTIFICATE',
      'ISSUE_CERTIFICATE',
      'the issuer returned a certificate that is not for this card, its keys, or not signed by the issuer CA',
    );
  }
  await store('STORE_CARD_CERTIFICATE', StoreDataObject.CARD_CERTIFICATE, certificate);
  await sm('FINALIZE', { name: 'FINALIZE' });
  session.close();
  return {
    chipSerial,
    signingKey: signingKey.publicKey,
    keyAgreementKey: keyAgreementKey.publicKey,
    certificate,
  };
}
