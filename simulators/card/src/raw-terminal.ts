import { chainCommand, decodeResponse, encodeCommand } from '@huduma/apdu';
import {
  AID,
  CLA,
  cardCryptogram,
  certificateIdOf,
  type DebitRequest,
  decodeCertificate,
  decodeKeyAttestation,
  decodeSelectResponse,
  decodeValueResponse,
  deriveLinkKey,
  derivePersoSessionKeys,
  deriveSessionKeys,
  ecdh,
  encodeCardNumber,
  encodeDebitRequest,
  encodeGetTransactionRequest,
  encodeOpenSessionRequest,
  encodeUndebitRequest,
  generatePrivateKey,
  hostCryptogram,
  INS,
  type KeyAttestation,
  type KeyKindCode,
  macEqual,
  publicKeyOf,
  type SelectResponse,
  type SessionKeys,
  SessionType,
  SW,
  type UndebitRequest,
  unwrapResponse,
  type ValueResponse,
  wrapCommand,
} from '@huduma/card-applet-spec';

/** A synchronous APDU exchange (SimulatedCard.transmit). */
export type Transmit = (apdu: Uint8Array) => Uint8Array;

export interface Answer {
  sw: number;
  data: Uint8Array;
}

/** A terminal's identity as the card sees it: its certificate and the private key of QT. */
export interface TerminalIdentity {
  certificate: Uint8Array;
  privateKey: Uint8Array;
}

/** A session as the terminal holds it (§4.5): keys and its copy of the SSC. */
export interface TerminalSession {
  type: number;
  keys: SessionKeys;
  ssc: number;
}

/** The answer of an SM command: the plain SW and, under a verified R-MAC, the inner SW and payload. */
export interface SmAnswer {
  sw: number;
  inner?: { sw: number; payload: Uint8Array };
}

/**
 * A minimal terminal that speaks v2 in raw APDUs built with the spec codecs: for simulator tests,
 * personalization of test cards and tools, with no dependency on @huduma/sdk. It checks the card
 * cryptogram and every R-MAC (an R-MAC failure throws).
 */
export class RawTerminal {
  constructor(readonly transmit: Transmit) {}

  /** One command, chained at 255 bytes when longer (each segment's SW is checked). */
  send(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, segment = 255): Answer {
    const cmd = { cla, ins, p1, p2, ...(data && data.length > 0 ? { data } : {}) };
    let last: Answer = { sw: 0, data: new Uint8Array() };
    for (const part of chainCommand(cmd, segment)) {
      const res = decodeResponse(this.transmit(encodeCommand(part)));
      last = { sw: res.sw, data: res.data };
      if (res.sw !== SW.OK && res.sw !== SW.CARD_BLOCKED_SELECTED) return last;
    }
    return last;
  }

  select(): Answer & { fci?: SelectResponse } {
    const a = this.send(CLA.ISO, INS.SELECT, 0x04, 0x00, AID);
    return a.sw === SW.OK || a.sw === SW.CARD_BLOCKED_SELECTED
      ? { ...a, fci: decodeSelectResponse(a.data) }
      : a;
  }

  getChallenge(): Answer {
    return this.send(CLA.ISO, INS.GET_CHALLENGE, 0, 0);
  }

  readPurse(): Answer {
    return this.send(CLA.PROPRIETARY, INS.READ_PURSE, 0, 0);
  }

  register(terminal: TerminalIdentity, segment = 255): Answer {
    return this.send(CLA.PROPRIETARY, INS.REGISTER_TERMINAL, 0, 0, terminal.certificate, segment);
  }

