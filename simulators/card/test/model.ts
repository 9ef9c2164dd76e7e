import { CardRemovedError, transceive } from '@huduma/apdu';
import {
  AID,
  decodePurse,
  decodeRecoveryResponse,
  decodeSelectResponse,
  decodeTransactionProof,
  encodePinBlock,
  encodeRecoveryRequest,
  INS,
  SW,
  TxType,
} from '@huduma/card-applet-spec';
import type { DevPki } from '@huduma/pki';
import fc from 'fast-check';
import type { SimulatedCard, SimulatedReader } from '../src/index';
import { authData, debitBody, type TestTerminal, undebitBody } from './helpers';

export type Fault =
  | { kind: 'none' }
  | { kind: 'tear'; at: number }
  | { kind: 'remove'; afterCardProcessed: boolean };
export type Op =
  | { kind: 'debit'; amount: number; fault: Fault; retry: boolean }
  | { kind: 'undebit'; fault: Fault }
  | { kind: 'reload'; amount: number; fault: Fault }
  | { kind: 'verify'; correct: boolean; fault: Fault };

const fault: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Fault>({ kind: 'none' }) },
  { weight: 2, arbitrary: fc.nat(6).map<Fault>((at) => ({ kind: 'tear', at })) },
  {
    weight: 1,
    arbitrary: fc.boolean().map<Fault>((afterCardProcessed) => ({ kind: 'remove', afterCardProcessed })),
  },
);

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('debit' as const),
    amount: fc.integer({ min: 1, max: 40_000 }),
    fault,
    retry: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('undebit' as const), fault }),
  fc.record({ kind: fc.constant('reload' as const), amount: fc.integer({ min: 0, max: 60_000 }), fault }),
  fc.record({ kind: fc.constant('verify' as const), correct: fc.boolean(), fault }),
);

export interface ModelContext {
  pki: DevPki;
  term: TestTerminal;
  card: SimulatedCard;
  reader: SimulatedReader;
  cardNumber: string;
  pin: string;
}

interface Model {
  balance: number;
  counter: number;
  offlineSpend: number;
  lastDebit?: { counter: number; amount: number };
  loads: number;
  debits: number;
  undebits: number;
}

const TIME = 1_750_000_000;

