import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransactionLog, verifyLog } from '@huduma/txlog';
import { afterEach, describe, expect, it } from 'vitest';
import { FILES } from '../src/index';
import { IntentJournal } from '../src/intents';
import { makeRig } from './helpers';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'huduma-intents-'));
  dirs.push(dir);
  return join(dir, 'intents.jsonl');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const intent = (terminalSeq: number, cardNumber = '8404000000000018') => ({
  op: 'debit' as const,
  terminalSeq,
  cardNumber,
  expectedCounter: terminalSeq * 2,
  amountCents: 5_000,
  billRef: `B-${terminalSeq}`,
  serviceCode: 301,
  time: 1_790_000_000_000 + terminalSeq,
});

describe('intent journal compaction', () => {
  it('keeps the open intents and the highest sequence number, across a reopen', async () => {
    const path = tempFile();
    const journal = await IntentJournal.open(path);
    for (let seq = 1; seq <= 50; seq++) await journal.record(intent(seq));
    await journal.resolve(7, 'not-charged');
    // 1..50 journalled; the engine keeps 12 and 40 (the log says the rest are settled).
    await journal.compact((i) => i.terminalSeq === 12 || i.terminalSeq === 40);
    expect(journal.unresolved().map((i) => i.terminalSeq)).toEqual([12, 40]);
    expect(journal.lineCount).toBe(3);
    // The journal keeps working after compaction, appending to the new file.
    await journal.record(intent(51));
    await journal.resolve(40, 'not-charged');
    await journal.close();

    const reopened = await IntentJournal.open(path);
    expect(reopened.unresolved().map((i) => i.terminalSeq)).toEqual([12, 51]);
    expect(reopened.get(12)).toMatchObject(intent(12));
    expect(reopened.highestSeq).toBe(51);
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(5);
    await reopened.close();
  });

  it('never lowers the sequence floor, even when nothing is open', async () => {
    const path = tempFile();
    const journal = await IntentJournal.open(path);
    for (let seq = 1; seq <= 9; seq++) await journal.record(intent(seq));
    await journal.compact(() => false);
    await journal.close();
    const reopened = await IntentJournal.open(path);
    expect(reopened.unresolved()).toEqual([]);
    expect(reopened.highestSeq).toBe(9);
    await reopened.close();
  });

  it('a crash during compaction leaves the old journal in force', async () => {
    const path = tempFile();
    const journal = await IntentJournal.open(path);
    for (let seq = 1; seq <= 3; seq++) await journal.record(intent(seq));
    await journal.close();
    // Killed after writing part of the temporary file, before the rename.
    writeFileSync(`${path}.compact`, '{"kind":"floor","terminalSeq":3}\n{"kind":"inte');
    const reopened = await IntentJournal.open(path);
    expect(reopened.unresolved().map((i) => i.terminalSeq)).toEqual([1, 2, 3]);
    await reopened.compact((i) => i.terminalSeq === 2);
    await reopened.close();
    const again = await IntentJournal.open(path);
    expect(again.unresolved().map((i) => i.terminalSeq)).toEqual([2]);
    expect(again.highestSeq).toBe(3);
    await again.close();
  });

  it('a compaction that fails before the rename changes nothing', async () => {
    const path = tempFile();
    const journal = await IntentJournal.open(path);
    for (let seq = 1; seq <= 4; seq++) await journal.record(intent(seq));
    // The temporary path is taken by a directory: the compaction cannot even start its file.
    mkdirSync(`${path}.compact`);
    writeFileSync(join(`${path}.compact`, 'x'), 'x');
    await expect(journal.compact((i) => i.terminalSeq === 4)).rejects.toThrow();
    expect(journal.unresolved().map((i) => i.terminalSeq)).toEqual([1, 2, 3, 4]);
    await journal.record(intent(5));
    await journal.close();
    const reopened = await IntentJournal.open(path);
    expect(reopened.unresolved().map((i) => i.terminalSeq)).toEqual([1, 2, 3, 4, 5]);
    await reopened.close();
  });
});

describe('intents live in the transaction log', () => {
  it('writes no sidecar journal, and sequence numbers keep rising across a restart and a Z report', async () => {
    const rig = await makeRig({ balance: 1_000_000 });
    try {
      const seqs: number[] = [];
      for (let i = 0; i < 3; i++) {
        const sale = await rig.engine.sale({ amount: 1_000 + i, billRef: `C-${i}` });
        seqs.push(sale.terminalSeq);
      }
      expect(existsSync(join(rig.dir, FILES.intents))).toBe(false);
      const intents = (await rig.records()).filter((r) => r.type === 'intent').map((r) => r.terminalSeq);
      expect(intents).toEqual(seqs);
      await rig.reopen();
      const next = await rig.engine.sale({ amount: 2_000, billRef: 'C-next' });
      expect(next.terminalSeq).toBeGreaterThan(Math.max(...seqs));
      await rig.engine.zReport();
      const last = await rig.engine.sale({ amount: 2_001, billRef: 'C-last' });
      expect(last.terminalSeq).toBeGreaterThan(next.terminalSeq);
      expect(rig.engine.status().unresolved).toEqual([]);
    } finally {
      await rig.cleanup();
    }
  });

  it("settles an older version's sidecar intent from the card, and never reuses its sequence number", async () => {
    const rig = await makeRig({ balance: 1_000_000 });
    try {
      const counter = rig.testCard.card.state.counter;
      // What an older version left after a crash right after journaling (the DEBIT never sent):
      // the sidecar line with the counter, and the log's pending-debit.
      await rig.engine.close();
      const journal = await IntentJournal.open(join(rig.dir, FILES.intents));
      await journal.record({ ...intent(90, rig.testCard.cardNumber), expectedCounter: counter });
      await journal.close();
      const log = await TransactionLog.open(join(rig.dir, FILES.log));
      await log.append({
        type: 'pending-debit',
        time: rig.clock.now,
        terminalSeq: 90,
        cardNumber: rig.testCard.cardNumber,
        amountCents: 5_000,
        billRef: 'B-90',
      });
      await log.close();
      await rig.reopen();
      expect(rig.engine.status().unresolved.map((u) => u.terminalSeq)).toEqual([90]);
      const notices = await rig.engine.recoverCard();
      expect(notices.map((n) => [n.terminalSeq, n.outcome])).toEqual([[90, 'not-charged']]);
      expect(rig.engine.status().unresolved).toEqual([]);
      const sale = await rig.engine.sale({ amount: 1_000, billRef: 'AFTER' });
      expect(sale.terminalSeq).toBeGreaterThan(90);
      const summary = await verifyLog(join(rig.dir, FILES.log));
      expect(summary.unresolvedPendingDebits).toEqual([]);
    } finally {
      await rig.cleanup();
    }
  });
});
