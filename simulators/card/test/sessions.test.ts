/** Selection, generic processing, registration and sessions: SPEC.md §6.0–6.3, §6.15–6.16 (checks 1–43 of §16). */
import { encodeCommand } from '@huduma/apdu';
import {
  AID,
  CLA,
  concatBytes,
  decodeSelectResponse,
  encodeCertificateBody,
  encodeDebitRequest,
  encodePinBlock,
  INS,
  keyIdOf,
  LifeCycle,
  publicKeyOf,
  SessionType,
  SW,
  wrapCommand,
} from '@huduma/card-applet-spec';
import { describe, expect, it } from 'vitest';
import {
  activeCard,
  blankCard,
  debitRequest,
  type Fixture,
  KEYS,
  loadAuthorization,
  makeTerminal,
  NOW,
  open,
  purse,
  reload,
  signTerminalTbs,
} from './fixture';

const raw = (fx: Fixture, bytes: number[] | Uint8Array) => {
  const r = fx.card.transmit(new Uint8Array(bytes));
  return { sw: (r[r.length - 2]! << 8) | r[r.length - 1]!, data: r.subarray(0, r.length - 2) };
};
const cardOf = (fx: Fixture, challenge: Uint8Array) => ({
  cardNumber: fx.cardNumber,
  keyAgreementKey: fx.qaCard,
  challenge,
});

describe('SELECT, GET CHALLENGE, GET DATA (§6.1–6.3)', () => {
  it('SELECT answers the 96-byte FCI with a fresh challenge; any other data 6A82', () => {
    const fx = activeCard();
    const a = fx.t.select();
    const b = fx.t.select();
    expect(a.sw).toBe(SW.OK);
    expect(a.data.length).toBe(96);
    expect(a.fci!.version).toBe(2);
    expect(a.fci!.challenge).not.toEqual(b.fci!.challenge);
    const v1 = AID.slice();
    v1[10] = 0x01;
    expect(raw(fx, [0, 0xa4, 4, 0, 11, ...v1]).sw).toBe(SW.APPLET_NOT_FOUND);
    expect(raw(fx, [0, 0xa4, 4, 0, 5, ...AID.subarray(0, 5)]).sw).toBe(SW.APPLET_NOT_FOUND);
    expect(raw(fx, [0, 0xa4, 4, 0]).sw).toBe(SW.APPLET_NOT_FOUND);
    expect(raw(fx, [0, 0xa4, 4, 1, 11, ...AID]).sw).toBe(SW.WRONG_P1P2);
  });
  it('GET CHALLENGE answers 16 fresh bytes; GET DATA the 230-byte certificate', () => {
    const fx = activeCard();
    expect(fx.t.getChallenge().data.length).toBe(16);
    const cert = fx.t.send(CLA.ISO, INS.GET_DATA, 0x7f, 0x21);
    expect(cert.data).toEqual(fx.certificate);
    expect(blankCard().t.send(CLA.ISO, INS.GET_DATA, 0x7f, 0x21).sw).toBe(SW.REFERENCED_DATA_NOT_FOUND);
    expect(fx.t.send(CLA.ISO, INS.GET_CHALLENGE, 0, 0, new Uint8Array(1)).sw).toBe(SW.WRONG_LENGTH);
  });
});