export async function runModelSequence(ctx: ModelContext, ops: Op[]): Promise<void> {
  const { card, reader, term } = ctx;
  const purse0 = card.state;
  const m: Model = {
    balance: purse0.balance,
    counter: purse0.counter,
    offlineSpend: purse0.offlineSpend,
    loads: 0,
    debits: 0,
    undebits: 0,
  };
  const initial = m.balance;
  let issuerSeq = 1_000;
  const ensureCard = () => {
    if (!reader.cardPresent) reader.reinsert();
  };
  const arm = (f: Fault) => {
    if (f.kind === 'tear') card.armTear(f.at);
    if (f.kind === 'remove') reader.removeDuringNextCommand({ afterCardProcessed: f.afterCardProcessed });
  };
  const selectCard = async () => {
    ensureCard();
    const res = await transceive(reader, { cla: 0, ins: INS.SELECT, p1: 4, p2: 0, data: AID, le: 256 });
    if (res.sw !== SW.OK) throw new Error(`SELECT ${res.sw.toString(16)}`);
    return decodeSelectResponse(res.data);
  };
  /** Runs a command with a fault armed; returns undefined when the host cannot know the outcome. */
  const faulty = async (f: Fault, run: () => Promise<{ sw: number; data: Uint8Array }>) => {
    arm(f);
    try {
      return await run();
    } catch (err) {
      if (err instanceof CardRemovedError) return undefined;
      throw err;
    } finally {
      card.disarmTear();
    }
  };
  const recover = async (terminalId: string, seq: number) => {
    await selectCard();
    const req = encodeRecoveryRequest({ terminalId, terminalSeq: seq, terminalNonce: new Uint8Array(8) });
    const res = await transceive(reader, {
      cla: 0x80,
      ins: INS.GET_LAST_TRANSACTION,
      p1: 0,
      p2: 0,
      data: req,
      le: 256,
    });
    if (res.sw !== SW.OK) throw new Error(`GET LAST TRANSACTION ${res.sw.toString(16)}`);
    const r = decodeRecoveryResponse(res.data);
    return r.found ? r.recordBytes! : undefined;
  };
  const apply = (recordBytes: Uint8Array) => {
    const rec = decodeTransactionProof(
      new Uint8Array([...recordBytes.subarray(0, 63), ...new Uint8Array(64)]),
    ).record;
    if (rec.counter !== m.counter + 1)
      throw new Error(`counter ${rec.counter} after ${m.counter}: not strictly +1`);
    m.counter = rec.counter;
    if (rec.type === TxType.DEBIT) {
      m.balance -= rec.amount;
      m.offlineSpend += rec.amount;
      m.debits += rec.amount;
      m.lastDebit = { counter: rec.counter, amount: rec.amount };
    } else if (rec.type === TxType.UNDEBIT) {
      m.balance += rec.amount;
      m.offlineSpend = Math.max(0, m.offlineSpend - rec.amount);
      m.undebits += rec.amount;
      m.lastDebit = undefined;
    } else {
      m.balance += rec.amount;
      m.offlineSpend = 0;
      m.loads += rec.amount;
      m.lastDebit = undefined;
    }
    if (rec.balanceAfter !== m.balance)
      throw new Error(`record balance ${rec.balanceAfter} != model ${m.balance}`);
  };

  for (const op of ops) {
    if (op.kind === 'debit' || op.kind === 'undebit') {
      const seq = ++term.seq;
      const isDebit = op.kind === 'debit';
      const amount = isDebit ? op.amount : (m.lastDebit?.amount ?? 1);
      const body = isDebit
        ? debitBody(amount, seq, { time: TIME })
        : undebitBody(m.lastDebit?.counter ?? 1, amount, seq, TIME + 10);
      const ins = isDebit ? INS.DEBIT : INS.UNDEBIT;
      const send = async () => {
        const fci = await selectCard();
        return transceive(reader, {
          cla: 0x80,
          ins,
          p1: 0,
          p2: 0,
          data: authData(term, ins, fci.challenge, ctx.cardNumber, body),
          le: 256,
        });
      };
      let expected: number = SW.OK;
      if (isDebit) {
        if (m.balance < amount) expected = SW.INSUFFICIENT_FUNDS;
        else if (m.offlineSpend + amount > purse0.offlineLimit) expected = SW.OFFLINE_LIMIT_EXCEEDED;
      } else if (!m.lastDebit) expected = SW.UNDEBIT_REFUSED;
      let res = await faulty(op.fault, send);
      if (res === undefined) {
        // Unknown outcome: retry the same (terminal, seq), or ask the card.
        if (isDebit && op.retry) res = await send();
        else {
          const found = await recover(term.terminalId, seq);
          if (found) apply(found);
          else if (card.state.counter !== m.counter)
            throw new Error('not found in the ring but the counter moved');
          continue;
        }
      }
      if (res.sw !== expected)
        throw new Error(
          `${op.kind} ${amount}: SW ${res.sw.toString(16)}, model expected ${expected.toString(16)}`,
        );
      if (res.sw === SW.OK) apply(res.data);
    } else if (op.kind === 'reload') {
      const seq = ++issuerSeq;
      const expected = m.balance + op.amount > purse0.maxBalance ? SW.MAX_BALANCE_EXCEEDED : SW.OK;
      const res = await faulty(op.fault, async () => {
        const fci = await selectCard();
        const auth = await ctx.pki.authorizeLoad({
          cardNumber: ctx.cardNumber,
          cardCounter: fci.purse.counter,
          cardChallenge: fci.challenge,
          amount: op.amount,
          time: TIME,
          terminalId: 'ISSUER',
          terminalSeq: seq,
          terminalNonce: new Uint8Array(8),
          loadRef: `L${seq}`,
        });
        return transceive(reader, { cla: 0x80, ins: INS.RELOAD, p1: 0, p2: 0, data: auth, le: 256 });
      });
      if (res === undefined) {
        const found = await recover('ISSUER', seq);
        if (found) apply(found);
        continue;
      }
      if (res.sw !== expected)
        throw new Error(
          `reload ${op.amount}: SW ${res.sw.toString(16)}, model expected ${expected.toString(16)}`,
        );
      if (res.sw === SW.OK) apply(res.data);
    } else {
      await selectCard();
      const triesBefore = card.state.pinTries;
      if (!op.correct && triesBefore <= 1) continue; // keep the card usable
      const res = await faulty(op.fault, () =>
        transceive(reader, {
          cla: 0,
          ins: INS.VERIFY_PIN,
          p1: 0,
          p2: 0x81,
          data: encodePinBlock(op.correct ? ctx.pin : '0000'),
        }),
      );
      ensureCard();
      const tries = card.state.pinTries;
      if (!op.correct) {
        // A wrong guess costs a try as soon as the card compared; a tear never gives it back.
        if (res !== undefined && (res.sw !== (0x63c0 | (triesBefore - 1)) || tries !== triesBefore - 1)) {
          throw new Error(`wrong PIN: SW ${res.sw.toString(16)}, tries ${tries} (before ${triesBefore})`);
        }
        if (tries > triesBefore || tries < triesBefore - 1)
          throw new Error(`tries ${tries} after ${triesBefore}`);
      } else if (res !== undefined && (res.sw !== SW.OK || tries !== 3)) {
        throw new Error(`right PIN: SW ${res.sw.toString(16)}, tries ${tries}`);
      }
    }
    // After every step the card agrees with the host's tally.
    ensureCard();
    await selectCard();
    const p = decodePurse(
      (await transceive(reader, { cla: 0x80, ins: INS.READ_PURSE, p1: 0, p2: 0, le: 28 })).data,
    );
    if (p.balance !== m.balance || p.counter !== m.counter || p.offlineSpend !== m.offlineSpend) {
      throw new Error(`card ${JSON.stringify(p)} disagrees with model ${JSON.stringify(m)}`);
    }
    if (m.balance !== initial + m.loads - m.debits + m.undebits) throw new Error('tally does not add up');
  }
}
