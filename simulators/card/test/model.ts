/**
 * The model of the model-based test of the exactly-once guarantee (SPEC.md §10.2): seeded random
 * schedules of debits by several terminals, identical repeats of old debits (long after the ring
 * has turned over), tears at random tear points, lost responses, syncing reloads and the §10.4
 * recovery procedure, all in raw APDUs built with the spec codecs. Oracle: the ledger of every
 * record the card ever committed (what the clearing service would hold), read from the persisted
 * state after every step.
 */

import assert from 'node:assert/strict';
import {
  decodeGetTransactionResponse,
  decodeTransactionRecord,
  Outcome,
  Size,
  SW,
  type TransactionRecord,
  TransactionStatus,
  TxType,
  verifyRecoveryAttestation,
} from '@huduma/card-applet-spec';
import fc from 'fast-check';
import { PowerLossError } from '../src/index';
import { activeCard, debitRequest, type Fixture, makeTerminal, open, reload } from './fixture';

export type Fault = { kind: 'none' } | { kind: 'tear'; at: number } | { kind: 'lost' };
export type Op =
  | { kind: 'debit'; term: number; amount: number; fault: Fault }
  | { kind: 'repeat'; pick: number; fault: Fault }
  | { kind: 'resolve'; term: number }
  | { kind: 'sync'; amount: number; tearAt: number | undefined };

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Fault>({ kind: 'none' }) },
  { weight: 2, arbitrary: fc.nat(7).map<Fault>((at) => ({ kind: 'tear', at })) },
  { weight: 1, arbitrary: fc.constant<Fault>({ kind: 'lost' }) },
);
export const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('debit' as const),
      term: fc.nat(2),
      amount: fc.integer({ min: 1, max: 3_000 }),
      fault: faultArb,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('repeat' as const), pick: fc.nat(), fault: faultArb }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resolve' as const), term: fc.nat(2) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('sync' as const),
      amount: fc.integer({ min: 0, max: 20_000 }),
      tearAt: fc.option(fc.nat(7), { nil: undefined }),
    }),
  },
);

export interface Intent {
  term: number;
  terminalId: string;
  req: ReturnType<typeof debitRequest>;
  /** The terminal's journal state (§10.4). */
  state: 'UNKNOWN' | 'DONE' | 'FAILED' | 'REFUSED';
}

export class World {
  readonly fx: Fixture = activeCard();
  readonly terms = [makeTerminal('TRM-A'), makeTerminal('TRM-B'), makeTerminal('TRM-C')];
  readonly intents: Intent[] = [];
  /** Every record the card ever committed, by counter (the clearing service's view). */
  readonly ledger = new Map<number, TransactionRecord>();
  log: string[] = [];

  constructor() {
    assert.equal(reload(this.fx, 5_000_000), SW.OK);
    this.observe();
  }

  /** Reads the persisted state: any new committed record joins the ledger (the ring holds them all, §2.12). */
  observe(): void {
    const s = this.fx.card.persistedState();
    for (const e of s.ring) {
      const rec = decodeTransactionRecord(e.subarray(0, Size.TRANSACTION_RECORD));
      const known = this.ledger.get(rec.counter);
      if (known) assert.equal(known.terminalSeq, rec.terminalSeq, `record ${rec.counter} changed`);
      else this.ledger.set(rec.counter, rec);
    }
    assert.equal(this.ledger.size, s.counter, 'a record left the ring before the ledger saw it');
    const debits = [...this.ledger.values()].filter((r) => r.type === TxType.DEBIT);
    const keys = debits.map((r) => `${r.terminalId}/${r.terminalSeq}`);
    assert.equal(
      new Set(keys).size,
      keys.length,
      `a (terminal, seq) was charged twice\n${this.log.join('\n')}`,
    );
    let balance = 0;
    for (const r of this.ledger.values()) balance += r.type === TxType.DEBIT ? -r.amount : r.amount;
    assert.equal(s.balance, balance, 'balance is not the sum of the records');
  }

  executed(i: Intent): boolean {
    return [...this.ledger.values()].some(
      (r) => r.type === TxType.DEBIT && r.terminalId === i.terminalId && r.terminalSeq === i.req.terminalSeq,
    );
  }

