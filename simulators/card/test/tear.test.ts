/**
 * Tearing sweep (SPEC.md §10.3–10.7): every tear point of every command that writes, on a copy
 * of the card, then the spec's statement about that point: the persisted state is a prefix of
 * the command's atomic writes, and the command's own guarantee holds afterwards.
 */
import { encodeCommand } from '@huduma/apdu';
import {
  CLA,
  decodePurse,
  encodeDebitRequest,
  encodePinBlock,
  encodeUndebitRequest,
  INS,
  LifeCycle,
  Outcome,
  SessionType,
  SW,
  wrapCommand,
} from '@huduma/card-applet-spec';
import { describe, expect, it } from 'vitest';
import { RawTerminal, type SimulatedCard, type TerminalSession } from '../src/index';
import {
  activeCard,
  blankCard,
  certifyCard,
  debitRequest,
  type Fixture,
  hex,
  loadAuthorization,
  makeTerminal,
  NOW,
  open,
  PIN,
  PUK,
  persoObjects,
  purse,
  reload,
} from './fixture';

/** The APDU of an SM command in `session` (SSC += 1), built but not sent. */
function smApdu(
  s: TerminalSession,
  cla: number,
  ins: number,
  p1: number,
  p2: number,
  payload: Uint8Array,
  enc = false,
) {
  s.ssc += 1;
  const data = wrapCommand(s.keys, s.ssc, { cla, ins, p1, p2 }, payload, enc);
  return encodeCommand({ cla, ins, p1, p2, data });
}

interface Torn {
  k: number;
  label: string;
  labels: readonly string[];
  fx: Fixture;
  image: string;
}

/**
 * Tears `apdu` at each of its tear points on a copy of `fx.card` (RAM included), powers the copy
 * back on and hands it to `check`. Also asserts the generic rule: the images after the tears are
 * old, then each atomic write in turn, then new — never anything in between.
 */
function sweep(fx: Fixture, apdu: Uint8Array, check: (t: Torn) => void, randomised = false): number {
  const reference = fx.card.clone();
  const old = hex(reference.persistedImage());
  reference.transmit(apdu);
  const labels = [...reference.lastTearPoints];
  const final = hex(reference.persistedImage());
  expect(labels.length).toBeGreaterThan(1);
  const seen: string[] = [old];
  labels.forEach((label, k) => {
    const copy: SimulatedCard = fx.card.clone();
    const r = copy.transmitWithTear(apdu, k);
    expect(r.torn, `tear point ${k} (${label}) did not fire`).toBe(true);
    copy.powerOn();
    const image = hex(copy.persistedImage());
    // prefix rule: a tear at an "after-write" point is the first to see that write
    if (image !== seen[seen.length - 1] && !(randomised && seen.length > 1)) {
      expect(label, 'the state changed at a point that is not right after a write').toMatch(/^after-write:/);
      seen.push(image);
    }
    check({
      k,
      label,
      labels,
      fx: { ...fx, card: copy, t: new RawTerminal((a) => copy.transmit(a)) },
      image,
    });
  });
  // (a randomised command, e.g. key generation, writes other bytes on each copy)
  if (!randomised) expect(seen[seen.length - 1]).toBe(final);
  return labels.length;
}

const committedAt = (labels: readonly string[], what: string) => labels.indexOf(`after-write:${what}`);

