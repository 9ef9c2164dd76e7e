import {
  CLA,
  CURRENCY_KES,
  certificateSigningMessage,
  concatBytes,
  type DebitRequest,
  decodePurse,
  encodeCardNumber,
  encodeCertificate,
  encodeCertificateBody,
  encodeIdentity,
  encodeLoadAuthorization,
  encodePinBlock,
  encodePurseParameters,
  encodeTrustedKey,
  generatePrivateKey,
  type HolderIdentity,
  IdentityType,
  INS,
  KeyUsage,
  keyIdOf,
  type Purse,
  publicKeyOf,
  SessionType,
  StoreDataObject,
  SW,
  signCertificate,
  signLoadAuthorization,
  signMessage,
  vectorKeys,
} from '@huduma/card-applet-spec';
import {
  type CardState,
  encodeCardState,
  RawTerminal,
  randomInstallParameters,
  SimulatedCard,
  type TerminalIdentity,
  type TerminalSession,
} from '../src/index';

/** Fixed "now" of the fixtures: 2026-01-01T00:00:00Z. */
export const NOW = 1_767_225_600;
export const CARD_NUMBER = '8404000123456787';
export const PIN = '1234';
export const PUK = '12345678';
export const PURSE = {
  maxBalance: 10_000_000,
  offlineLimit: 2_000_000,
  cvmLimit: 500_000,
  noCvmLimit: 1_000_000,
  currency: CURRENCY_KES,
};
export const IDENTITY: HolderIdentity = {
  idType: IdentityType.CITIZEN_NATIONAL_ID,
  hudumaNamba: 'HN-0034567812',
  idNumber: '34567812',
  name: 'Wanjiru Njoroge Müller',
};

const K = vectorKeys();
export const KEYS = K;

/** A terminal with its own QT key, certified by the acquirer CA (the card's TERMINAL_CA). */
export function makeTerminal(
  terminalId = 'TRM-0001',
  capabilities = 0x003f,
  validity: { notBefore?: number; notAfter?: number } = {},
): TerminalIdentity & { terminalId: string; seq: number } {
  const privateKey = generatePrivateKey();
  const cert = signCertificate(
    {
      type: 'terminal',
      issuerKeyId: keyIdOf(K.terminalCa.publicKey),
      terminalId,
      merchantId: 'MERCHANT',
      capabilities,
      notBefore: validity.notBefore ?? NOW - 86_400,
      notAfter: validity.notAfter ?? NOW + 365 * 86_400,
      keyAgreementKey: publicKeyOf(privateKey),
    },
    K.terminalCa.privateKey,
  );
  return { certificate: encodeCertificate(cert), privateKey, terminalId, seq: 0 };
}

/** A CA-signed terminal certificate over arbitrary TBS bytes (for malformed-certificate tests). */
export function signTerminalTbs(tbs: Uint8Array): Uint8Array {
  return concatBytes(tbs, signMessage(K.terminalCa.privateKey, certificateSigningMessage(tbs)));
}

export { encodeCertificateBody };

export interface Fixture {
  card: SimulatedCard;
  t: RawTerminal;
  cardNumber: string;
  certificate: Uint8Array;
  signingKey: Uint8Array;
  qaCard: Uint8Array;
  install: ReturnType<typeof randomInstallParameters>;
}

/** A blank card (PERSONALIZATION) and a raw terminal on it. */
export function blankCard(): Fixture & { install: ReturnType<typeof randomInstallParameters> } {
  const install = randomInstallParameters();
  const card = SimulatedCard.create(undefined, { install });
  const t = new RawTerminal((a) => card.transmit(a));
  return {
    card,
    t,
    cardNumber: CARD_NUMBER,
    certificate: new Uint8Array(),
    signingKey: new Uint8Array(),
    qaCard: new Uint8Array(),
    install,
  };
}

export function persoObjects(): Array<readonly [number, Uint8Array]> {
  return [
    [StoreDataObject.CARD_NUMBER, encodeCardNumber(CARD_NUMBER)],
    [StoreDataObject.PURSE_PARAMETERS, encodePurseParameters(PURSE)],
    [StoreDataObject.PIN, encodePinBlock(PIN)],
    [StoreDataObject.PUK, encodePinBlock(PUK, 'PUK')],
    [
      StoreDataObject.TRUSTED_KEY,
      encodeTrustedKey({ usage: KeyUsage.TERMINAL_CA, publicKey: K.terminalCa.publicKey }),
    ],
    [
      StoreDataObject.TRUSTED_KEY,
      encodeTrustedKey({ usage: KeyUsage.LOAD_AUTHORITY, publicKey: K.loadAuthority.publicKey }),
    ],
    [StoreDataObject.IDENTITY, encodeIdentity(IDENTITY)],
  ];
}