  /** Sends one intent's DEBIT in a fresh session, with a fault. */
  send(i: Intent, fault: Fault): void {
    const term = this.terms[i.term]!;
    const { sw, session } = open(this.fx, term);
    if (sw !== SW.OK || !session) throw new Error(`open session answered ${sw.toString(16)}`);
    if (fault.kind === 'tear') this.fx.card.armTear(fault.at);
    let outcome: ReturnType<typeof this.fx.t.debit>['outcome'];
    try {
      outcome = this.fx.t.debit(session, i.req).outcome;
    } catch (err) {
      if (!(err instanceof PowerLossError)) throw err;
      this.fx.card.powerOn();
      i.state = i.state === 'DONE' ? 'DONE' : 'UNKNOWN';
      this.log.push(`  torn at ${err.label}`);
      return;
    } finally {
      this.fx.card.disarmTear();
    }
    if (fault.kind === 'lost') {
      if (i.state !== 'DONE') i.state = 'UNKNOWN';
      this.log.push('  response lost');
      return;
    }
    this.log.push(`  outcome ${outcome?.outcome} ${outcome?.reason.toString(16)}`);
    switch (outcome?.outcome) {
      case Outcome.EXECUTED:
        assert.notEqual(i.state, 'DONE', 'EXECUTED for a request already known DONE');
        assert.deepEqual(outcome.proof.record.terminalNonce, i.req.terminalNonce);
        i.state = 'DONE';
        break;
      case Outcome.ALREADY_APPLIED:
        i.state = 'DONE';
        break;
      case Outcome.STALE:
        if (i.state !== 'DONE') i.state = 'UNKNOWN'; // resolve by GET TRANSACTION (§10.4)
        break;
      case Outcome.REFUSED:
        if (outcome.reason === SW.SYNC_REQUIRED) this.sync(0);
        if (i.state !== 'DONE') i.state = i.state === 'UNKNOWN' ? 'UNKNOWN' : 'REFUSED';
        break;
      default:
        throw new Error('no outcome');
    }
  }

  sync(amount: number, tearAt?: number): void {
    if (tearAt !== undefined) this.fx.card.armTear(tearAt);
    try {
      const sw = reload(this.fx, amount);
      this.log.push(`  sync ${amount}: ${sw.toString(16)}`);
    } catch (err) {
      if (!(err instanceof PowerLossError)) throw err;
      this.fx.card.powerOn();
      this.log.push(`  sync torn at ${err.label}`);
    } finally {
      this.fx.card.disarmTear();
    }
  }

  /** §10.4 resolution at a later contact; checks it against the ledger (the truth). */
  resolve(i: Intent): void {
    if (i.state !== 'UNKNOWN') return;
    const fci = this.fx.t.select().fci!;
    const c = i.req.expectedCounter;
    let done: boolean;
    if (fci.purse.counter === c) {
      done = false;
    } else {
      const a = this.fx.t.getTransaction(c + 1);
      assert.equal(a.sw, SW.OK, 'GET TRANSACTION failed: the fate is not learnable (§10.2 b)');
      const r = decodeGetTransactionResponse(a.data);
      assert.ok(
        verifyRecoveryAttestation(this.fx.cardNumber, a.request, r, this.fx.signingKey),
        'attestation',
      );
      if (r.status === TransactionStatus.FOUND) {
        done = r.record!.terminalId === i.terminalId && r.record!.terminalSeq === i.req.terminalSeq;
      } else {
        assert.equal(r.status, TransactionStatus.SYNCED, 'NOT_EXECUTED although the counter moved past c');
        const rec = this.ledger.get(c + 1)!; // the clearing service's answer
        done = rec.terminalId === i.terminalId && rec.terminalSeq === i.req.terminalSeq;
      }
    }
    assert.equal(done, this.executed(i), `resolution of ${i.terminalId}/${i.req.terminalSeq}`);
    i.state = done ? 'DONE' : 'FAILED';
  }

  run(op: Op): void {
    this.log.push(JSON.stringify(op));
    switch (op.kind) {
      case 'debit': {
        const term = this.terms[op.term]!;
        const counter = this.fx.t.select().fci!.purse.counter;
        // §10.4: a terminal resolves its UNKNOWN intents before sending another value command.
        for (const i of this.intents) if (i.term === op.term) this.resolve(i);
        const intent: Intent = {
          term: op.term,
          terminalId: term.terminalId,
          req: debitRequest(term, counter, op.amount, { billRef: `B-${term.seq + 1}` }),
          state: 'UNKNOWN',
        };
        this.intents.push(intent);
        this.send(intent, op.fault);
        break;
      }
      case 'repeat': {
        if (this.intents.length === 0) return;
        const i = this.intents[op.pick % this.intents.length]!;
        const wasExecuted = this.executed(i);
        const before = this.ledger.size;
        this.send(i, op.fault);
        this.observe();
        if (wasExecuted) assert.equal(this.ledger.size, before, 'an executed request executed again');
        break;
      }
      case 'resolve':
        for (const i of this.intents) if (i.term === op.term) this.resolve(i);
        break;
      case 'sync':
        this.sync(op.amount, op.tearAt);
        break;
    }
    this.observe();
  }
}

/** Runs one schedule and the final resolution of every intent (throws on any violation). */
export function runSchedule(ops: readonly Op[]): World {
  const w = new World();
  for (const op of ops) w.run(op);
  for (const i of w.intents) w.resolve(i);
  for (const i of w.intents) {
    if (i.state === 'DONE') assert.ok(w.executed(i), 'DONE but not in the ledger');
    if (i.state === 'FAILED') assert.ok(!w.executed(i), 'FAILED but in the ledger');
  }
  return w;
}
