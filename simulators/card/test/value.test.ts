/** Value commands, records and recovery: SPEC.md §6.8–6.12, §6.14, §2.12 (checks 44–86, 104–110 of §16). */
import {
  CURRENCY_KES,
  cardNumberFromAccount,
  decodeGetTransactionResponse,
  decodeTransactionProof,
  decodeValueResponse,
  encodeDebitRequest,
  encodePinBlock,
  INS,
  LifeCycle,
  Outcome,
  SessionType,
  SW,
  TransactionStatus,
  TxType,
  verifyRecoveryAttestation,
  verifyTransactionProof,
} from '@huduma/card-applet-spec';
import { describe, expect, it } from 'vitest';
import type { TerminalSession } from '../src/index';
import {
  activeCard,
  debitRequest,
  type Fixture,
  loadAuthorization,
  makeTerminal,
  NOW,
  open,
  PIN,
  purse,
  reload,
  withState,
} from './fixture';

function funded(amount = 1_000_000): Fixture {
  const fx = activeCard();
  expect(reload(fx, amount)).toBe(SW.OK);
  return fx;
}

const outcomeOf = (fx: Fixture, s: TerminalSession, req: Parameters<Fixture['t']['debit']>[1]) =>
  fx.t.debit(s, req).outcome!;

describe('DEBIT (§6.8)', () => {
  it('EXECUTED in a TAP session with a verifiable proof (currency, cvm 00); in a SECURE session too', () => {
    const fx = funded();
    const term = makeTerminal();
    for (const type of [SessionType.TAP, SessionType.SECURE] as const) {
      const o = open(fx, term, type);
      const out = outcomeOf(fx, o.session!, debitRequest(term, o.purse!.counter, 1_500));
      expect(out.outcome).toBe(Outcome.EXECUTED);
      if (out.outcome !== Outcome.EXECUTED) return;
      expect(out.counter).toBe(o.purse!.counter + 1);
      expect(out.proof.record.currency).toBe(CURRENCY_KES);
      expect(out.proof.record.cvm).toBe(0);
      expect(verifyTransactionProof(fx.cardNumber, out.proof, fx.signingKey)).toBe(true);
    }
    expect(purse(fx).balance).toBe(1_000_000 - 3_000);
  });
  it('the identical request in a new session is ALREADY_APPLIED with the identical proof; debited once', () => {
    const fx = funded();
    const term = makeTerminal();
    const o = open(fx, term);
    const req = debitRequest(term, o.purse!.counter, 700);
    const first = outcomeOf(fx, o.session!, req);
    const again = outcomeOf(fx, open(fx, term).session!, req);
    expect(again.outcome).toBe(Outcome.ALREADY_APPLIED);
    if (first.outcome !== Outcome.EXECUTED || again.outcome !== Outcome.ALREADY_APPLIED) return;
    expect(again.proof.recordBytes).toEqual(first.proof.recordBytes);
    expect(again.proof.signature).toEqual(first.proof.signature);
    expect(purse(fx).balance).toBe(1_000_000 - 700);
  });
  it('STALE for another expectedCounter; SEQUENCE_REUSED for the same seq with another amount', () => {
    const fx = funded();
    const term = makeTerminal();
    const o = open(fx, term);
    const c = o.purse!.counter;
    expect(outcomeOf(fx, o.session!, debitRequest(term, c + 5, 10))).toMatchObject({
      outcome: Outcome.STALE,
      reason: SW.STALE_COUNTER,
      counter: c,
    });
    const req = debitRequest(term, c, 10);
    outcomeOf(fx, o.session!, req);
    expect(outcomeOf(fx, o.session!, { ...req, amount: 11 })).toMatchObject({
      outcome: Outcome.REFUSED,
      reason: SW.SEQUENCE_REUSED,
    });
  });
  it('a long gap: 31 other transactions, a sync and 5 more later the repeat is STALE, never EXECUTED', () => {
    const fx = funded();
    const term = makeTerminal();
    const other = makeTerminal('TRM-OTH');
    const o = open(fx, term);
    const req = debitRequest(term, o.purse!.counter, 123);
    fx.t.debit(o.session!, req); // the response is "lost"
    const so = open(fx, other).session!;
    const step = () => fx.t.debit(so, debitRequest(other, purse(fx).counter, 1));
    for (let i = 0; i < 30; i++) expect(step().outcome?.outcome).toBe(Outcome.EXECUTED);
    expect(reload(fx, 0)).toBe(SW.OK);
    const so2 = open(fx, other).session!;
    for (let i = 0; i < 5; i++) fx.t.debit(so2, debitRequest(other, purse(fx).counter, 1));
    const balance = purse(fx).balance;
    for (let i = 0; i < 3; i++) {
      const r = outcomeOf(fx, open(fx, term).session!, req).outcome;
      expect([Outcome.STALE, Outcome.ALREADY_APPLIED]).toContain(r);
    }
    expect(purse(fx).balance).toBe(balance);
  });
  it('refusals: capability 9F06, amount 0 / bad body 6A80, currency 9F15, funds 9F01, offline limit 9F03', () => {
    const fx = funded(3_000_000);
    const noDebit = makeTerminal('TRM-ND', 0x02);
    const od = open(fx, noDebit);
    expect(outcomeOf(fx, od.session!, debitRequest(noDebit, od.purse!.counter, 1)).reason).toBe(
      SW.CAPABILITY_MISSING,
    );
    const term = makeTerminal();
    const o = open(fx, term, SessionType.SECURE);
    const c = o.purse!.counter;
    const refuse = (req: ReturnType<typeof debitRequest>) => outcomeOf(fx, o.session!, req);
    expect(refuse(debitRequest(term, c, 0)).reason).toBe(SW.WRONG_DATA);
    const badBill = encodeDebitRequest(debitRequest(term, c, 5));
    badBill[27] = 0x07; // a non-printable byte in billRef
    const a = fx.t.sm(o.session!, 0x8c, INS.DEBIT, 0, 0, badBill);
    expect(decodeValueResponse(a.inner!.payload).reason).toBe(SW.WRONG_DATA);
    expect(refuse(debitRequest(term, c, 5, { currency: 0x0840 })).reason).toBe(SW.CURRENCY_MISMATCH);
    expect(refuse(debitRequest(term, c, 3_000_001)).reason).toBe(SW.INSUFFICIENT_FUNDS);
    expect(fx.t.verifyPin(o.session!, encodePinBlock(PIN)).inner?.sw).toBe(SW.OK);
    expect(refuse(debitRequest(term, c, 2_000_001)).reason).toBe(SW.OFFLINE_LIMIT_EXCEEDED);
    expect(purse(fx).counter).toBe(c);
  });
  it('noCvmSpend + amount ≥ 2³² (limits FFFFFFFF) is refused 9F0E, not executed (§16 #56)', () => {
    const fx = withState(activeCard(), (s) => {
      s.maxBalance = 0xffffffff;
      s.offlineLimit = 0xffffffff;
      s.cvmLimit = 0xffffffff;
      s.noCvmLimit = 0xffffffff;
    });
    const term = makeTerminal();
    expect(reload(fx, 0xffffffff)).toBe(SW.OK);
    expect(
      fx.t.debit(open(fx, term).session!, debitRequest(term, purse(fx).counter, 0x80000000)).outcome?.outcome,
    ).toBe(Outcome.EXECUTED);
    expect(reload(fx, 0x80000000)).toBe(SW.OK); // offlineSpend := 0, noCvmSpend stays 0x80000000
    const o = open(fx, term);
    expect(outcomeOf(fx, o.session!, debitRequest(term, o.purse!.counter, 0x80000000)).reason).toBe(
      SW.CVM_REQUIRED,
    );
    expect(purse(fx).balance).toBe(0xffffffff);
  });
  it('CVM: above cvmLimit 9F0E; after VERIFY PIN executed with cvm 01, once; a refusal does not consume the token', () => {
    const fx = funded(3_000_000);
    const term = makeTerminal();
    const o = open(fx, term, SessionType.SECURE);
    const s = o.session!;
    expect(outcomeOf(fx, s, debitRequest(term, o.purse!.counter, 600_000)).reason).toBe(SW.CVM_REQUIRED);
    expect(fx.t.verifyPin(s, encodePinBlock(PIN)).inner?.sw).toBe(SW.OK);
    expect(outcomeOf(fx, s, debitRequest(term, o.purse!.counter, 5_000_000)).reason).toBe(
      SW.INSUFFICIENT_FUNDS,
    );
    const ok = outcomeOf(fx, s, debitRequest(term, o.purse!.counter, 600_000));
    expect(ok.outcome).toBe(Outcome.EXECUTED);
    if (ok.outcome === Outcome.EXECUTED) expect(ok.proof.record.cvm).toBe(1);
    expect(outcomeOf(fx, s, debitRequest(term, purse(fx).counter, 600_000)).reason).toBe(SW.CVM_REQUIRED);
    // SELECT / a new session clears the token
    expect(fx.t.verifyPin(s, encodePinBlock(PIN)).inner?.sw).toBe(SW.OK);
    const o2 = open(fx, term, SessionType.SECURE);
    expect(outcomeOf(fx, o2.session!, debitRequest(term, o2.purse!.counter, 600_000)).reason).toBe(
      SW.CVM_REQUIRED,
    );
  });
  it('cumulative: small debits are refused 9F0E once noCvmSpend would pass noCvmLimit; VERIFY PIN resets it', () => {
    const fx = funded(3_000_000);
    const term = makeTerminal();
    const o = open(fx, term, SessionType.SECURE);
    const s = o.session!;
    expect(outcomeOf(fx, s, debitRequest(term, purse(fx).counter, 500_000)).outcome).toBe(Outcome.EXECUTED);
    expect(outcomeOf(fx, s, debitRequest(term, purse(fx).counter, 500_000)).outcome).toBe(Outcome.EXECUTED);
    expect(purse(fx).noCvmSpend).toBe(1_000_000);
    expect(outcomeOf(fx, s, debitRequest(term, purse(fx).counter, 1)).reason).toBe(SW.CVM_REQUIRED);
    expect(fx.t.verifyPin(s, encodePinBlock(PIN)).inner?.sw).toBe(SW.OK);
    expect(purse(fx).noCvmSpend).toBe(0);
  });
  it('32 unsynced records: REFUSED 9F14 until a RELOAD of 0; counter FFFFFFFF: 9F0C', () => {
    const fx = activeCard();
    expect(reload(fx, 100_000)).toBe(SW.OK);
    const term = makeTerminal();
    const s = open(fx, term).session!;
    for (let i = 0; i < 32; i++) fx.t.debit(s, debitRequest(term, purse(fx).counter, 1));
    expect(purse(fx).counter - purse(fx).syncedThrough).toBe(32);
    expect(outcomeOf(fx, s, debitRequest(term, purse(fx).counter, 1)).reason).toBe(SW.SYNC_REQUIRED);
    expect(reload(fx, 0)).toBe(SW.OK);
    // ring.retention: the RELOAD and the 31 newest debits
    const recs = Array.from(
      { length: 32 },
      (_, i) => decodeTransactionProof(fx.t.readRecord(i + 1).data).record,
    );
    expect(recs[0]!.type).toBe(TxType.RELOAD);
    expect(recs.slice(1).every((r) => r.type === TxType.DEBIT)).toBe(true);
    expect(outcomeOf(fx, open(fx, term).session!, debitRequest(term, purse(fx).counter, 1)).outcome).toBe(
      Outcome.EXECUTED,
    );
    const ex = withState(fx, (st) => {
      st.counter = 0xffffffff;
      st.syncedThrough = 0xffffffff;
    });
    const e = open(ex, term);
    expect(outcomeOf(ex, e.session!, debitRequest(term, 0xffffffff, 1)).reason).toBe(SW.COUNTER_EXHAUSTED);
  });
});