/** The issuer CA signing a card certificate for two public keys (no attestation check: fixture). */
export function certifyCard(
  signingKey: Uint8Array,
  keyAgreementKey: Uint8Array,
  notBefore = NOW - 86_400,
): Uint8Array {
  return encodeCertificate(
    signCertificate(
      {
        type: 'card',
        issuerKeyId: keyIdOf(K.issuerCa.publicKey),
        cardNumber: CARD_NUMBER,
        notBefore,
        notAfter: NOW + 5 * 365 * 86_400,
        signingKey,
        keyAgreementKey,
      },
      K.issuerCa.privateKey,
    ),
  );
}

/** A personalized ACTIVE card (balance 0, counter 0). */
export function activeCard(): Fixture {
  const fx = blankCard();
  const out = fx.t.personalize({
    persoEncKey: fx.install.persoEncKey,
    persoMacKey: fx.install.persoMacKey,
    objects: persoObjects(),
    certify: (s, k) => certifyCard(s.publicKey, k.publicKey),
  });
  return { ...fx, certificate: out.certificate, signingKey: out.signingKey, qaCard: out.keyAgreementKey };
}

let loadSeq = 1;

/** A load authorization for the card's current counter and challenge (SELECT first if `select`). */
export function loadAuthorization(
  fx: Fixture,
  amount: number,
  opts: {
    time?: number;
    currency?: number;
    challenge?: Uint8Array;
    counter?: number;
    cardNumber?: string;
  } = {},
): Uint8Array {
  const purse = decodePurse(fx.t.readPurse().data);
  return encodeLoadAuthorization(
    signLoadAuthorization(
      {
        keyId: keyIdOf(K.loadAuthority.publicKey),
        cardNumber: opts.cardNumber ?? fx.cardNumber,
        cardCounter: opts.counter ?? purse.counter,
        cardChallenge: opts.challenge ?? new Uint8Array(16),
        amount,
        currency: opts.currency ?? CURRENCY_KES,
        time: opts.time ?? NOW,
        terminalId: 'AGT-0007',
        terminalSeq: loadSeq++,
        terminalNonce: crypto.getRandomValues(new Uint8Array(8)),
        loadRef: 'MPESA-TEST',
      },
      K.loadAuthority.privateKey,
    ),
  );
}

/** GET CHALLENGE + RELOAD of `amount`; returns the SW. */
export function reload(fx: Fixture, amount: number, time = NOW): number {
  const ch = fx.t.getChallenge();
  return fx.t.reload(loadAuthorization(fx, amount, { challenge: ch.data, time })).sw;
}

/** SELECT, then OPEN SESSION (registering first when the card answers 9F12). */
export function open(
  fx: Fixture,
  term: TerminalIdentity,
  type: 0 | 1 = SessionType.TAP,
): { sw: number; session?: TerminalSession; purse?: Purse } {
  const sel = fx.t.select();
  const card = { cardNumber: fx.cardNumber, keyAgreementKey: fx.qaCard, challenge: sel.fci!.challenge };
  let r = fx.t.openSession(term, card, type);
  if (r.sw === SW.TERMINAL_NOT_REGISTERED) {
    const reg = fx.t.register(term);
    if (reg.sw !== SW.OK) return { sw: reg.sw };
    r = fx.t.openSession(term, card, type);
  }
  return { ...r, purse: sel.fci!.purse };
}

export function debitRequest(
  term: { seq: number },
  expectedCounter: number,
  amount: number,
  over: Partial<DebitRequest> = {},
): DebitRequest {
  term.seq += 1;
  return {
    expectedCounter,
    amount,
    currency: CURRENCY_KES,
    terminalSeq: term.seq,
    terminalNonce: crypto.getRandomValues(new Uint8Array(8)),
    time: NOW + 60,
    billRef: 'BILL-1',
    serviceCode: 0x0101,
    ...over,
  };
}

export function purse(fx: Fixture): Purse {
  return decodePurse(fx.t.readPurse().data);
}

/** A copy of the card with its persisted state edited (e.g. counter near exhaustion). */
export function withState(fx: Fixture, edit: (s: CardState) => void): Fixture {
  const s = fx.card.persistedState();
  edit(s);
  const card = SimulatedCard.fromImage(encodeCardState(s));
  return { ...fx, card, t: new RawTerminal((a) => card.transmit(a)) };
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
export { CLA, INS };
