import { transceive } from '@huduma/apdu';
import {
  AID,
  CURRENCY_KES,
  cardNumberFromAccount,
  decodeSelectResponse,
  encodeCardNumber,
  encodeIdentity,
  encodePinBlock,
  encodePurseParameters,
  encodeTrustedKey,
  type HolderIdentity,
  IdentityType,
  INS,
  type PurseParameters,
  StoreDataObject,
} from '@huduma/card-applet-spec';
import type { DevPki } from '@huduma/pki';
import { RawTerminal } from './raw-terminal';
import { SimulatedReader, type SimulatedReaderOptions } from './reader';
import { SimulatedCard, type SimulatedCardOptions } from './simulated-card';

export const DEFAULT_PURSE: PurseParameters = {
  maxBalance: 10_000_000, // KES 100,000.00
  offlineLimit: 500_000, // KES 5,000.00
  cvmLimit: 100_000, // KES 1,000.00 per debit without the PIN
  noCvmLimit: 200_000, // KES 2,000.00 cumulative without the PIN
  currency: CURRENCY_KES,
};

export const DEFAULT_IDENTITY: HolderIdentity = {
  idType: IdentityType.CITIZEN_NATIONAL_ID,
  hudumaNamba: 'HN0012345678',
  idNumber: '12345678',
  name: 'Wanjiku Test',
};

function randomCardNumber(): string {
  const digits = crypto.getRandomValues(new Uint8Array(11));
  return cardNumberFromAccount(Array.from(digits, (d) => String(d % 10)).join(''));
}

export interface IssueTestCardOptions {
  pki: DevPki;
  /** Initial balance in cents, loaded with a RELOAD signed by the PKI's load authority (default 0: no reload). */
  balance?: number;
  cardNumber?: string;
  pin?: string;
  puk?: string;
  /** Holder identity; `null` stores none. */
  identity?: HolderIdentity | null;
  purse?: PurseParameters;
  /** Card file; in memory when absent. */
  path?: string;
  cardOptions?: SimulatedCardOptions;
  readerOptions?: SimulatedReaderOptions;
  /** Issuer time of the initial load (default now). */
  loadTime?: number;
  /** Start of the card certificate's validity, Unix seconds (default now): simulations set in the past. */
  notBefore?: number;
}

export interface TestCard {
  card: SimulatedCard;
  reader: SimulatedReader;
  cardNumber: string;
  pin: string;
  puk: string;
  /** PK.card (verifies proofs and attestations). */
  cardPublicKey: Uint8Array;
  /** QA.card (the terminal's side of K.link). */
  cardKeyAgreementKey: Uint8Array;
  certificate: Uint8Array;
}

/**
 * A personalized, ACTIVE card in a reader, in one call: the §7 personalization in raw commands
 * (install keys from `pki.installKeys`, attested key pairs certified by `pki.certifyCard`), then
 * `balance` loaded with a RELOAD signed by the load authority.
 */
