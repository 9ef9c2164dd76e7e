import type { Transport } from '@huduma/apdu';
import { INS } from '@huduma/card-applet-spec';
import { issueTestCard } from '@huduma/card-simulator';
import { DevPki } from '@huduma/pki';
import { verifyLog } from '@huduma/txlog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILES, pollingCardReader, TransactionRefusedError } from '../src/index';
import { makeRig, type Rig, TERMINAL_ID } from './helpers';
import { expectCardAndLogAgree } from './invariants';

const AMOUNT = 5_000; // Business name search: below every CVM limit, so no PIN in the way.

/**
 * A transport in front of the simulated reader that runs a fault just before the next DEBIT
 * (applet v2: one APDU, 44 bytes + C-MAC, never chained).
 */
class FaultyLink implements Transport {
  private fault: (() => void) | undefined;
  constructor(private readonly inner: Transport) {}
  arm(run: () => void): void {
    this.fault = run;
  }
  async transmit(command: Uint8Array): Promise<Uint8Array> {
    if (this.fault && command[1] === INS.DEBIT) {
      this.fault();
      this.fault = undefined;
    }
    return this.inner.transmit(command);
  }
}

describe('exactly once under tearing at every step of a sale', () => {
  let rig: Rig;
  let link: FaultyLink;
  let initialBalance: number;
  const outcomes: string[] = [];

  beforeAll(async () => {
    const pki = DevPki.inMemory();
    const testCard = await issueTestCard({ pki, balance: 5_000_000 });
    link = new FaultyLink(testCard.reader);
    const reader = testCard.reader;
    rig = await makeRig({
      pki,
      testCard,
      engine: { reader: pollingCardReader(() => (reader.cardPresent ? link : undefined)) },
    });
    initialBalance = testCard.card.state.balance;
  });
  afterAll(async () => {
    await rig.cleanup();
  });

  /** Runs a sale with a fault armed, re-taps (after a terminal restart), checks card and log agree. */
  async function tornSaleThenRetap(fault: (link: FaultyLink) => void): Promise<'approved' | 'torn'> {
    const { engine, testCard } = rig;
    fault(link);
    const balanceBefore = testCard.card.state.balance;
    const result = await engine.sale({ serviceCode: 301, billRef: 'BN-SEARCH' }).catch((e: unknown) => e);
    let outcome: 'approved' | 'torn' = 'approved';
    if (!(result instanceof TransactionRefusedError)) {
      expect((result as { status: string }).status).toBe('approved');
      expect(testCard.card.state.balance).toBe(balanceBefore - AMOUNT);
    } else {
      outcome = 'torn';
      const refusal = result;
      expect(['outcome-unknown', 'card-removed']).toContain(refusal.reason);
      expect(engine.status().unresolved.length).toBe(refusal.reason === 'outcome-unknown' ? 1 : 0);
      const charged = testCard.card.state.balance === balanceBefore - AMOUNT;
      if (!charged) expect(testCard.card.state.balance).toBe(balanceBefore);

      // Restart the terminal too: the pending debit must survive it.
      await rig.reopen();
      expect(rig.engine.status().unresolved.length).toBe(refusal.reason === 'outcome-unknown' ? 1 : 0);
      if (!testCard.reader.cardPresent) testCard.reader.reinsert();
      const notices = await rig.engine.recoverCard();
      if (refusal.reason === 'outcome-unknown') {
        expect(notices).toHaveLength(1);
        expect(notices[0]!.outcome).toBe(charged ? 'completed' : 'not-charged');
        expect(notices[0]!.message).toContain(charged ? 'went through' : 'did NOT go through');
      } else {
        expect(charged).toBe(false);
      }
      outcomes.push(`${refusal.reason}:${charged ? 'charged' : 'not-charged'}`);
    }
    expect(rig.engine.status().unresolved).toEqual([]);
    expectCardAndLogAgree({
      state: testCard.card.state,
      records: await rig.records(),
      initialBalance,
      terminalId: TERMINAL_ID,
    });
    return outcome;
  }

  it('power loss at each tear point of DEBIT', async () => {
    let point = 0;
    for (; ; point++) {
      const outcome = await tornSaleThenRetap((l) =>
        // armTear counts from the arming: `point` is the point-th tear point of the DEBIT.
        l.arm(() => rig.testCard.card.armTear(point)),
      );
      // A tear point past the end of the command: the sale simply went through.
      if (outcome === 'approved') break;
    }
    // The simulator keeps an unfired tear armed beyond the next command: disarm it.
    rig.testCard.card.disarmTear();
    // At least: command start, before and after the commit, and signed-not-committed.
    expect(point).toBeGreaterThan(3);
    expect(outcomes.some((o) => o.endsWith(':charged'))).toBe(true);
    expect(outcomes.some((o) => o.endsWith(':not-charged'))).toBe(true);
  });

  it('card pulled before and after the card processed the DEBIT', async () => {
    outcomes.length = 0;
    for (const afterCardProcessed of [false, true]) {
      const outcome = await tornSaleThenRetap((l) =>
        l.arm(() => rig.testCard.reader.removeDuringNextCommand({ afterCardProcessed })),
      );
      expect(outcome).toBe('torn');
    }
    expect(outcomes).toEqual(['outcome-unknown:not-charged', 'outcome-unknown:charged']);
  });

  it('leaves a log that verifies with every pending debit resolved', async () => {
    const summary = await verifyLog(`${rig.dir}/${FILES.log}`);
    expect(summary.ok).toBe(true);
    expect(summary.unresolvedPendingDebits).toEqual([]);
  });
});