describe('UNDEBIT (§6.9)', () => {
  it('cancels the last debit of the same terminal once; refusals 9F07, STALE, 9F06', () => {
    const fx = funded();
    const term = makeTerminal();
    const o = open(fx, term, SessionType.SECURE);
    const s = o.session!;
    const c = o.purse!.counter;
    fx.t.debit(s, debitRequest(term, c, 900));
    const before = purse(fx);
    const u = (over: object = {}) => {
      term.seq += 1;
      return {
        refCounter: c + 1,
        amount: 900,
        currency: CURRENCY_KES,
        terminalSeq: term.seq,
        terminalNonce: new Uint8Array(8),
        time: NOW + 100,
        ...over,
      };
    };
    expect(fx.t.undebit(s, u({ amount: 901 })).outcome?.reason).toBe(SW.UNDEBIT_REFUSED);
    expect(fx.t.undebit(s, u({ time: NOW + 60 + 901 })).outcome?.reason).toBe(SW.UNDEBIT_REFUSED);
    expect(fx.t.undebit(s, u({ refCounter: c + 7 })).outcome).toMatchObject({ outcome: Outcome.STALE });
    const other = makeTerminal('TRM-2');
    const os = open(fx, other).session!;
    expect(fx.t.undebit(os, u()).outcome?.reason).toBe(SW.UNDEBIT_REFUSED);
    const noUndebit = makeTerminal('TRM-3', 0x01);
    expect(fx.t.undebit(open(fx, noUndebit).session!, u()).outcome?.reason).toBe(SW.CAPABILITY_MISSING);
    const s2 = open(fx, term).session!;
    const req = u();
    const done = fx.t.undebit(s2, req).outcome!;
    expect(done.outcome).toBe(Outcome.EXECUTED);
    const after = purse(fx);
    expect(after.balance).toBe(before.balance + 900);
    expect(after.offlineSpend).toBe(before.offlineSpend - 900);
    expect(after.noCvmSpend).toBe(before.noCvmSpend - 900);
    expect(fx.t.undebit(s2, req).outcome?.outcome).toBe(Outcome.ALREADY_APPLIED);
    expect(fx.t.undebit(s2, u({ refCounter: c + 2 })).outcome?.reason).toBe(SW.UNDEBIT_REFUSED); // not twice
  });
});