describe('generic check order (§6.0.3)', () => {
  it('class, instruction, SM bits, P1-P2 and Lc refusals', () => {
    const fx = activeCard();
    expect(raw(fx, [0x01, 0xa4, 4, 0]).sw).toBe(SW.LOGICAL_CHANNEL_NOT_SUPPORTED);
    expect(raw(fx, [0x40, 0xa4, 4, 0]).sw).toBe(SW.LOGICAL_CHANNEL_NOT_SUPPORTED);
    expect(raw(fx, [0xa0, 0x50, 0, 0]).sw).toBe(SW.CLA_NOT_SUPPORTED);
    expect(raw(fx, [0x04, 0x50, 0, 0]).sw).toBe(SW.CLA_NOT_SUPPORTED);
    expect(raw(fx, [0x80, 0xa4, 4, 0]).sw).toBe(SW.INS_NOT_SUPPORTED); // interindustry INS with CLA 80
    expect(raw(fx, [0x00, 0x50, 0, 0]).sw).toBe(SW.INS_NOT_SUPPORTED);
    expect(raw(fx, [0x80, 0x99, 0, 0]).sw).toBe(SW.INS_NOT_SUPPORTED);
    expect(raw(fx, [0x80, INS.DEBIT, 0, 0, 1, 0]).sw).toBe(SW.SM_DATA_MISSING); // generic.sm-missing
    expect(raw(fx, [0x00, INS.VERIFY_PIN, 0, 0x81, 8, ...encodePinBlock('1234')]).sw).toBe(
      SW.SM_DATA_MISSING,
    );
    expect(raw(fx, [0x80, INS.STORE_DATA, 1, 0, 1, 0]).sw).toBe(SW.SM_DATA_MISSING);
    expect(raw(fx, [0x8c, INS.READ_PURSE, 0, 0]).sw).toBe(SW.CLA_NOT_SUPPORTED); // generic.sm-unexpected
    expect(raw(fx, [0x80, INS.READ_PURSE, 0, 1]).sw).toBe(SW.WRONG_P1P2);
    expect(raw(fx, [0x80, INS.READ_PURSE, 0, 0, 1, 0]).sw).toBe(SW.WRONG_LENGTH);
    expect(raw(fx, [0x80, INS.GET_TRANSACTION, 0, 0, 11, ...new Uint8Array(11)]).sw).toBe(SW.WRONG_LENGTH);
    expect(raw(fx, [0x80]).sw).toBe(SW.WRONG_LENGTH);
  });
  it('life cycle: value commands 6985 in PERSONALIZATION; perso commands 6985 when ACTIVE', () => {
    const blank = blankCard();
    expect(blank.t.select().sw).toBe(SW.OK);
    expect(blank.t.register(makeTerminal()).sw).toBe(SW.CONDITIONS_NOT_SATISFIED);
    expect(raw(blank, [0x80, INS.OPEN_SESSION, 0, 0, 24, ...new Uint8Array(24)]).sw).toBe(
      SW.CONDITIONS_NOT_SATISFIED,
    );
    expect(raw(blank, [0x00, INS.READ_RECORD, 1, 4]).sw).toBe(SW.CONDITIONS_NOT_SATISFIED);
    const fx = activeCard();
    expect(raw(fx, [0x80, INS.INITIALIZE_PERSO, 0, 0, 16, ...new Uint8Array(16)]).sw).toBe(
      SW.CONDITIONS_NOT_SATISFIED,
    );
  });
});

