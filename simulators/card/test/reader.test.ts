import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CardRemovedError, transceive } from '@huduma/apdu';
import {
  AID,
  CLA,
  encodeDebitRequest,
  INS,
  LifeCycle,
  Outcome,
  STATUS_WORD_MEANINGS,
  SW,
  wrapCommand,
} from '@huduma/card-applet-spec';
import { DevPki } from '@huduma/pki';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test/support/random';
import {
  cardKeyAgreementKey,
  createCard,
  HUDUMA_ATR,
  issueTestCard,
  modelledCardTimeMs,
  RawTerminal,
  SimulatedCard,
  SimulatedReader,
  type TestCard,
} from '../src/index';
import { activeCard, debitRequest, hex, makeTerminal, open, reload } from './fixture';

const SEED = Number(process.env.HUDUMA_SEED ?? 20_261_130);
let pki: DevPki;
let base: TestCard;
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'huduma-card-'));
beforeAll(async () => {
  pki = DevPki.inMemory();
  base = await issueTestCard({ pki, balance: 100_000 });
});
afterAll(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

const selectApdu = new Uint8Array([0x00, 0xa4, 0x04, 0x00, AID.length, ...AID]);

describe('issueTestCard (personalization through §7, certified by the dev PKI)', () => {
  it('gives an ACTIVE card with the balance, whose certificate names PK.card and QA.card', async () => {
    const sel = await transceive(base.reader, { cla: 0, ins: INS.SELECT, p1: 4, p2: 0, data: AID });
    expect(sel.sw).toBe(SW.OK);
    expect(base.card.state.lifeCycle).toBe(LifeCycle.ACTIVE);
    expect(base.card.state.balance).toBe(100_000);
    expect(cardKeyAgreementKey(base.certificate)).toEqual(base.cardKeyAgreementKey);
    expect(base.card.installParameters()).toBeUndefined(); // perso keys cleared by FINALIZE
  });
});

describe('SimulatedReader', () => {
  it('throws CardRemovedError with no card, and after a removal mid-command either way', async () => {
    const reader = new SimulatedReader();
    await expect(reader.transmit(selectApdu)).rejects.toBeInstanceOf(CardRemovedError);
    const card = base.card.clone();
    reader.insert(card);
    reader.removeDuringNextCommand({ afterCardProcessed: false });
    await expect(reader.transmit(new Uint8Array([0x80, INS.READ_PURSE, 0, 0]))).rejects.toBeInstanceOf(
      CardRemovedError,
    );
    reader.insert(card);
    reader.removeDuringNextCommand({ afterCardProcessed: true });
    await expect(reader.transmit(selectApdu)).rejects.toBeInstanceOf(CardRemovedError);
    expect(reader.cardPresent).toBe(false);
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

  it('models card time per command: a SECURE session costs more than a TAP one, a DEBIT more than a SELECT', () => {
    const info = (ins: number, p1 = 0) => ({
      ins,
      p1,
      chainSegment: false,
      verifies: 0,
      signs: 0,
      ecdh: 0,
      writes: 0,
    });
    const tap = modelledCardTimeMs(info(INS.OPEN_SESSION, 0), 30, 10);
    const secure = modelledCardTimeMs(info(INS.OPEN_SESSION, 1), 95, 10);
    expect(secure).toBeGreaterThan(tap + 100);
    expect(modelledCardTimeMs(info(INS.DEBIT), 58, 153)).toBeGreaterThan(
      modelledCardTimeMs(info(INS.SELECT), 17, 98),
    );
  });
});

describe('persistence', () => {
  it('a card file survives reopening (a new process sees the same EEPROM)', async () => {
    const file = path.join(tmpDir, 'card.cbor');
    const tc = await issueTestCard({ pki, balance: 4_200, path: file });
    const t = new RawTerminal((a) => tc.card.transmit(a));
    const term = await pki.issueTerminal({ terminalId: 'T-1', merchantId: 'M-1', capabilities: 0x1 });
    const fx = { card: tc.card, t, cardNumber: tc.cardNumber, qaCard: tc.cardKeyAgreementKey };
    const o = open(fx as Parameters<typeof open>[0], term);
    expect(o.sw).toBe(SW.OK);
    const r = t.debit(o.session!, debitRequest({ seq: 0 }, o.purse!.counter, 200));
    expect(r.outcome?.outcome).toBe(Outcome.EXECUTED);
    const reopened = SimulatedCard.open(file);
    expect(reopened.state).toEqual(tc.card.state);
    expect(reopened.state.balance).toBe(4_000);
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
    expect(HUDUMA_ATR.subarray(1).reduce((a, b) => a ^ b, 0)).toBe(0);
  });
});

const KNOWN_SW = new Set(STATUS_WORD_MEANINGS.map((m) => m.sw));
const isPinCounterSw = (sw: number) => (sw & 0xfff0) === 0x63c0;

describe('robustness (fast-check)', () => {
  it(`random and mutated APDUs never throw, answer a known SW, and change nothing when refused (seed ${SEED})`, () => {
    const fx = activeCard();
    reload(fx, 50_000);
    const term = makeTerminal();
    const o = open(fx, term);
    const s = o.session!;
    const debitData = wrapCommand(
      s.keys,
      s.ssc + 1,
      { cla: 0x8c, ins: INS.DEBIT, p1: 0, p2: 0 },
      encodeDebitRequest(debitRequest(term, 1, 5)),
      false,
    );
    const seeds = [
      selectApdu,
      new Uint8Array([0x80, INS.READ_PURSE, 0, 0, 0]),
      new Uint8Array([0x0c, INS.VERIFY_PIN, 0, 0x81, 8, 1, 2, 3, 4, 5, 6, 7, 8]),
      new Uint8Array([0x00, INS.READ_RECORD, 1, 4, 0]),
      new Uint8Array([0x80, INS.GET_TRANSACTION, 0, 0, 12, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8]),
      new Uint8Array([CLA.PROPRIETARY_SM, INS.DEBIT, 0, 0, debitData.length, ...debitData]),
      new Uint8Array([0x90, INS.REGISTER_TERMINAL, 0, 0, 100, ...term.certificate.subarray(0, 100)]),
      new Uint8Array([0x80, INS.OPEN_SESSION, 0, 0, 24, ...new Uint8Array(24)]),
      new Uint8Array([0x8c, INS.STORE_DATA, 1, 0, 24, ...new Uint8Array(24)]),
    ];
    const card0 = fx.card;
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
          const before = hex(card.persistedImage());
          const res = card.transmit(a);
          expect(res.length).toBeGreaterThanOrEqual(2);
          const sw = (res[res.length - 2]! << 8) | res[res.length - 1]!;
          expect(KNOWN_SW.has(sw) || isPinCounterSw(sw), sw.toString(16)).toBe(true);
          if (sw !== SW.OK && sw !== SW.CARD_BLOCKED_SELECTED) {
            expect(hex(card.persistedImage()), `state changed by ${hex(a)} -> ${sw.toString(16)}`).toBe(
              before,
            );
          }
          expect(card.state.lifeCycle).toBe(LifeCycle.ACTIVE);
        }
      }),
      { seed: SEED, numRuns: propertyRuns(1500) },
    );
  });
});