describe('RELOAD (§6.10)', () => {
  it('credits, resets offlineSpend, syncs; refusals 6982, 9F08, 6A88, 9F02, 9F15', () => {
    const fx = funded(10_000);
    const p = purse(fx);
    expect(p.syncedThrough).toBe(p.counter);
    expect(fx.t.reload(loadAuthorization(fx, 1)).sw).toBe(SW.SECURITY_STATUS_NOT_SATISFIED); // no challenge after a reload
    const ch = () => fx.t.getChallenge().data;
    expect(fx.t.reload(loadAuthorization(fx, 1, { challenge: ch(), counter: p.counter + 1 })).sw).toBe(
      SW.LOAD_AUTH_INVALID,
    );
    expect(fx.t.reload(loadAuthorization(fx, 1, { challenge: new Uint8Array(16) })).sw).toBe(
      SW.SECURITY_STATUS_NOT_SATISFIED,
    );
    fx.t.getChallenge();
    expect(fx.t.reload(loadAuthorization(fx, 1, { challenge: new Uint8Array(16) })).sw).toBe(
      SW.LOAD_AUTH_INVALID,
    );
    expect(
      fx.t.reload(
        loadAuthorization(fx, 1, { challenge: ch(), cardNumber: cardNumberFromAccount('00000000001') }),
      ).sw,
    ).toBe(SW.LOAD_AUTH_INVALID);
    const c1 = ch();
    const used = loadAuthorization(fx, 5, { challenge: c1 });
    expect(fx.t.reload(used).sw).toBe(SW.OK);
    fx.t.getChallenge();
    expect(fx.t.reload(used).sw).toBe(SW.LOAD_AUTH_INVALID); // reload.replay
    const bad = loadAuthorization(fx, 1, { challenge: ch() });
    bad[100]! ^= 1;
    expect(fx.t.reload(bad).sw).toBe(SW.LOAD_AUTH_INVALID);
    const unknown = loadAuthorization(fx, 1, { challenge: ch() });
    unknown[0]! ^= 1;
    expect(fx.t.reload(unknown).sw).toBe(SW.REFERENCED_DATA_NOT_FOUND);
    expect(fx.t.reload(loadAuthorization(fx, 10_000_000, { challenge: ch() })).sw).toBe(
      SW.MAX_BALANCE_EXCEEDED,
    );
    expect(fx.t.reload(loadAuthorization(fx, 0xffffffff, { challenge: ch() })).sw).toBe(
      SW.MAX_BALANCE_EXCEEDED,
    );
    expect(fx.t.reload(loadAuthorization(fx, 1, { challenge: ch(), currency: 0x0840 })).sw).toBe(
      SW.CURRENCY_MISMATCH,
    );
    expect(purse(fx).balance).toBe(10_005);
  });
});

