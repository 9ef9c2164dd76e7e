/** PIN, PUK and identity: SPEC.md §6.4–6.6, §6.13, §2.11 (checks 87–103 of §16). */
import {
  CLA,
  decodeIdentity,
  encodeIdentity,
  encodePinBlock,
  INS,
  SessionType,
  SW,
  swWrongPin,
} from '@huduma/card-applet-spec';
import { describe, expect, it } from 'vitest';
import type { TerminalSession } from '../src/index';
import {
  activeCard,
  debitRequest,
  type Fixture,
  IDENTITY,
  makeTerminal,
  open,
  PIN,
  PUK,
  purse,
  reload,
  withState,
} from './fixture';

const secure = (fx: Fixture, caps = 0x3f, id = 'TRM-0001'): TerminalSession =>
  open(fx, makeTerminal(id, caps), SessionType.SECURE).session!;
const verify = (fx: Fixture, s: TerminalSession, pin?: string) =>
  fx.t.verifyPin(s, pin === undefined ? undefined : encodePinBlock(pin)).inner?.sw;
const unblock = (fx: Fixture, s: TerminalSession, puk: string, pin: string) =>
  fx.t.sm(
    s,
    CLA.ISO_SM,
    INS.UNBLOCK_PIN,
    0,
    0x81,
    new Uint8Array([...encodePinBlock(puk, 'PUK'), ...encodePinBlock(pin)]),
    {
      encryptCommand: true,
    },
  ).inner?.sw;