export async function issueTestCard(opts: IssueTestCardOptions): Promise<TestCard> {
  const cardNumber = opts.cardNumber ?? randomCardNumber();
  const pin = opts.pin ?? '1234';
  const puk = opts.puk ?? '12345678';
  const chipSerial = crypto.getRandomValues(new Uint8Array(8));
  const keys = opts.pki.installKeys(chipSerial);
  const card = SimulatedCard.create(opts.path, {
    ...opts.cardOptions,
    install: { chipSerial, persoEncKey: keys.persoEnc, persoMacKey: keys.persoMac, attestationKey: keys.att },
  });
  const identity = opts.identity === undefined ? DEFAULT_IDENTITY : opts.identity;
  const objects: Array<readonly [number, Uint8Array]> = [
    [StoreDataObject.CARD_NUMBER, encodeCardNumber(cardNumber)],
    [StoreDataObject.PURSE_PARAMETERS, encodePurseParameters(opts.purse ?? DEFAULT_PURSE)],
    [StoreDataObject.PIN, encodePinBlock(pin)],
    [StoreDataObject.PUK, encodePinBlock(puk, 'PUK')],
    ...opts.pki.trustedKeysForCard().map((k) => [StoreDataObject.TRUSTED_KEY, encodeTrustedKey(k)] as const),
    ...(identity === null ? [] : [[StoreDataObject.IDENTITY, encodeIdentity(identity)] as const]),
  ];
  const t = new RawTerminal((apdu) => card.transmit(apdu));
  // The §7 flow by hand rather than RawTerminal.personalize: certifyCard is async (an HSM call).
  const session = t.openPersoSession(keys.persoEnc, keys.persoMac);
  for (const [obj, value] of objects)
    smOk(t.sm(session, 0x8c, INS.STORE_DATA, obj, 0, value, { encryptCommand: true }));
  const attested = [];
  for (const kind of [1, 2] as const) {
    const attNonce = opts.pki.attestationNonce(chipSerial);
    const a = t.sm(session, 0x8c, INS.GENERATE_KEY_PAIR, kind, 0, attNonce);
    smOk(a);
    const p = a.inner!.payload;
    attested.push({
      publicKey: p.slice(0, 65),
      attSig: p.slice(65, 129),
      attMac: p.slice(129, 145),
      attNonce,
    });
  }
  const [signing, keyAgreement] = attested as [(typeof attested)[0], (typeof attested)[0]];
  const certificate = await opts.pki.certifyCard({
    chipSerial,
    cardNumber,
    signingKey: signing,
    keyAgreementKey: keyAgreement,
    ...(opts.notBefore === undefined ? {} : { notBefore: opts.notBefore }),
  });
  smOk(
    t.sm(session, 0x8c, INS.STORE_DATA, StoreDataObject.CARD_CERTIFICATE, 0, certificate, {
      encryptCommand: true,
    }),
  );
  smOk(t.sm(session, 0x8c, INS.FINALIZE, 0, 0, new Uint8Array(0)));
  const reader = new SimulatedReader(opts.readerOptions);
  reader.insert(card);
  if (opts.balance !== undefined && opts.balance > 0) {
    await loadBalance(reader, opts.pki, cardNumber, opts.balance, opts.loadTime);
  }
  return {
    card,
    reader,
    cardNumber,
    pin,
    puk,
    cardPublicKey: signing.publicKey,
    cardKeyAgreementKey: keyAgreement.publicKey,
    certificate,
  };
}

function smOk(a: { sw: number; inner?: { sw: number } }): void {
  if (a.sw !== 0x9000 || a.inner?.sw !== 0x9000) {
    throw new Error(
      `personalization command answered ${a.sw.toString(16)}/${a.inner?.sw.toString(16) ?? '-'}`,
    );
  }
}

/** SELECT + RELOAD with a load authorization from `pki` (the dev stand-in for the clearing service). */
export async function loadBalance(
  reader: SimulatedReader,
  pki: DevPki,
  cardNumber: string,
  amount: number,
  time = Math.floor(Date.now() / 1000),
  terminalSeq = 1,
): Promise<Uint8Array> {
  const sel = await transceive(reader, {
    cla: 0x00,
    ins: INS.SELECT,
    p1: 0x04,
    p2: 0x00,
    data: AID,
    le: 256,
  });
  if (sel.sw !== 0x9000) throw new Error(`SELECT answered ${sel.sw.toString(16)}`);
  const fci = decodeSelectResponse(sel.data);
  const auth = await pki.authorizeLoad({
    cardNumber,
    cardCounter: fci.purse.counter,
    cardChallenge: fci.challenge,
    amount,
    currency: fci.purse.currency,
    time,
    terminalId: 'ISSUER',
    terminalSeq,
    terminalNonce: crypto.getRandomValues(new Uint8Array(8)),
    loadRef: 'DEV-LOAD',
  });
  const res = await transceive(reader, { cla: 0x80, ins: INS.RELOAD, p1: 0, p2: 0, data: auth, le: 256 });
  if (res.sw !== 0x9000) throw new Error(`RELOAD answered ${res.sw.toString(16)}`);
  return res.data;
}