describe('READ RECORD, GET TRANSACTION (§6.11–6.12)', () => {
  it('READ RECORD newest first, each proof verifying; P1 0/33, P2 ≠ 04 → 6A86; empty → 6A83', () => {
    const fx = funded();
    const term = makeTerminal();
    const s = open(fx, term).session!;
    for (let i = 0; i < 3; i++) fx.t.debit(s, debitRequest(term, purse(fx).counter, 10 + i));
    const counters = [1, 2, 3, 4].map((n) => {
      const proof = decodeTransactionProof(fx.t.readRecord(n).data);
      expect(verifyTransactionProof(fx.cardNumber, proof, fx.signingKey)).toBe(true);
      return proof.record.counter;
    });
    expect(counters).toEqual([4, 3, 2, 1]);
    expect(fx.t.readRecord(5).sw).toBe(SW.RECORD_NOT_FOUND);
    expect(fx.t.readRecord(0).sw).toBe(SW.WRONG_P1P2);
    expect(fx.t.readRecord(33).sw).toBe(SW.WRONG_P1P2);
    expect(fx.t.send(0, INS.READ_RECORD, 1, 0x0c).sw).toBe(SW.WRONG_P1P2);
  });
  it('FOUND / NOT_EXECUTED / SYNCED, each attested for the asking nonce; k = 0 → 6A80', () => {
    const fx = funded();
    const term = makeTerminal();
    const s = open(fx, term).session!;
    fx.t.debit(s, debitRequest(term, purse(fx).counter, 10));
    const ask = (k: number) => {
      const a = fx.t.getTransaction(k);
      expect(a.sw).toBe(SW.OK);
      const r = decodeGetTransactionResponse(a.data);
      expect(verifyRecoveryAttestation(fx.cardNumber, a.request, r, fx.signingKey)).toBe(true);
      return r;
    };
    expect(ask(2).status).toBe(TransactionStatus.FOUND);
    expect(ask(2).record!.terminalId).toBe('TRM-0001');
    expect(ask(3).status).toBe(TransactionStatus.NOT_EXECUTED);
    expect(fx.t.getTransaction(0).sw).toBe(SW.WRONG_DATA);
    // 40 more transactions with syncs: counter 1 leaves the ring → SYNCED
    for (let i = 0; i < 40; i++) {
      if (i % 20 === 19) reload(fx, 0);
      fx.t.debit(open(fx, term).session!, debitRequest(term, purse(fx).counter, 1));
    }
    expect(ask(1).status).toBe(TransactionStatus.SYNCED);
    for (let k = 1; k <= purse(fx).counter; k++)
      expect(ask(k).status).not.toBe(TransactionStatus.NOT_EXECUTED);
  });
});