describe('VERIFY PIN (§6.4)', () => {
  it('a clear PIN with CLA 00 answers 6987 and costs no try', () => {
    const fx = activeCard();
    expect(fx.t.send(0x00, INS.VERIFY_PIN, 0, 0x81, encodePinBlock(PIN)).sw).toBe(SW.SM_DATA_MISSING);
    expect(purse(fx).pinTriesLeft).toBe(3);
  });
  it('status query 63C3 before, 9000 after; wrong 63C2 and a right one resets; malformed 6A80 costs nothing', () => {
    const fx = activeCard();
    const s = secure(fx);
    expect(verify(fx, s)).toBe(swWrongPin(3));
    expect(verify(fx, s, '9999')).toBe(swWrongPin(2));
    expect(
      fx.t.verifyPin(s, new Uint8Array([0x31, 0x32, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).inner?.sw,
    ).toBe(SW.WRONG_DATA);
    expect(purse(fx).pinTriesLeft).toBe(2);
    expect(verify(fx, s, PIN)).toBe(SW.OK);
    expect(verify(fx, s)).toBe(SW.OK);
    expect(purse(fx).pinTriesLeft).toBe(3);
  });
  it('a failed VERIFY clears the CVM token', () => {
    const fx = activeCard();
    reload(fx, 2_000_000);
    const term = makeTerminal();
    const s = open(fx, term, SessionType.SECURE).session!;
    expect(verify(fx, s, PIN)).toBe(SW.OK);
    expect(verify(fx, s, '0000')).toBe(swWrongPin(2));
    expect(verify(fx, s)).toBe(swWrongPin(2));
    expect(fx.t.debit(s, debitRequest(term, purse(fx).counter, 600_000)).outcome?.reason).toBe(
      SW.CVM_REQUIRED,
    );
  });
  it('three wrong PINs: 63C2, 63C1, 63C0, then 6983 even for the right PIN', () => {
    const fx = activeCard();
    const s = secure(fx);
    expect([verify(fx, s, '1111'), verify(fx, s, '1111'), verify(fx, s, '1111')]).toEqual([
      0x63c2, 0x63c1, 0x63c0,
    ]);
    expect(verify(fx, s, PIN)).toBe(SW.AUTH_METHOD_BLOCKED);
    expect(verify(fx, s)).toBe(SW.AUTH_METHOD_BLOCKED);
  });
  it('the same PIN block in two sessions travels as different ciphertexts; both verify', () => {
    const fx = activeCard();
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) {
      const s = secure(fx);
      const sent: Uint8Array[] = [];
      const inner = fx.t.transmit;
      Object.defineProperty(fx.t, 'transmit', {
        value: (a: Uint8Array) => {
          sent.push(a);
          return inner(a);
        },
        configurable: true,
      });
      expect(verify(fx, s, PIN)).toBe(SW.OK);
      Object.defineProperty(fx.t, 'transmit', { value: inner, configurable: true });
      seen.push(Buffer.from(sent[0]!).toString('hex'));
    }
    expect(seen[0]).not.toBe(seen[1]);
    expect(seen[0]).not.toContain(Buffer.from(encodePinBlock(PIN)).toString('hex'));
  });
});

describe('CHANGE PIN (§6.5)', () => {
  it('wrong old PIN 63C2; the right one changes it and sets the token; malformed new 6A80', () => {
    const fx = activeCard();
    const s = secure(fx);
    const change = (oldPin: string, newBlock: Uint8Array) =>
      fx.t.sm(
        s,
        CLA.ISO_SM,
        INS.CHANGE_PIN,
        0,
        0x81,
        new Uint8Array([...encodePinBlock(oldPin), ...newBlock]),
        {
          encryptCommand: true,
        },
      ).inner?.sw;
    expect(change(PIN, new Uint8Array(8).fill(0x41))).toBe(SW.WRONG_DATA);
    expect(purse(fx).pinTriesLeft).toBe(3);
    expect(change('0000', encodePinBlock('5678'))).toBe(swWrongPin(2));
    expect(change(PIN, encodePinBlock('5678'))).toBe(SW.OK);
    expect(verify(fx, s)).toBe(SW.OK); // token set
    const s2 = secure(fx);
    expect(verify(fx, s2, PIN)).toBe(swWrongPin(2));
    expect(verify(fx, s2, '5678')).toBe(SW.OK);
  });
});

describe('UNBLOCK PIN (§6.6)', () => {
  it('without UNBLOCK_PIN 9F06 and no PUK try; with CLA 0C but no session 6982; plain CLA 6987', () => {
    const fx = activeCard();
    const s = secure(fx, 0x0f);
    expect(unblock(fx, s, PUK, '4321')).toBe(SW.CAPABILITY_MISSING);
    expect(fx.card.persistedState().pukTries).toBe(10);
    expect(fx.t.send(0x00, INS.UNBLOCK_PIN, 0, 0x81, new Uint8Array(16)).sw).toBe(SW.SM_DATA_MISSING);
  });
  it('wrong PUK 63C9; the right one sets the new PIN, tries 3, no token', () => {
    const fx = activeCard();
    const user = secure(fx);
    for (let i = 0; i < 3; i++) verify(fx, user, '0000');
    const s = secure(fx, 0x20, 'HC-0001');
    expect(unblock(fx, s, '87654321', '4321')).toBe(swWrongPin(9));
    expect(unblock(fx, s, PUK, '4321')).toBe(SW.OK);
    expect(purse(fx).pinTriesLeft).toBe(3);
    expect(verify(fx, s)).toBe(swWrongPin(3)); // no token
    expect(verify(fx, s, '4321')).toBe(SW.OK);
  });
  it('ten wrong PUKs: 63C9..63C0, then 6983; the card stays ACTIVE and a no-CVM debit still works', () => {
    const fx = activeCard();
    reload(fx, 10_000);
    const s = secure(fx, 0x21, 'HC-0001');
    const answers = Array.from({ length: 10 }, () => unblock(fx, s, '87654321', '4321'));
    expect(answers).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map(swWrongPin));
    expect(unblock(fx, s, PUK, '4321')).toBe(SW.AUTH_METHOD_BLOCKED);
    expect(purse(fx).pukBlocked).toBe(true);
    expect(fx.t.select().sw).toBe(SW.OK);
    const term = makeTerminal('TRM-9', 1);
    const o = open(fx, term);
    expect(fx.t.debit(o.session!, debitRequest(term, o.purse!.counter, 100)).outcome?.outcome).toBe(1);
  });
});

