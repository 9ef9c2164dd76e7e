import { chainCommand, encodeCommand } from '@huduma/apdu';
import {
  BlockReason,
  encodeBlockRequest,
  encodePinBlock,
  encodeTrustedKey,
  generatePrivateKey,
  INS,
  publicKeyOf,
  StoreDataObject,
} from '@huduma/card-applet-spec';
import { DevPki } from '@huduma/pki';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCardState, issueTestCard, PowerLossError, SimulatedCard } from '../src/index';
import {
  authData,
  debit,
  debitBody,
  select,
  send,
  type TestTerminal,
  terminal,
  undebitBody,
} from './helpers';

let pki: DevPki;
let term: TestTerminal;
beforeAll(async () => {
  pki = DevPki.inMemory();
  term = await terminal(pki);
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Sends all segments of a (possibly chained) command but the last; returns the last, to be torn. */
function stage(
  card: SimulatedCard,
  cla: number,
  ins: number,
  p1: number,
  p2: number,
  data?: Uint8Array,
): Uint8Array {
  const parts = chainCommand({ cla, ins, p1, p2, ...(data ? { data } : {}) });
  for (const p of parts.slice(0, -1)) card.transmit(encodeCommand(p));
  return encodeCommand(parts[parts.length - 1]!);
}

interface TearReport {
  points: string[];
  /** Persisted image after a tear at each point, hex. */
  after: string[];
  old: string;
  new: string;
}

/** Tears `apdu` at every one of its tear points on a copy of `card` and records what was persisted. */
function tearEverywhere(card: SimulatedCard, apdu: Uint8Array): TearReport {
  const reference = card.clone();
  const old = hex(reference.persistedImage());
  reference.transmit(apdu);
  const points = [...reference.lastTearPoints];
  const after: string[] = [];
  for (let n = 0; n < points.length; n++) {
    const copy = card.clone();
    const outcome = copy.transmitWithTear(apdu, n);
    expect(outcome.torn, `tear point ${n} (${points[n]}) fired`).toBe(true);
    if (outcome.torn) expect(outcome.error).toBeInstanceOf(PowerLossError);
    // The card reloaded from its persisted image: what it sees equals what survives.
    expect(copy.state).toEqual(copy.persistedState());
    after.push(hex(copy.persistedImage()));
  }
  const beyond = card.clone().transmitWithTear(apdu, points.length);
  expect(beyond.torn).toBe(false);
  return { points, after, old, new: hex(reference.persistedImage()) };
}

function expectOldOrNew(r: TearReport): void {
  expect(r.new).not.toBe(r.old);
  r.after.forEach((image, n) => {
    expect([r.old, r.new], `tear at ${n} (${r.points[n]})`).toContain(image);
  });
  // Both outcomes occur: the commit point is really inside the command.
  expect(r.after).toContain(r.old);
  expect(r.after).toContain(r.new);
}

describe('power loss at every tear point leaves the old or the new state', () => {
  it('DEBIT (chained, certificate not yet cached)', async () => {
    const tc = await issueTestCard({ pki, balance: 50_000 });
    const { fci } = select(tc.card);
    const apdu = stage(
      tc.card,
      0x80,
      INS.DEBIT,
      0,
      0,
      authData(term, INS.DEBIT, fci.challenge, tc.cardNumber, debitBody(1_000, 1)),
    );
    const r = tearEverywhere(tc.card, apdu);
    expect(r.points).toEqual(['command-start', 'debit-signed', 'before-write:debit', 'after-write:debit']);
    expectOldOrNew(r);
    const torn = decodeCardState(Buffer.from(r.after[2]!, 'hex'));
    expect(torn.balance).toBe(50_000);
    const done = decodeCardState(Buffer.from(r.after[3]!, 'hex'));
    expect([done.balance, done.counter, done.offlineSpend, done.ring.length]).toEqual([49_000, 2, 1_000, 2]);
  });

  it('UNDEBIT', async () => {
    const tc = await issueTestCard({ pki, balance: 50_000 });
    debit(tc.card, term, tc.cardNumber, 1_000, 1);
    const { fci } = select(tc.card);
    const apdu = stage(
      tc.card,
      0x80,
      INS.UNDEBIT,
      0,
      0,
      authData(term, INS.UNDEBIT, fci.challenge, tc.cardNumber, undebitBody(2, 1_000, 2)),
    );
    expectOldOrNew(tearEverywhere(tc.card, apdu));
  });

  it('RELOAD', async () => {
    const tc = await issueTestCard({ pki, balance: 50_000 });
    const { fci } = select(tc.card);
    const auth = await pki.authorizeLoad({
      cardNumber: tc.cardNumber,
      cardCounter: fci.purse.counter,
      cardChallenge: fci.challenge,
      amount: 700,
      time: 1,
      terminalId: 'ISSUER',
      terminalSeq: 2,
      terminalNonce: new Uint8Array(8),
      loadRef: 'X',
    });
    const r = tearEverywhere(tc.card, stage(tc.card, 0x80, INS.RELOAD, 0, 0, auth));
    expect(r.points).toContain('reload-signed');
    expectOldOrNew(r);
  });

  it('BLOCK CARD', async () => {
    const tc = await issueTestCard({ pki });
    const { fci } = select(tc.card);
    const body = encodeBlockRequest({ reason: BlockReason.FRAUD_SUSPECTED, terminalSeq: 1, time: 1 });
    expectOldOrNew(
      tearEverywhere(
        tc.card,
        stage(
          tc.card,
          0x80,
          INS.BLOCK_CARD,
          0,
          0,
          authData(term, INS.BLOCK_CARD, fci.challenge, tc.cardNumber, body),
        ),
      ),
    );
  });

  it('CHANGE PIN and UNBLOCK PIN (try counter write, then the change)', async () => {
    const tc = await issueTestCard({ pki });
    verify(tc.card, '0000');
    for (const [ins, data] of [
      [INS.CHANGE_PIN, [...encodePinBlock('1234'), ...encodePinBlock('4321')]],
      [INS.UNBLOCK_PIN, [...encodePinBlock('12345678', 'PUK'), ...encodePinBlock('4321')]],
    ] as const) {
      const apdu = stage(tc.card, 0x00, ins, 0, 0x81, new Uint8Array(data));
      const r = tearEverywhere(tc.card, apdu);
      const states = r.after.map((h) => decodeCardState(Buffer.from(h, 'hex')));
      const old = decodeCardState(Buffer.from(r.old, 'hex'));
      for (const [n, s] of states.entries()) {
        // old, new, or old with one try consumed (the write before the comparison).
        const tries = ins === INS.CHANGE_PIN ? s.pinTries : s.pukTries;
        if (r.after[n] === r.old || r.after[n] === r.new) continue;
        expect(tries, r.points[n]).toBe((ins === INS.CHANGE_PIN ? old.pinTries : old.pukTries) - 1);
        expect(s.pinBlock).toEqual(old.pinBlock);
      }
      expect(r.after).toContain(r.new);
    }
  });

  it('STORE DATA, GENERATE KEY PAIR and FINALIZE', async () => {
    const fixedKey = generatePrivateKey();
    const card = SimulatedCard.create(undefined, { generatePrivateKey: () => fixedKey });
    expectOldOrNew(tearEverywhere(card, stage(card, 0x80, INS.GENERATE_KEY_PAIR, 0, 0)));
    card.transmit(stage(card, 0x80, INS.GENERATE_KEY_PAIR, 0, 0));
    const cardNumber = '8404000000000013';
    const bcd = Buffer.from(cardNumber, 'hex');
    expectOldOrNew(
      tearEverywhere(card, stage(card, 0x80, INS.STORE_DATA, StoreDataObject.CARD_NUMBER, 0, bcd)),
    );
    const blank = SimulatedCard.create(undefined, { generatePrivateKey: () => fixedKey });
    const steps: Array<[number, Uint8Array]> = [];
    expect(send(blank, 0x80, INS.GENERATE_KEY_PAIR, 0, 0).data).toEqual(publicKeyOf(fixedKey));
    steps.push([StoreDataObject.CARD_NUMBER, bcd]);
    steps.push([StoreDataObject.PURSE_PARAMETERS, new Uint8Array([0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0])]);
    steps.push([StoreDataObject.PIN, encodePinBlock('1234')]);
    steps.push([StoreDataObject.PUK, encodePinBlock('12345678', 'PUK')]);
    for (const [o, d] of steps) expect(send(blank, 0x80, INS.STORE_DATA, o, 0, d).sw).toBe(0x9000);
    for (const k of pki.trustedKeysForCard())
      send(blank, 0x80, INS.STORE_DATA, StoreDataObject.TRUSTED_KEY, 0, encodeTrustedKey(k));
    const cert = await pki.issueCardCertificate({ cardNumber, publicKey: publicKeyOf(fixedKey) });
    expectOldOrNew(
      tearEverywhere(blank, stage(blank, 0x80, INS.STORE_DATA, StoreDataObject.CARD_CERTIFICATE, 0, cert)),
    );
    expect(send(blank, 0x80, INS.STORE_DATA, StoreDataObject.CARD_CERTIFICATE, 0, cert).sw).toBe(0x9000);
    expectOldOrNew(tearEverywhere(blank, stage(blank, 0x80, INS.FINALIZE, 0, 0)));
  });
});

function verify(card: SimulatedCard, pin: string) {
  return send(card, 0x00, INS.VERIFY_PIN, 0, 0x81, encodePinBlock(pin));
}

describe('VERIFY PIN under power loss', () => {
  it('a wrong PIN: the try is spent at every tear point from the write on; never restored', async () => {
    const tc = await issueTestCard({ pki });
    const apdu = stage(tc.card, 0x00, INS.VERIFY_PIN, 0, 0x81, encodePinBlock('9999'));
    const r = tearEverywhere(tc.card, apdu);
    expect(r.points).toEqual([
      'command-start',
      'before-write:pin-try',
      'after-write:pin-try',
      'pin-compared',
    ]);
    const tries = r.after.map((h) => decodeCardState(Buffer.from(h, 'hex')).pinTries);
    expect(tries).toEqual([3, 3, 2, 2]);
    expectOldOrNew(r);
  });

  it('the right PIN: a tear after the comparison leaves the try spent or the counter reset, never more tries', async () => {
    const tc = await issueTestCard({ pki });
    verify(tc.card, '0000'); // 2 tries left
    const r = tearEverywhere(tc.card, stage(tc.card, 0x00, INS.VERIFY_PIN, 0, 0x81, encodePinBlock('1234')));
    const tries = r.after.map((h) => decodeCardState(Buffer.from(h, 'hex')).pinTries);
    const compared = r.points.indexOf('pin-compared');
    expect(compared).toBeGreaterThan(0);
    expect(tries.slice(0, 2)).toEqual([2, 2]);
    expect(tries.slice(2, compared + 1).every((t) => t === 1)).toBe(true);
    expect(tries[tries.length - 1]).toBe(3);
  });
});