describe('BLOCK CARD and the BLOCKED state (§6.14, §3)', () => {
  it('capability 9F06; ACTIVE → BLOCKED keeping the counter; idempotent; value/PIN 9F0B; reads still work', () => {
    const fx = funded();
    const nob = makeTerminal('TRM-NB', 0x01);
    expect(fx.t.sm(open(fx, nob).session!, 0x8c, INS.BLOCK_CARD, 0, 0, new Uint8Array(9)).inner?.sw).toBe(
      SW.CAPABILITY_MISSING,
    );
    const term = makeTerminal('TRM-B', 0x3f);
    const o = open(fx, term, SessionType.SECURE);
    const c = o.purse!.counter;
    expect(fx.t.sm(o.session!, 0x8c, INS.BLOCK_CARD, 0, 0, new Uint8Array(9)).inner?.sw).toBe(SW.OK);
    expect(purse(fx).lifeCycle).toBe(LifeCycle.BLOCKED);
    expect(purse(fx).counter).toBe(c);
    expect(fx.t.debit(o.session!, debitRequest(term, c, 1)).sw).toBe(SW.CARD_BLOCKED);
    expect(fx.t.verifyPin(o.session!, encodePinBlock(PIN)).sw).toBe(SW.CARD_BLOCKED);
    expect(fx.t.reload(loadAuthorization(fx, 1)).sw).toBe(SW.CARD_BLOCKED);
    const o2 = open(fx, term);
    expect(fx.t.sm(o2.session!, 0x8c, INS.BLOCK_CARD, 0, 0, new Uint8Array(9)).inner?.sw).toBe(SW.OK);
    expect(fx.t.readPurse().sw).toBe(SW.OK);
    expect(fx.t.readRecord(1).sw).toBe(SW.OK);
    expect(fx.t.getTransaction(1).sw).toBe(SW.OK);
    expect(fx.t.send(0, INS.GET_DATA, 0x7f, 0x21).sw).toBe(SW.OK);
  });
});
