/** Personalization: SPEC.md §7 (checks 111–121 of §16). */
import {
  CLA,
  cardCryptogram,
  cmac,
  decodeInitializePersoResponse,
  decodeKeyAttestation,
  derivePersoSessionKeys,
  encodePinBlock,
  encodeTrustedKey,
  INS,
  KeyUsage,
  keyAttestationMessage,
  LifeCycle,
  macEqual,
  publicKeyOf,
  SessionType,
  StoreDataObject,
  SW,
  verifyMessage,
} from '@huduma/card-applet-spec';
import { describe, expect, it } from 'vitest';
import type { TerminalSession } from '../src/index';
import { blankCard, certifyCard, type Fixture, KEYS, persoObjects, purse } from './fixture';

const persoSession = (fx: Fixture) => fx.t.openPersoSession(fx.install.persoEncKey, fx.install.persoMacKey);
const store = (fx: Fixture, s: TerminalSession, obj: number, value: Uint8Array) =>
  fx.t.sm(s, CLA.PROPRIETARY_SM, INS.STORE_DATA, obj, 0, value, { encryptCommand: true });
const generate = (fx: Fixture, s: TerminalSession, kind: number, nonce = new Uint8Array(16)) =>
  fx.t.sm(s, CLA.PROPRIETARY_SM, INS.GENERATE_KEY_PAIR, kind, 0, nonce);
const finalize = (fx: Fixture, s: TerminalSession) =>
  fx.t.sm(s, CLA.PROPRIETARY_SM, INS.FINALIZE, 0, 0, new Uint8Array(0));

