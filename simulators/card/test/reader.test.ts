import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CardRemovedError, transceive } from '@huduma/apdu';
import { AID, INS, LifeCycle, STATUS_WORD_MEANINGS, SW } from '@huduma/card-applet-spec';
import { DevPki } from '@huduma/pki';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCard,
  HUDUMA_ATR,
  issueTestCard,
  SimulatedCard,
  SimulatedReader,
  type TestCard,
} from '../src/index';
import { authData, debit, debitBody, select, send, type TestTerminal, terminal } from './helpers';

let pki: DevPki;
let term: TestTerminal;
let base: TestCard;
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'huduma-card-'));
beforeAll(async () => {
  pki = DevPki.inMemory();
  term = await terminal(pki);
  base = await issueTestCard({ pki, balance: 100_000 });
});
afterAll(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

const selectApdu = new Uint8Array([0x00, 0xa4, 0x04, 0x00, AID.length, ...AID]);

describe('SimulatedReader', () => {
  it('throws CardRemovedError with no card, and after a removal mid-command either way', async () => {
    const reader = new SimulatedReader();
    await expect(reader.transmit(selectApdu)).rejects.toBeInstanceOf(CardRemovedError);
    const card = base.card.clone();
    reader.insert(card);
    const { fci } = select(card);
    const data = authData(term, INS.DEBIT, fci.challenge, base.cardNumber, debitBody(100, 1));
    reader.removeDuringNextCommand({ afterCardProcessed: false });
    await expect(
      transceive(reader, { cla: 0x80, ins: INS.DEBIT, p1: 0, p2: 0, data }),
    ).rejects.toBeInstanceOf(CardRemovedError);
    expect(card.state.balance).toBe(100_000);
    reader.insert(card);
    const f2 = select(card).fci;
    const data2 = authData(term, INS.DEBIT, f2.challenge, base.cardNumber, debitBody(100, 1));
    reader.removeDuringNextCommand({ afterCardProcessed: true });
    await expect(reader.transmit(new Uint8Array([0x80, INS.READ_PURSE, 0, 0]))).rejects.toBeInstanceOf(
      CardRemovedError,
    );
    expect(reader.cardPresent).toBe(false);
    reader.insert(card);
    // removal lost the challenge: the authenticated command now needs a new one
    expect(send(card, 0x80, INS.DEBIT, 0, 0, data2).sw).toBe(SW.SECURITY_STATUS_NOT_SATISFIED);
    const f3 = select(card).fci;
    const data3 = authData(term, INS.DEBIT, f3.challenge, base.cardNumber, debitBody(100, 1));
    const parts = [data3.subarray(0, 255), data3.subarray(255)];
    await reader.transmit(new Uint8Array([0x90, INS.DEBIT, 0, 0, 255, ...parts[0]!]));
    reader.removeDuringNextCommand({ afterCardProcessed: true });
    await expect(
      reader.transmit(new Uint8Array([0x80, INS.DEBIT, 0, 0, parts[1]!.length, ...parts[1]!])),
    ).rejects.toBeInstanceOf(CardRemovedError);
    expect(card.state.balance).toBe(99_900);
  });

  it('turns an injected power loss into CardRemovedError and a removed card', async () => {
    const reader = new SimulatedReader();
    const card = base.card.clone();
    reader.insert(card);
    card.armTear(0);
    await expect(reader.transmit(selectApdu)).rejects.toBeInstanceOf(CardRemovedError);
    expect(reader.cardPresent).toBe(false);
    reader.reinsert();
    expect((await transceive(reader, { cla: 0, ins: INS.SELECT, p1: 4, p2: 0, data: AID })).sw).toBe(SW.OK);
  });

  it('models typical card time: a debit on a new terminal costs one more ECDSA verify', async () => {
    const reader = new SimulatedReader({ latency: 0.01 });
    const card = base.card.clone();
    reader.insert(card);
    const t2 = await terminal(pki, 'T-LAT');
    const tap = async () => {
      const before = reader.modelledTimeMs;
      const sel = await transceive(reader, { cla: 0, ins: INS.SELECT, p1: 4, p2: 0, data: AID, le: 256 });
      const { decodeSelectResponse } = await import('@huduma/card-applet-spec');
      const ch = decodeSelectResponse(sel.data).challenge;
      const res = await transceive(reader, {
        cla: 0x80,
        ins: INS.DEBIT,
        p1: 0,
        p2: 0,
        data: authData(t2, INS.DEBIT, ch, base.cardNumber, debitBody(10, ++t2.seq)),
        le: 256,
      });
      expect(res.sw).toBe(SW.OK);
      return reader.modelledTimeMs - before;
    };
    const first = await tap();
    const second = await tap();
    expect(first - second).toBeCloseTo(100, 5);
    // SELECT 12 + chain segment 4 + DEBIT 200 + bytes on the wire
    expect(second).toBeGreaterThan(216);
    expect(second).toBeLessThan(216 + 600 * 0.09);
  });
});

describe('persistence', () => {
  it('a card file survives reopening (a new process sees the same EEPROM)', async () => {
    const file = path.join(tmpDir, 'card.cbor');
    const tc = await issueTestCard({ pki, balance: 4_200, path: file });
    expect(debit(tc.card, term, tc.cardNumber, 200, 1).sw).toBe(SW.OK);
    const reopened = SimulatedCard.open(file);
    expect(reopened.state).toEqual(tc.card.state);
    expect(reopened.state.balance).toBe(4_000);
    expect(select(reopened).fci.purse.counter).toBe(2);
    expect(fs.readdirSync(tmpDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(() => SimulatedCard.create(file)).toThrow(/already exists/);
    const virtual = createCard({ cardPath: file });
    expect(virtual.atr).toEqual(HUDUMA_ATR);
    virtual.powerOn();
    const res = await virtual.transmit(selectApdu);
    expect(res.slice(-2)).toEqual(new Uint8Array([0x90, 0x00]));
  });

  it('ATR is T=1 with historical bytes HUDUMA and a correct TCK', () => {
    expect(Buffer.from(HUDUMA_ATR).toString('hex')).toBe('3b868001485544554d4107');
    expect(HUDUMA_ATR[0]).toBe(0x3b);
    expect(new TextDecoder().decode(HUDUMA_ATR.subarray(4, 10))).toBe('HUDUMA');
    expect(HUDUMA_ATR.subarray(1).reduce((a, b) => a ^ b, 0)).toBe(0);
  });
});

const KNOWN_SW = new Set(STATUS_WORD_MEANINGS.map((m) => m.sw));
const isPinCounterSw = (sw: number) => (sw & 0xfff0) === 0x63c0 || sw === SW.AUTH_METHOD_BLOCKED;

describe('robustness (fast-check)', () => {
  it('random and mutated APDUs never throw, answer a known SW, and never change state when refused', async () => {
    const card0 = base.card.clone();
    // cache the terminal certificate so a refused authenticated command has nothing to remember
    debit(card0, term, base.cardNumber, 1, 900);
    const { fci } = select(card0);
    const seeds = [
      selectApdu,
      new Uint8Array([0x80, INS.READ_PURSE, 0, 0, 0]),
      new Uint8Array([0x00, INS.VERIFY_PIN, 0, 0x81, 8, 0x31, 0x32, 0x33, 0x34, 0xff, 0xff, 0xff, 0xff]),
      new Uint8Array([0x00, INS.READ_RECORD, 1, 4, 0]),
      new Uint8Array([0x80, INS.GET_LAST_TRANSACTION, 0, 0, 20, ...new Uint8Array(20).fill(0x41)]),
      new Uint8Array([
        0x90,
        INS.DEBIT,
        0,
        0,
        255,
        ...authData(term, INS.DEBIT, fci.challenge, base.cardNumber, debitBody(5, 901)).subarray(0, 255),
      ]),
      new Uint8Array([0x80, INS.STORE_DATA, 1, 0, 8, 0x84, 4, 0, 0, 0, 0, 0, 0x13]),
      new Uint8Array([0x80, INS.FINALIZE, 0, 0]),
    ];
    const mutated = fc
      .tuple(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(300),
      )
      .map(([seed, edits, cut]) => {
        const b = seed.slice(0, Math.max(0, seed.length - (cut % 7 === 0 ? cut % seed.length : 0)));
        for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
        return b;
      });
    const apdu = fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated);
    fc.assert(
      fc.property(fc.array(apdu, { minLength: 1, maxLength: 4 }), (apdus) => {
        const card = card0.clone();
        for (const a of apdus) {
          const before = Buffer.from(card.persistedImage());
          let res: Uint8Array;
          try {
            res = card.transmit(a);
          } catch (err) {
            throw new Error(`threw ${(err as Error).message} for ${Buffer.from(a).toString('hex')}`);
          }
          expect(res.length).toBeGreaterThanOrEqual(2);
          const sw = (res[res.length - 2]! << 8) | res[res.length - 1]!;
          expect(KNOWN_SW.has(sw) || isPinCounterSw(sw), sw.toString(16)).toBe(true);
          if (sw !== SW.OK && !isPinCounterSw(sw) && sw !== SW.SELECTED_FILE_DEACTIVATED) {
            expect(
              Buffer.from(card.persistedImage()).equals(before),
              `state changed by ${Buffer.from(a).toString('hex')} -> ${sw.toString(16)}`,
            ).toBe(true);
          }
          expect(card.state.lifeCycle).not.toBe(LifeCycle.PERSONALIZATION);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