  /**
   * OPEN SESSION with the challenge the card holds (from SELECT or GET CHALLENGE); the terminal
   * derives K.link from its private key and QA.card. Returns the session, or the failing SW.
   */
  openSession(
    terminal: TerminalIdentity,
    card: { cardNumber: string; keyAgreementKey: Uint8Array; challenge: Uint8Array },
    type: 0 | 1 = SessionType.TAP,
    rndT: Uint8Array = crypto.getRandomValues(new Uint8Array(16)),
  ): { sw: number; session?: TerminalSession } {
    const termCertId = certId(terminal.certificate);
    let ephemeral: Uint8Array | undefined;
    if (type === SessionType.SECURE) ephemeral = generatePrivateKey();
    const data = encodeOpenSessionRequest({
      termCertId,
      rndT,
      ...(ephemeral ? { ephemeralKey: publicKeyOf(ephemeral) } : {}),
    });
    const a = this.send(CLA.PROPRIETARY, INS.OPEN_SESSION, type, 0, data);
    if (a.sw !== SW.OK) return { sw: a.sw };
    const linkKey = terminalLinkKey(terminal, card.cardNumber, card.keyAgreementKey);
    const keys = ephemeral
      ? deriveSessionKeys({
          linkKey,
          type: SessionType.SECURE,
          rndC: card.challenge,
          rndT,
          ze: ecdh(ephemeral, card.keyAgreementKey),
        })
      : deriveSessionKeys({ linkKey, type: SessionType.TAP, rndC: card.challenge, rndT });
    if (!macEqual(a.data, cardCryptogram(keys, card.challenge, rndT, type))) {
      throw new Error('card cryptogram does not verify: not the genuine card');
    }
    return { sw: a.sw, session: { type, keys, ssc: 0 } };
  }

  /** An SM command in `session` (§4.7): SSC += 1, wrap, send, verify the R-MAC. */
  sm(
    session: TerminalSession,
    cla: number,
    ins: number,
    p1: number,
    p2: number,
    payload: Uint8Array,
    opts: { encryptCommand?: boolean; encryptResponse?: boolean } = {},
  ): SmAnswer {
    session.ssc += 1;
    const data = wrapCommand(
      session.keys,
      session.ssc,
      { cla, ins, p1, p2 },
      payload,
      opts.encryptCommand ?? false,
    );
    const a = this.send(cla, ins, p1, p2, data);
    if (a.sw !== SW.OK) return { sw: a.sw };
    return {
      sw: a.sw,
      inner: unwrapResponse(session.keys, session.ssc, a.data, opts.encryptResponse ?? false),
    };
  }

  debit(
    session: TerminalSession,
    req: DebitRequest,
  ): { sw: number; innerSw?: number; outcome?: ValueResponse } {
    const a = this.sm(session, CLA.PROPRIETARY_SM, INS.DEBIT, 0, 0, encodeDebitRequest(req));
    if (!a.inner) return { sw: a.sw };
    if (a.inner.sw !== SW.OK) return { sw: a.sw, innerSw: a.inner.sw };
    return { sw: a.sw, innerSw: a.inner.sw, outcome: decodeValueResponse(a.inner.payload) };
  }

  undebit(
    session: TerminalSession,
    req: UndebitRequest,
  ): { sw: number; innerSw?: number; outcome?: ValueResponse } {
    const a = this.sm(session, CLA.PROPRIETARY_SM, INS.UNDEBIT, 0, 0, encodeUndebitRequest(req));
    if (!a.inner) return { sw: a.sw };
    if (a.inner.sw !== SW.OK) return { sw: a.sw, innerSw: a.inner.sw };
    return { sw: a.sw, innerSw: a.inner.sw, outcome: decodeValueResponse(a.inner.payload) };
  }

  verifyPin(session: TerminalSession, pinBlock?: Uint8Array): SmAnswer {
    return this.sm(session, CLA.ISO_SM, INS.VERIFY_PIN, 0x00, 0x81, pinBlock ?? new Uint8Array(0), {
      encryptCommand: pinBlock !== undefined,
    });
  }

  getTransaction(
    counter: number,
    nonce = crypto.getRandomValues(new Uint8Array(8)),
  ): Answer & { request: Uint8Array } {
    const request = encodeGetTransactionRequest({ counter, terminalNonce: nonce });
    return { ...this.send(CLA.PROPRIETARY, INS.GET_TRANSACTION, 0, 0, request), request };
  }

  reload(authorization: Uint8Array, segment = 255): Answer {
    return this.send(CLA.PROPRIETARY, INS.RELOAD, 0, 0, authorization, segment);
  }

  readRecord(n: number): Answer {
    return this.send(CLA.ISO, INS.READ_RECORD, n, 0x04);
  }

