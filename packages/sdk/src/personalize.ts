import { type CommandApdu, type Transport, transceive } from '@huduma/apdu';
import {
  AID,
  CLA_OF_INS,
  decodeSelectResponse,
  encodeCardNumber,
  encodeIdentity,
  encodePinBlock,
  encodePurseParameters,
  encodeTrustedKey,
  type HolderIdentity,
  INS,
  LifeCycle,
  type PurseParameters,
  Size,
  StoreDataObject,
} from '@huduma/card-applet-spec';

/** The steps of personalization, as named in errors. */
export type PersonalizationStep =
  | 'input'
  | 'SELECT'
  | 'GENERATE_KEY_PAIR'
  | 'STORE_CARD_NUMBER'
  | 'STORE_IDENTITY'
  | 'STORE_PURSE_PARAMETERS'
  | 'STORE_PIN'
  | 'STORE_PUK'
  | 'STORE_TRUSTED_KEY'
  | 'ISSUE_CERTIFICATE'
  | 'STORE_CARD_CERTIFICATE'
  | 'FINALIZE';

/**
 * Personalization failed at `step`. `sw` is the card's status word when the card refused;
 * codes: ERR_PERSONALIZATION_REFUSED (card SW), ERR_PERSONALIZATION_INPUT (bad arguments),
 * ERR_PERSONALIZATION_NOT_BLANK (card not in PERSONALIZATION), ERR_PERSONALIZATION_RESPONSE
 * (malformed answer), ERR_PERSONALIZATION_CERTIFICATE (the issueCertificate callback failed).
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
  /** Signs the card certificate for the key the card generated (issuer CA, e.g. DevPki.issueCardCertificate). */
  issueCertificate: (cardPublicKey: Uint8Array, cardNumber: string) => Promise<Uint8Array>;
}

export interface PersonalizeResult {
  cardPublicKey: Uint8Array;
  certificate: Uint8Array;
}

const hex4 = (sw: number) => sw.toString(16).toUpperCase().padStart(4, '0');

function command(
  name: keyof typeof INS,
  p1: number,
  p2: number,
  data?: Uint8Array,
  le?: number,
): CommandApdu {
  const cmd: CommandApdu = { cla: CLA_OF_INS[name], ins: INS[name], p1, p2 };
  if (data && data.length > 0) cmd.data = data;
  if (le !== undefined) cmd.le = le;
  return cmd;
}

async function step(transport: Transport, name: PersonalizationStep, cmd: CommandApdu): Promise<Uint8Array> {
  const res = await transceive(transport, cmd);
  if (res.sw !== 0x9000) {
    throw new PersonalizationError(
      'ERR_PERSONALIZATION_REFUSED',
      name,
      `card answered ${hex4(res.sw)}`,
      res.sw,
    );
  }
  return res.data;
}

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

/**
 * Personalizes a blank card: SELECT, GENERATE KEY PAIR, STORE DATA for every object, the card
 * certificate signed through `issueCertificate`, FINALIZE. Each step must answer 9000; anything
 * else throws PersonalizationError naming the step. Inputs are checked before the first APDU.
 */
export async function personalizeCard(
  transport: Transport,
  args: PersonalizeArgs,
): Promise<PersonalizeResult> {
  const enc = encodeInputs(args);
  const fciBytes = await step(transport, 'SELECT', command('SELECT', 0x04, 0x00, AID, 256));
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
  const cardPublicKey = await step(
    transport,
    'GENERATE_KEY_PAIR',
    command('GENERATE_KEY_PAIR', 0, 0, undefined, Size.PUBLIC_KEY),
  );
  if (cardPublicKey.length !== Size.PUBLIC_KEY || cardPublicKey[0] !== 0x04) {
    throw new PersonalizationError(
      'ERR_PERSONALIZATION_RESPONSE',
      'GENERATE_KEY_PAIR',
      `expected a 65-byte uncompressed public key, got ${cardPublicKey.length} bytes`,
    );
  }
  const store = (name: PersonalizationStep, object: number, data: Uint8Array) =>
    step(transport, name, command('STORE_DATA', object, 0x00, data));
  await store('STORE_CARD_NUMBER', StoreDataObject.CARD_NUMBER, enc.cardNumber);
  if (enc.identity) await store('STORE_IDENTITY', StoreDataObject.IDENTITY, enc.identity);
  await store('STORE_PURSE_PARAMETERS', StoreDataObject.PURSE_PARAMETERS, enc.purse);
  await store('STORE_PIN', StoreDataObject.PIN, enc.pin);
  await store('STORE_PUK', StoreDataObject.PUK, enc.puk);
  for (const key of enc.trustedKeys) await store('STORE_TRUSTED_KEY', StoreDataObject.TRUSTED_KEY, key);
  let certificate: Uint8Array;
  try {
    certificate = await args.issueCertificate(cardPublicKey.slice(), args.cardNumber);
  } catch (err) {
    throw new PersonalizationError(
      'ERR_PERSONALIZATION_CERTIFICATE',
      'ISSUE_CERTIFICATE',
      `issueCertificate failed: ${(err as Error).message}`,
      undefined,
      { cause: err },
    );
  }
  await store('STORE_CARD_CERTIFICATE', StoreDataObject.CARD_CERTIFICATE, certificate);
  await step(transport, 'FINALIZE', command('FINALIZE', 0, 0));
  return { cardPublicKey, certificate };
}