describe('command chaining (§6.0.2)', () => {
  it('not chainable 6884; interrupted 6883 (even by a bad CLA or INS); too long 6884; small segments work', () => {
    const fx = activeCard();
    expect(raw(fx, [0x90, INS.READ_PURSE, 0, 0]).sw).toBe(SW.CHAINING_NOT_SUPPORTED);
    const cert = makeTerminal().certificate;
    const seg = (cla: number, d: Uint8Array) => raw(fx, [cla, INS.REGISTER_TERMINAL, 0, 0, d.length, ...d]);
    expect(seg(0x90, cert.subarray(0, 100)).sw).toBe(SW.OK);
    expect(raw(fx, [0x80, INS.READ_PURSE, 0, 0]).sw).toBe(SW.LAST_COMMAND_OF_CHAIN_EXPECTED);
    expect(raw(fx, [0x80, INS.READ_PURSE, 0, 0]).sw).toBe(SW.OK); // the chain was aborted
    expect(seg(0x90, cert.subarray(0, 100)).sw).toBe(SW.OK);
    expect(raw(fx, [0xa0, 0x50, 0, 0]).sw).toBe(SW.LAST_COMMAND_OF_CHAIN_EXPECTED);
    expect(seg(0x90, cert.subarray(0, 100)).sw).toBe(SW.OK);
    expect(raw(fx, [0x80, 0x99, 0, 0]).sw).toBe(SW.LAST_COMMAND_OF_CHAIN_EXPECTED);
    expect(seg(0x90, cert.subarray(0, 100)).sw).toBe(SW.OK);
    expect(raw(fx, [0x00, 0xa4, 4, 0, 11, ...AID]).sw).toBe(SW.LAST_COMMAND_OF_CHAIN_EXPECTED); // SELECT too
    expect(seg(0x90, new Uint8Array(200)).sw).toBe(SW.OK);
    expect(seg(0x90, new Uint8Array(100)).sw).toBe(SW.CHAINING_NOT_SUPPORTED);
    const term = makeTerminal();
    expect(fx.t.register(term, 100).sw).toBe(SW.OK); // chaining.small-segments
    const ch = fx.t.getChallenge();
    expect(fx.t.reload(loadAuthorization(fx, 100, { challenge: ch.data }), 100).sw).toBe(SW.OK);
  });
});

describe('REGISTER TERMINAL (§6.15, §4.8.1)', () => {
  const tbs = (over: Partial<Parameters<typeof encodeCertificateBody>[0]> = {}) => {
    const priv = crypto.getRandomValues(new Uint8Array(32));
    priv[0] = 0x42;
    return encodeCertificateBody({
      type: 'terminal',
      issuerKeyId: keyIdOf(KEYS.terminalCa.publicKey),
      terminalId: 'TRM-X',
      merchantId: 'M',
      capabilities: 1,
      notBefore: NOW - 10,
      notAfter: NOW + 1000,
      keyAgreementKey: publicKeyOf(priv),
      ...over,
    } as Parameters<typeof encodeCertificateBody>[0]);
  };
  it('returns termCertId, does not need or consume the challenge', () => {
    const fx = activeCard();
    const term = makeTerminal();
    const ch = fx.t.select().fci!.challenge;
    const r = fx.t.register(term);
    expect(r.sw).toBe(SW.OK);
    expect(r.data.length).toBe(8);
    expect(fx.t.openSession(term, cardOf(fx, ch)).sw).toBe(SW.OK);
  });
  it('format, issuer, signature, expiry and key refusals in the §4.8.1 order', () => {
    const fx = activeCard();
    const good = tbs();
    const v1 = good.slice();
    v1[0] = 0x01;
    expect(fx.t.register({ certificate: signTerminalTbs(v1), privateKey: new Uint8Array(32) }).sw).toBe(
      SW.TERMINAL_CERT_INVALID,
    );
    const caps = good.slice();
    caps[26] = 0x01; // 0x0101: undefined bit
    expect(fx.t.register({ certificate: signTerminalTbs(caps), privateKey: new Uint8Array(32) }).sw).toBe(
      SW.TERMINAL_CERT_INVALID,
    );
    const order = good.slice();
    order.set([0, 0, 0, 1], 32); // notAfter < notBefore
    expect(fx.t.register({ certificate: signTerminalTbs(order), privateKey: new Uint8Array(32) }).sw).toBe(
      SW.TERMINAL_CERT_INVALID,
    );
    const signed = signTerminalTbs(good);
    const badSig = signed.slice();
    badSig[120]! ^= 1;
    expect(fx.t.register({ certificate: badSig, privateKey: new Uint8Array(32) }).sw).toBe(
      SW.TERMINAL_CERT_INVALID,
    );
    const tampered = signed.slice();
    tampered[27]! |= 0x10;
    expect(fx.t.register({ certificate: tampered, privateKey: new Uint8Array(32) }).sw).toBe(
      SW.TERMINAL_CERT_INVALID,
    );
    const unknown = good.slice();
    unknown.set(keyIdOf(KEYS.loadAuthority.publicKey), 2);
    expect(fx.t.register({ certificate: signTerminalTbs(unknown), privateKey: new Uint8Array(32) }).sw).toBe(
      SW.REFERENCED_DATA_NOT_FOUND,
    );
    const offCurve = good.slice();
    offCurve[100]! ^= 1; // last byte of QT's y
    expect(fx.t.register({ certificate: signTerminalTbs(offCurve), privateKey: new Uint8Array(32) }).sw).toBe(
      SW.TERMINAL_CERT_INVALID,
    );
    // expiry: a RELOAD raises lastTrustedTime above notAfter
    const ch = fx.t.getChallenge();
    expect(fx.t.reload(loadAuthorization(fx, 0, { challenge: ch.data, time: NOW + 5000 })).sw).toBe(SW.OK);
    expect(fx.t.register({ certificate: signed, privateKey: new Uint8Array(32) }).sw).toBe(
      SW.TERMINAL_CERT_EXPIRED,
    );
  });
  it('after 9 registrations the least recently used answers 9F12, the 8 others open sessions', () => {
    const fx = activeCard();
    const terms = Array.from({ length: 9 }, (_, i) => makeTerminal(`T-${i}`));
    for (const t of terms) expect(open(fx, t).sw).toBe(SW.OK);
    const ch = fx.t.select().fci!.challenge;
    expect(fx.t.openSession(terms[0]!, cardOf(fx, ch)).sw).toBe(SW.TERMINAL_NOT_REGISTERED);
    for (const t of terms.slice(1)) {
      const c = fx.t.select().fci!.challenge;
      expect(fx.t.openSession(t, cardOf(fx, c)).sw).toBe(SW.OK);
    }
  });
});