describe('personalization (§7)', () => {
  it('a blank card answers SELECT 9000 in PERSONALIZATION with a zero card number', () => {
    const fx = blankCard();
    const sel = fx.t.select();
    expect(sel.sw).toBe(SW.OK);
    expect(sel.fci!.lifeCycle).toBe(LifeCycle.PERSONALIZATION);
    expect(sel.fci!.cardNumber).toBeUndefined();
  });
  it('perso commands with a plain CLA 6987; with SM and no (authenticated) session 6982', () => {
    const fx = blankCard();
    expect(fx.t.send(0x80, INS.STORE_DATA, 1, 0, new Uint8Array(24)).sw).toBe(SW.SM_DATA_MISSING);
    expect(fx.t.send(0x80, INS.FINALIZE, 0, 0).sw).toBe(SW.SM_DATA_MISSING);
    expect(fx.t.send(0x8c, INS.STORE_DATA, 1, 0, new Uint8Array(24)).sw).toBe(
      SW.SECURITY_STATUS_NOT_SATISFIED,
    );
    expect(fx.t.send(0x8c, INS.GENERATE_KEY_PAIR, 1, 0, new Uint8Array(24)).sw).toBe(
      SW.SECURITY_STATUS_NOT_SATISFIED,
    );
    expect(fx.t.send(0x80, INS.INITIALIZE_PERSO, 0, 0, new Uint8Array(16)).sw).toBe(SW.OK);
    expect(fx.t.send(0x8c, INS.FINALIZE, 0, 0, new Uint8Array(8)).sw).toBe(SW.SECURITY_STATUS_NOT_SATISFIED);
  });
  it('the card cryptogram verifies with K.perso and the returned chipSerial', () => {
    const fx = blankCard();
    const rndH = crypto.getRandomValues(new Uint8Array(16));
    const r = decodeInitializePersoResponse(fx.t.send(0x80, INS.INITIALIZE_PERSO, 0, 0, rndH).data);
    expect(r.chipSerial).toEqual(fx.install.chipSerial);
    const keys = derivePersoSessionKeys({ ...fx.install, rndC: r.rndC, rndH });
    expect(macEqual(r.cardCryptogram, cardCryptogram(keys, r.rndC, rndH, SessionType.PERSO))).toBe(true);
  });
  it('a wrong host cryptogram: inner 6982, session destroyed, a failure counted; 10 failures → 6983', () => {
    const fx = blankCard();
    for (let i = 0; i < 10; i++) {
      const rndH = new Uint8Array(16);
      const init = fx.t.send(0x80, INS.INITIALIZE_PERSO, 0, 0, rndH);
      expect(init.sw).toBe(SW.OK);
      const keys = derivePersoSessionKeys({ ...fx.install, rndC: init.data.slice(8, 24), rndH });
      const s: TerminalSession = { type: 2, keys, ssc: 0 };
      expect(fx.t.sm(s, 0x8c, INS.EXTERNAL_AUTHENTICATE_PERSO, 0, 0, new Uint8Array(8)).inner?.sw).toBe(
        SW.SECURITY_STATUS_NOT_SATISFIED,
      );
      expect(fx.card.persistedState().persoFailures).toBe(i + 1);
      expect(fx.t.sm(s, 0x8c, INS.FINALIZE, 0, 0, new Uint8Array(0)).sw).toBe(
        SW.SECURITY_STATUS_NOT_SATISFIED,
      );
    }
    expect(fx.t.send(0x80, INS.INITIALIZE_PERSO, 0, 0, new Uint8Array(16)).sw).toBe(SW.AUTH_METHOD_BLOCKED);
  });
  it('STORE DATA: unknown object 6A86, wrong length 6700 (outer and inner), bad content inner 6A80', () => {
    const fx = blankCard();
    const s = persoSession(fx);
    expect(fx.t.send(0x8c, INS.STORE_DATA, 0x09, 0, new Uint8Array(24)).sw).toBe(SW.WRONG_P1P2);
    expect(fx.t.send(0x8c, INS.STORE_DATA, 0x03, 0, new Uint8Array(24)).sw).toBe(SW.WRONG_LENGTH); // 18 → 40
    expect(store(fx, s, StoreDataObject.CARD_NUMBER, new Uint8Array(7)).inner?.sw).toBe(SW.WRONG_LENGTH);
    expect(
      store(fx, s, StoreDataObject.CARD_NUMBER, new Uint8Array([0x84, 4, 0, 1, 0x23, 0x45, 0x67, 0x88])).inner
        ?.sw,
    ).toBe(SW.WRONG_DATA);
    expect(store(fx, s, StoreDataObject.PIN, new Uint8Array(8).fill(0x31)).inner?.sw).toBe(SW.OK);
    expect(store(fx, s, StoreDataObject.PUK, encodePinBlock('1234')).inner?.sw).toBe(SW.WRONG_DATA);
    const key = encodeTrustedKey({ usage: KeyUsage.TERMINAL_CA, publicKey: KEYS.terminalCa.publicKey });
    const badId = key.slice();
    badId[1]! ^= 1;
    expect(store(fx, s, StoreDataObject.TRUSTED_KEY, badId).inner?.sw).toBe(SW.WRONG_DATA);
    for (const label of ['a', 'b', 'c', 'd']) {
      const pub = publicKeyOf(new Uint8Array(32).fill(label.charCodeAt(0)));
      expect(
        store(fx, s, StoreDataObject.TRUSTED_KEY, encodeTrustedKey({ usage: 1, publicKey: pub })).inner?.sw,
      ).toBe(SW.OK);
    }
    expect(store(fx, s, StoreDataObject.TRUSTED_KEY, key).inner?.sw).toBe(SW.WRONG_DATA); // a 5th distinct key
  });
  it('GENERATE KEY PAIR: 02 before 01 inner 6985; both attested (attMac under K.att, attSig under PK.card)', () => {
    const fx = blankCard();
    const s = persoSession(fx);
    expect(generate(fx, s, 2).inner?.sw).toBe(SW.CONDITIONS_NOT_SATISFIED);
    expect(fx.t.send(0x8c, INS.GENERATE_KEY_PAIR, 3, 0, new Uint8Array(24)).sw).toBe(SW.WRONG_P1P2);
    const n1 = crypto.getRandomValues(new Uint8Array(16));
    const n2 = crypto.getRandomValues(new Uint8Array(16));
    const a1 = decodeKeyAttestation(generate(fx, s, 1, n1).inner!.payload);
    const a2 = decodeKeyAttestation(generate(fx, s, 2, n2).inner!.payload);
    for (const [kind, a, n] of [
      [1, a1, n1],
      [2, a2, n2],
    ] as const) {
      const m = keyAttestationMessage(fx.install.chipSerial, kind, a.publicKey, n);
      expect(cmac(fx.install.attestationKey, m)).toEqual(a.attMac);
      expect(verifyMessage(a1.publicKey, m, a.attSig)).toBe(true);
    }
  });
  it('FINALIZE of an incomplete card inner 6985; a certificate before the key pairs 6985; complete → ACTIVE, closed', () => {
    const fx = blankCard();
    const s = persoSession(fx);
    expect(finalize(fx, s).inner?.sw).toBe(SW.CONDITIONS_NOT_SATISFIED);
    for (const [obj, value] of persoObjects()) expect(store(fx, s, obj, value).inner?.sw).toBe(SW.OK);
    const early = certifyCard(KEYS.card.publicKey, KEYS.terminal.publicKey);
    expect(store(fx, s, StoreDataObject.CARD_CERTIFICATE, early).inner?.sw).toBe(SW.CONDITIONS_NOT_SATISFIED);
    const k1 = decodeKeyAttestation(generate(fx, s, 1).inner!.payload).publicKey;
    const k2 = decodeKeyAttestation(generate(fx, s, 2).inner!.payload).publicKey;
    expect(store(fx, s, StoreDataObject.CARD_CERTIFICATE, early).inner?.sw).toBe(SW.WRONG_DATA); // other keys
    expect(finalize(fx, s).inner?.sw).toBe(SW.CONDITIONS_NOT_SATISFIED);
    expect(store(fx, s, StoreDataObject.CARD_CERTIFICATE, certifyCard(k1, k2)).inner?.sw).toBe(SW.OK);
    expect(finalize(fx, s).inner?.sw).toBe(SW.OK);
    const p = purse(fx);
    expect([p.lifeCycle, p.balance, p.syncedThrough, p.counter]).toEqual([LifeCycle.ACTIVE, 0, 0, 0]);
    expect(fx.t.send(0x80, INS.INITIALIZE_PERSO, 0, 0, new Uint8Array(16)).sw).toBe(
      SW.CONDITIONS_NOT_SATISFIED,
    );
    expect(fx.card.installParameters()).toBeUndefined();
  });
});