  /**
   * The personalization of §7 in raw commands: INITIALIZE + EXTERNAL AUTHENTICATE PERSO, the
   * objects, both key pairs with their attestations, the certificate `certify` returns, FINALIZE.
   */
  personalize(p: PersonalizationPlan): {
    signingKey: Uint8Array;
    keyAgreementKey: Uint8Array;
    certificate: Uint8Array;
  } {
    const session = this.openPersoSession(p.persoEncKey, p.persoMacKey);
    const store = (obj: number, value: Uint8Array) => {
      const a = this.sm(session, CLA.PROPRIETARY_SM, INS.STORE_DATA, obj, 0, value, { encryptCommand: true });
      expectInner(a, `STORE DATA ${obj}`);
    };
    for (const [obj, value] of p.objects) store(obj, value);
    const generate = (kind: KeyKindCode): KeyAttestation & { attNonce: Uint8Array } => {
      const attNonce = p.attestationNonce?.() ?? crypto.getRandomValues(new Uint8Array(16));
      const a = this.sm(session, CLA.PROPRIETARY_SM, INS.GENERATE_KEY_PAIR, kind, 0, attNonce);
      expectInner(a, `GENERATE KEY PAIR ${kind}`);
      return { ...decodeKeyAttestation(a.inner!.payload), attNonce };
    };
    const signing = generate(1);
    const keyAgreement = generate(2);
    const certificate = p.certify(signing, keyAgreement);
    store(0x07, certificate);
    expectInner(this.sm(session, CLA.PROPRIETARY_SM, INS.FINALIZE, 0, 0, new Uint8Array(0)), 'FINALIZE');
    return { signingKey: signing.publicKey, keyAgreementKey: keyAgreement.publicKey, certificate };
  }

  /** INITIALIZE PERSO + EXTERNAL AUTHENTICATE PERSO (§7.2–7.3); checks the card cryptogram. */
  openPersoSession(
    persoEncKey: Uint8Array,
    persoMacKey: Uint8Array,
    rndH = crypto.getRandomValues(new Uint8Array(16)),
  ) {
    const init = this.send(CLA.PROPRIETARY, INS.INITIALIZE_PERSO, 0, 0, rndH);
    if (init.sw !== SW.OK) throw new Error(`INITIALIZE PERSO answered ${init.sw.toString(16)}`);
    const rndC = init.data.slice(8, 24);
    const keys = derivePersoSessionKeys({ persoEncKey, persoMacKey, rndC, rndH });
    if (!macEqual(init.data.subarray(24, 32), cardCryptogram(keys, rndC, rndH, SessionType.PERSO))) {
      throw new Error('perso card cryptogram does not verify');
    }
    const session: TerminalSession = { type: SessionType.PERSO, keys, ssc: 0 };
    const auth = this.sm(
      session,
      CLA.PROPRIETARY_SM,
      INS.EXTERNAL_AUTHENTICATE_PERSO,
      0,
      0,
      hostCryptogram(keys, rndH, rndC),
    );
    expectInner(auth, 'EXTERNAL AUTHENTICATE PERSO');
    return session;
  }
}

export interface PersonalizationPlan {
  persoEncKey: Uint8Array;
  persoMacKey: Uint8Array;
  /** STORE DATA objects in order: [object id, plain value] (everything but the certificate). */
  objects: ReadonlyArray<readonly [number, Uint8Array]>;
  /** The issuer CA's side of §7.6: attNonces and the certificate for the two attested keys. */
  attestationNonce?: () => Uint8Array;
  certify(
    signing: KeyAttestation & { attNonce: Uint8Array },
    keyAgreement: KeyAttestation & { attNonce: Uint8Array },
  ): Uint8Array;
}

function expectInner(a: SmAnswer, what: string): void {
  if (a.sw !== SW.OK || a.inner?.sw !== SW.OK) {
    throw new Error(`${what} answered ${a.sw.toString(16)}/${a.inner?.sw.toString(16) ?? '-'}`);
  }
}

function certId(certificate: Uint8Array): Uint8Array {
  return certificateIdOf(certificate);
}

/** K.link as the terminal computes it (§4.4): its private key, QA.card from the card certificate. */
export function terminalLinkKey(
  terminal: TerminalIdentity,
  cardNumber: string,
  qaCard: Uint8Array,
): Uint8Array {
  const zs = ecdh(terminal.privateKey, qaCard);
  return deriveLinkKey(zs, encodeCardNumber(cardNumber), certId(terminal.certificate));
}

/** QA.card from a card certificate (as read with GET DATA 7F21). */
export function cardKeyAgreementKey(cardCertificate: Uint8Array): Uint8Array {
  const c = decodeCertificate(cardCertificate);
  if (c.type !== 'card') throw new Error('not a card certificate');
  return c.keyAgreementKey;
}
