import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('the terminal compacts its intent journal when it starts and at each Z report', () => {
  it('drops settled sales, and sequence numbers keep rising', async () => {
    const rig = await makeRig({ balance: 1_000_000 });
    try {
      const seqs: number[] = [];
      for (let i = 0; i < 6; i++) {
        const sale = await rig.engine.sale({ amount: 1_000 + i, billRef: `C-${i}` });
        seqs.push(sale.terminalSeq);
      }
      const path = join(rig.dir, FILES.intents);
      expect(readFileSync(path, 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(6);
      await rig.reopen();
      const lines = readFileSync(path, 'utf8').trim().split('\n');
      expect(lines.map((l) => JSON.parse(l))).toEqual([{ kind: 'floor', terminalSeq: Math.max(...seqs) }]);
      const next = await rig.engine.sale({ amount: 2_000, billRef: 'C-next' });
      expect(next.terminalSeq).toBeGreaterThan(Math.max(...seqs));
      // And at the end of a shift, without a restart.
      await rig.engine.sale({ amount: 2_001, billRef: 'C-last' });
      expect(readFileSync(path, 'utf8').trim().split('\n').length).toBe(3);
      await rig.engine.zReport();
      expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(1);
    } finally {
      await rig.cleanup();
    }
  });
});