describe('tearing: value commands (§10.3)', () => {
  it('DEBIT: before T3 nothing changed and the repeat executes once; from T3 on the repeat is ALREADY_APPLIED', () => {
    const fx = activeCard();
    reload(fx, 100_000);
    const term = makeTerminal();
    const o = open(fx, term);
    const before = purse(fx);
    const req = debitRequest(term, before.counter, 2_500);
    const apdu = smApdu(o.session!, CLA.PROPRIETARY_SM, INS.DEBIT, 0, 0, encodeDebitRequest(req));
    const n = sweep(fx, apdu, ({ k, labels, fx: torn }) => {
      const after = purse(torn);
      const executed = k >= committedAt(labels, 'debit');
      expect(after.counter).toBe(before.counter + (executed ? 1 : 0));
      expect(after.balance).toBe(before.balance - (executed ? 2_500 : 0));
      const again = open(torn, term);
      const r = torn.t.debit(again.session!, req);
      expect(r.outcome?.outcome).toBe(executed ? Outcome.ALREADY_APPLIED : Outcome.EXECUTED);
      const third = torn.t.debit(open(torn, term).session!, req);
      expect(third.outcome?.outcome).toBe(Outcome.ALREADY_APPLIED);
      expect(purse(torn).balance).toBe(before.balance - 2_500);
    });
    expect(n).toBeGreaterThanOrEqual(6); // start, T0, T1, T2, T3, T4
  });

  it('UNDEBIT: before or after, never between; the repeat never cancels twice', () => {
    const fx = activeCard();
    reload(fx, 100_000);
    const term = makeTerminal();
    const o = open(fx, term);
    const c = purse(fx).counter;
    fx.t.debit(o.session!, debitRequest(term, c, 4_000));
    const before = purse(fx);
    term.seq += 1;
    const req = {
      refCounter: c + 1,
      amount: 4_000,
      currency: 0x0404,
      terminalSeq: term.seq,
      terminalNonce: new Uint8Array(8),
      time: NOW + 120,
    };
    const apdu = smApdu(o.session!, CLA.PROPRIETARY_SM, INS.UNDEBIT, 0, 0, encodeUndebitRequest(req));
    sweep(fx, apdu, ({ k, labels, fx: torn }) => {
      const executed = k >= committedAt(labels, 'undebit');
      expect(purse(torn).balance).toBe(before.balance + (executed ? 4_000 : 0));
      const r = torn.t.undebit(open(torn, term).session!, req);
      expect(r.outcome?.outcome).toBe(executed ? Outcome.ALREADY_APPLIED : Outcome.EXECUTED);
      expect(purse(torn).balance).toBe(before.balance + 4_000);
    });
  });

  it('RELOAD: before or after, never between; the used authorization cannot be reused', () => {
    const fx = activeCard();
    const ch = fx.t.getChallenge();
    const auth = loadAuthorization(fx, 7_000, { challenge: ch.data });
    const apdu = encodeCommand({ cla: CLA.PROPRIETARY, ins: INS.RELOAD, p1: 0, p2: 0, data: auth });
    sweep(fx, apdu, ({ k, labels, fx: torn }) => {
      const executed = k >= committedAt(labels, 'reload');
      const p = purse(torn);
      expect(p.balance).toBe(executed ? 7_000 : 0);
      expect(p.syncedThrough).toBe(executed ? 1 : 0);
      torn.t.getChallenge();
      expect(torn.t.reload(auth).sw).toBe(SW.LOAD_AUTH_INVALID);
    });
  });

  it('BLOCK CARD: ACTIVE or BLOCKED, and BLOCK again is idempotent', () => {
    const fx = activeCard();
    const term = makeTerminal('TRM-BLK', 0x0010);
    const o = open(fx, term);
    const apdu = smApdu(
      o.session!,
      CLA.PROPRIETARY_SM,
      INS.BLOCK_CARD,
      0,
      0,
      new Uint8Array([2, 0, 0, 0, 1, 0, 0, 0, 1]),
    );
    sweep(fx, apdu, ({ fx: torn }) => {
      const state = purse(torn).lifeCycle;
      expect([LifeCycle.ACTIVE, LifeCycle.BLOCKED]).toContain(state);
    });
  });
});

describe('tearing: PIN and PUK (§10.5)', () => {
  it('VERIFY PIN: once the decrement is committed the try is spent, right PIN or wrong (no free guess)', () => {
    for (const pin of ['9999', PIN]) {
      const fx = activeCard();
      const term = makeTerminal();
      const o = open(fx, term, SessionType.SECURE);
      const apdu = smApdu(o.session!, CLA.ISO_SM, INS.VERIFY_PIN, 0x00, 0x81, encodePinBlock(pin), true);
      sweep(fx, apdu, ({ k, labels, fx: torn }) => {
        const tries = purse(torn).pinTriesLeft;
        const decremented = k >= committedAt(labels, 'pin:decrement');
        const reset = pin === PIN && k >= committedAt(labels, 'pin:reset');
        expect(tries).toBe(reset ? 3 : decremented ? 2 : 3);
      });
    }
  });

  it('UNBLOCK PIN: a torn wrong PUK costs its try; a torn right one leaves old or new PIN, PUK tries never restored early', () => {
    const fx = activeCard();
    const term = makeTerminal('TRM-HC', 0x0020);
    const o = open(fx, term, SessionType.SECURE);
    const payload = new Uint8Array([...encodePinBlock(PUK, 'PUK'), ...encodePinBlock('4321')]);
    const apdu = smApdu(o.session!, CLA.ISO_SM, INS.UNBLOCK_PIN, 0x00, 0x81, payload, true);
    sweep(fx, apdu, ({ k, labels, fx: torn }) => {
      const s = torn.card.persistedState();
      const decremented = k >= committedAt(labels, 'puk:decrement');
      const done = k >= committedAt(labels, 'unblock');
      expect(s.pukTries).toBe(done ? 10 : decremented ? 9 : 10);
      expect(hex(s.pinBlock!)).toBe(hex(encodePinBlock(done ? '4321' : PIN)));
    });
  });
});