describe('OPEN SESSION and secure messaging (§6.16, §4.5, §4.7)', () => {
  it('unregistered 9F12 keeps the challenge; no challenge or a consumed one 6982', () => {
    const fx = activeCard();
    const term = makeTerminal();
    const ch = fx.t.select().fci!.challenge;
    expect(fx.t.openSession(term, cardOf(fx, ch)).sw).toBe(SW.TERMINAL_NOT_REGISTERED);
    expect(fx.t.register(term).sw).toBe(SW.OK);
    expect(fx.t.openSession(term, cardOf(fx, ch)).sw).toBe(SW.OK); // no new SELECT needed
    expect(fx.t.openSession(term, cardOf(fx, ch)).sw).toBe(SW.SECURITY_STATUS_NOT_SATISFIED);
    fx.card.reset();
    expect(fx.t.openSession(term, cardOf(fx, ch)).sw).toBe(SW.SECURITY_STATUS_NOT_SATISFIED);
  });
  it('the card cryptogram verifies for TAP and SECURE (RawTerminal throws otherwise) and P1/Lc are checked', () => {
    const fx = activeCard();
    const term = makeTerminal();
    expect(open(fx, term, SessionType.TAP).sw).toBe(SW.OK);
    expect(open(fx, term, SessionType.SECURE).sw).toBe(SW.OK);
    fx.t.select();
    expect(raw(fx, [0x80, INS.OPEN_SESSION, 2, 0, 24, ...new Uint8Array(24)]).sw).toBe(SW.WRONG_P1P2);
    expect(raw(fx, [0x80, INS.OPEN_SESSION, 1, 0, 24, ...new Uint8Array(24)]).sw).toBe(SW.WRONG_LENGTH);
  });
  it('a bad C-MAC answers 6988 and destroys the session; a replay 6988; SM without a session 6982', () => {
    const fx = activeCard();
    reload(fx, 10_000);
    const term = makeTerminal();
    const o = open(fx, term);
    const s = o.session!;
    const req = encodeDebitRequest(debitRequest(term, o.purse!.counter, 10));
    const h = { cla: 0x8c, ins: INS.DEBIT, p1: 0, p2: 0 };
    const good = wrapCommand(s.keys, 1, h, req, false);
    const bad = good.slice();
    bad[bad.length - 1]! ^= 1;
    expect(raw(fx, encodeCommand({ ...h, data: bad })).sw).toBe(SW.SM_DATA_INCORRECT);
    expect(raw(fx, encodeCommand({ ...h, data: good })).sw).toBe(SW.SECURITY_STATUS_NOT_SATISFIED);
    expect(purse(fx).counter).toBe(o.purse!.counter);
    const o2 = open(fx, term);
    const first = fx.t.debit(o2.session!, debitRequest(term, o2.purse!.counter, 10));
    expect(first.sw).toBe(SW.OK);
    const replay = wrapCommand(
      o2.session!.keys,
      1,
      h,
      encodeDebitRequest(debitRequest(term, o2.purse!.counter + 1, 10)),
      false,
    );
    expect(raw(fx, encodeCommand({ ...h, data: replay })).sw).toBe(SW.SM_DATA_INCORRECT);
  });
  it("VERIFY PIN and READ IDENTITY in a TAP session 6982; another terminal's termCertId without its key 6988", () => {
    const fx = activeCard();
    const term = makeTerminal();
    const o = open(fx, term);
    expect(fx.t.verifyPin(o.session!).sw).toBe(SW.SECURITY_STATUS_NOT_SATISFIED); // (a TAP session cannot even encrypt)
    expect(raw(fx, [0x8c, INS.READ_IDENTITY, 0, 0, 8, ...new Uint8Array(8)]).sw).toBe(
      SW.SECURITY_STATUS_NOT_SATISFIED,
    );
    const thief = { ...term, privateKey: makeTerminal().privateKey };
    const ch = fx.t.select().fci!.challenge;
    expect(() => fx.t.openSession(thief, cardOf(fx, ch))).toThrow(/cryptogram/);
  });
  it('an expired registration answers 9F0A at OPEN SESSION; a bad ephemeral key 6A80', () => {
    const fx = activeCard();
    const term = makeTerminal('TRM-OLD', 1, { notAfter: NOW + 100 });
    expect(open(fx, term).sw).toBe(SW.OK);
    const ch = fx.t.getChallenge();
    expect(fx.t.reload(loadAuthorization(fx, 0, { challenge: ch.data, time: NOW + 1000 })).sw).toBe(SW.OK);
    const c = fx.t.select().fci!.challenge;
    expect(fx.t.openSession(term, cardOf(fx, c)).sw).toBe(SW.TERMINAL_CERT_EXPIRED);
    const other = makeTerminal();
    expect(open(fx, other).sw).toBe(SW.OK);
    fx.t.select();
    const id = fx.card.persistedState().registrations.find((r) => r?.terminalId === 'TRM-0001')!.termCertId;
    const bad = concatBytes(id, new Uint8Array(16), new Uint8Array([4, ...new Uint8Array(64)]));
    expect(raw(fx, [0x80, INS.OPEN_SESSION, 1, 0, 89, ...bad]).sw).toBe(SW.WRONG_DATA);
  });
  it('a BLOCKED card: SELECT 6283 with the FCI; sessions still open (for BLOCK CARD)', () => {
    const fx = activeCard();
    const term = makeTerminal('TRM-B', 0x11);
    const o = open(fx, term);
    expect(fx.t.sm(o.session!, 0x8c, INS.BLOCK_CARD, 0, 0, new Uint8Array(9)).inner?.sw).toBe(SW.OK);
    const sel = fx.t.select();
    expect(sel.sw).toBe(SW.CARD_BLOCKED_SELECTED);
    expect(decodeSelectResponse(sel.data).lifeCycle).toBe(LifeCycle.BLOCKED);
    expect(open(fx, term).sw).toBe(SW.OK);
  });
});