describe('READ IDENTITY (§6.13)', () => {
  const read = (fx: Fixture, s: TerminalSession) =>
    fx.t.sm(s, CLA.PROPRIETARY_SM, INS.READ_IDENTITY, 0, 0, new Uint8Array(0), { encryptResponse: true });
  it('needs IDENTITY_READ (9F06) and the PIN (9F0E); returns the template encrypted, the token kept', () => {
    const fx = activeCard();
    const noCap = secure(fx, 0x01);
    expect(verify(fx, noCap, PIN)).toBe(SW.OK);
    expect(read(fx, noCap).inner?.sw).toBe(SW.CAPABILITY_MISSING);
    const s = secure(fx);
    expect(read(fx, s).inner?.sw).toBe(SW.CVM_REQUIRED);
    expect(verify(fx, s, PIN)).toBe(SW.OK);
    const sent: Uint8Array[] = [];
    const inner = fx.card.transmit.bind(fx.card);
    const spy = (a: Uint8Array) => {
      const r = inner(a);
      sent.push(r);
      return r;
    };
    Object.defineProperty(fx.t, 'transmit', { value: spy, configurable: true });
    const a = read(fx, s);
    expect(a.inner?.sw).toBe(SW.OK);
    expect(decodeIdentity(a.inner!.payload)).toMatchObject({ name: IDENTITY.name });
    const template = encodeIdentity(IDENTITY);
    const wire = Buffer.from(sent[0]!).toString('hex');
    for (let i = 0; i + 8 <= template.length; i++) {
      expect(wire).not.toContain(Buffer.from(template.subarray(i, i + 8)).toString('hex'));
    }
    expect(verify(fx, s)).toBe(SW.OK); // not consumed
  });
});

describe('remaining status words (§12)', () => {
  it('a valid C-MAC over a payload that does not decrypt to valid padding: inner 6A80, no try spent', () => {
    const fx = activeCard();
    const s = secure(fx);
    // MAC-only wrapping of 16 arbitrary bytes: the card decrypts them as the encrypted PIN block
    const a = fx.t.sm(s, CLA.ISO_SM, INS.VERIFY_PIN, 0, 0x81, new Uint8Array(16).fill(0x5a));
    expect(a.inner?.sw).toBe(SW.WRONG_DATA);
    expect(purse(fx).pinTriesLeft).toBe(3);
    expect(verify(fx, s, PIN)).toBe(SW.OK); // the session survived
  });
  it('READ IDENTITY on a card without an identity: inner 6A88', () => {
    const fx = withState(activeCard(), (st) => {
      delete st.identity;
    });
    const s = secure(fx);
    expect(verify(fx, s, PIN)).toBe(SW.OK);
    const a = fx.t.sm(s, CLA.PROPRIETARY_SM, INS.READ_IDENTITY, 0, 0, new Uint8Array(0), {
      encryptResponse: true,
    });
    expect(a.inner?.sw).toBe(SW.REFERENCED_DATA_NOT_FOUND);
  });
  it('an internal error answers 6F00, changes nothing and ends the session', () => {
    // a state the card can never reach (a record that is neither in the ring nor synced)
    const fx = withState(activeCard(), (st) => {
      st.counter = 5;
    });
    const s = secure(fx);
    const before = Buffer.from(fx.card.persistedImage()).toString('hex');
    expect(fx.t.getTransaction(3).sw).toBe(SW.NO_PRECISE_DIAGNOSIS);
    expect(Buffer.from(fx.card.persistedImage()).toString('hex')).toBe(before);
    expect(fx.t.verifyPin(s).sw).toBe(SW.SECURITY_STATUS_NOT_SATISFIED);
  });
  it('RELOAD with the counter at FFFFFFFF answers 9F0C', () => {
    const fx = withState(activeCard(), (st) => {
      st.counter = 0xffffffff;
      st.syncedThrough = 0xffffffff;
    });
    expect(reload(fx, 1)).toBe(SW.COUNTER_EXHAUSTED);
  });
});