describe('tearing: registration (§10.6)', () => {
  it('a torn REGISTER leaves the slot invalid (9F12) or complete, never valid with another key', () => {
    const fx = activeCard();
    const term = makeTerminal('TRM-NEW');
    const apdu = encodeCommand({
      cla: CLA.PROPRIETARY,
      ins: INS.REGISTER_TERMINAL,
      p1: 0,
      p2: 0,
      data: term.certificate,
    });
    sweep(fx, apdu, ({ fx: torn }) => {
      const sel = torn.t.select();
      const r = torn.t.openSession(term, {
        cardNumber: torn.cardNumber,
        keyAgreementKey: torn.qaCard,
        challenge: sel.fci!.challenge,
      });
      expect([SW.OK, SW.TERMINAL_NOT_REGISTERED]).toContain(r.sw); // a wrong key would throw (cryptogram)
      if (r.sw === SW.OK) {
        const d = torn.t.debit(r.session!, debitRequest(term, sel.fci!.purse.counter, 1));
        expect(d.sw).toBe(SW.OK); // the C-MAC verified: the key is the right one
      } else {
        expect(open(torn, term).sw).toBe(SW.OK); // re-registering repairs it
      }
    });
  });

  it('a torn OPEN SESSION (LRU stamp) changes nothing of value', () => {
    const fx = activeCard();
    const term = makeTerminal();
    expect(open(fx, term).sw).toBe(SW.OK);
    const sel = fx.t.select();
    const data = new Uint8Array(24);
    data.set(fx.card.persistedState().registrations[0]!.termCertId);
    const apdu = encodeCommand({ cla: CLA.PROPRIETARY, ins: INS.OPEN_SESSION, p1: 0, p2: 0, data });
    const before = purse(fx);
    sweep(fx, apdu, ({ fx: torn }) => {
      expect(purse(torn)).toEqual(before);
      expect(open(torn, term).sw).toBe(SW.OK);
    });
    expect(sel.sw).toBe(SW.OK);
  });
});

describe('tearing: personalization (§7, §10.7)', () => {
  function persoSession(fx: Fixture): TerminalSession {
    return fx.t.openPersoSession(fx.install.persoEncKey, fx.install.persoMacKey);
  }

  it('EXTERNAL AUTHENTICATE PERSO: the failure is counted before the comparison', () => {
    const fx = blankCard();
    const rndH = new Uint8Array(16);
    const init = fx.t.send(CLA.PROPRIETARY, INS.INITIALIZE_PERSO, 0, 0, rndH);
    expect(init.sw).toBe(SW.OK);
    // a wrong host cryptogram under a wrong key: the C-MAC fails, the counter still moved
    const bogus: TerminalSession = {
      type: 2,
      keys: { mac: new Uint8Array(16), rmac: new Uint8Array(16) },
      ssc: 0,
    };
    const apdu = smApdu(bogus, CLA.PROPRIETARY_SM, INS.EXTERNAL_AUTHENTICATE_PERSO, 0, 0, new Uint8Array(8));
    sweep(fx, apdu, ({ k, labels, fx: torn }) => {
      expect(torn.card.persistedState().persoFailures).toBe(
        k >= committedAt(labels, 'perso-failures') ? 1 : 0,
      );
    });
  });

  it('STORE DATA, GENERATE KEY PAIR: each one atomic write', () => {
    const fx = blankCard();
    const s = persoSession(fx);
    const [obj, value] = persoObjects()[0]!;
    const store = smApdu(s, CLA.PROPRIETARY_SM, INS.STORE_DATA, obj, 0, value, true);
    sweep(fx, store, ({ fx: torn }) => {
      const cn = torn.card.persistedState().cardNumber;
      expect([undefined, fx.cardNumber]).toContain(cn);
    });
    fx.card.transmit(store);
    const gen = smApdu(s, CLA.PROPRIETARY_SM, INS.GENERATE_KEY_PAIR, 1, 0, new Uint8Array(16));
    sweep(
      fx,
      gen,
      ({ fx: torn }) => {
        const st = torn.card.persistedState();
        expect((st.signingKey === undefined) === (st.signingPublicKey === undefined)).toBe(true);
      },
      true,
    );
  });

  it('FINALIZE: PERSONALIZATION or ACTIVE; perso keys left by a tear are cleared at the next SELECT', () => {
    const fx = blankCard();
    const s = persoSession(fx);
    for (const [obj, value] of persoObjects()) {
      expect(
        fx.t.sm(s, CLA.PROPRIETARY_SM, INS.STORE_DATA, obj, 0, value, { encryptCommand: true }).inner?.sw,
      ).toBe(SW.OK);
    }
    const keys = [1, 2].map((kind) =>
      fx.t
        .sm(s, CLA.PROPRIETARY_SM, INS.GENERATE_KEY_PAIR, kind, 0, new Uint8Array(16))
        .inner!.payload.slice(0, 65),
    );
    const cert = certifyCard(keys[0]!, keys[1]!);
    expect(
      fx.t.sm(s, CLA.PROPRIETARY_SM, INS.STORE_DATA, 7, 0, cert, { encryptCommand: true }).inner?.sw,
    ).toBe(SW.OK);
    const apdu = smApdu(s, CLA.PROPRIETARY_SM, INS.FINALIZE, 0, 0, new Uint8Array(0));
    sweep(fx, apdu, ({ fx: torn }) => {
      const st = torn.card.persistedState();
      if (st.lifeCycle === LifeCycle.PERSONALIZATION) {
        expect(torn.card.installParameters()).toBeDefined();
        return;
      }
      expect(st.lifeCycle).toBe(LifeCycle.ACTIVE);
      expect(torn.t.select().sw).toBe(SW.OK);
      expect(torn.card.installParameters()).toBeUndefined();
      expect(decodePurse(torn.t.readPurse().data).balance).toBe(0);
    });
  });
});
