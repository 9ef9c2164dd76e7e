import { truncateSync } from 'node:fs';
import { join } from 'node:path';
import { type LogFileIo, nodeFileIo, verifyLog } from '@huduma/txlog';
import { afterEach, describe, expect, it } from 'vitest';
import { FILES, proofReference } from '../src/index';
import { chargesInLog, makeRig, type Rig } from './helpers';

/**
 * The log's file layer, instrumented: counts fdatasyncs, remembers how long the file was at the
 * last one, and can simulate a power cut (from then on nothing more reaches the disk).
 */
function countingIo() {
  const state = { datasyncs: 0, writes: 0, syncedLength: 0, powerCut: false };
  const io: LogFileIo = {
    async write(fh, data, position) {
      state.writes++;
      await nodeFileIo.write(fh, data, position);
    },
    async datasync(fh) {
      if (state.powerCut) return;
      await nodeFileIo.datasync(fh);
      state.datasyncs++;
      state.syncedLength = (await fh.stat()).size;
    },
    truncate: (fh, length) => nodeFileIo.truncate(fh, length),
  };
  return { io, state };
}

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
});

describe('one durable write per value command', () => {
  it('an approved sale, cancel or reload costs exactly one fdatasync of the log', async () => {
    const { io, state } = countingIo();
    rig = await makeRig({ balance: 500_000, engine: { logIo: io } });
    const perSale: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = state.datasyncs;
      const sale = await rig.engine.sale({ amount: '12.50', billRef: `F-${i}` });
      expect(sale.status).toBe('approved');
      perSale.push(state.datasyncs - before);
    }
    expect(perSale).toEqual([1, 1, 1, 1, 1]);
    let before = state.datasyncs;
    await rig.engine.cancelLast();
    expect(state.datasyncs - before).toBe(1);
    before = state.datasyncs;
    await rig.engine.reload({ amountCents: 10_000, reference: 'CASH-F' });
    expect(state.datasyncs - before).toBe(1);
    // Reading the log (export, upload) makes what it reads durable first.
    before = state.datasyncs;
    const records = await rig.records();
    expect(state.datasyncs - before).toBe(1);
    expect(records.filter((r) => r.type === 'sale')).toHaveLength(5);
    const summary = await verifyLog(join(rig.dir, FILES.log));
    expect(summary.ok).toBe(true);
    expect(summary.unresolvedPendingDebits).toEqual([]);
  });

  it('a power cut after an approval loses no sale: the durable intent and the card proof restore it', async () => {
    const { io, state } = countingIo();
    rig = await makeRig({ balance: 500_000, engine: { logIo: io } });
    const first = await rig.engine.sale({ amount: '10.00', billRef: 'P-1' });
    const approved = await rig.engine.sale({ amount: '20.00', billRef: 'P-2' });
    // Power cut: the last sale record was written without its own fdatasync and never synced.
    state.powerCut = true;
    await rig.engine.close();
    const logPath = join(rig.dir, FILES.log);
    truncateSync(logPath, state.syncedLength);
    state.powerCut = false;
    await rig.reopen();
    const lost = await rig.records();
    expect(lost.some((r) => r.type === 'sale' && r.terminalSeq === approved.terminalSeq)).toBe(false);
    expect(rig.engine.status().unresolved.map((u) => u.terminalSeq)).toEqual([approved.terminalSeq]);

    // The card's next tap (any operation) restores it from the card's own signed proof.
    const notices = await rig.engine.recoverCard();
    expect(notices.map((n) => [n.terminalSeq, n.outcome])).toEqual([[approved.terminalSeq, 'completed']]);
    const records = await rig.records();
    const restored = records.find(
      (r) => r.type === 'recovered-sale' && r.terminalSeq === approved.terminalSeq,
    );
    expect(restored).toMatchObject({ amountCents: 2_000, billRef: 'P-2' });
    if (restored?.type !== 'recovered-sale') throw new Error('expected the recovered sale');
    // The same proof the approval's receipt referred to.
    expect(proofReference(restored.cardProof)).toBe(approved.proofRef);
    // The card and the log agree: each charge logged once, nothing twice.
    const { net, bySeq } = chargesInLog(records, rig.testCard.cardNumber);
    expect(net).toBe(first.amountCents + approved.amountCents);
    expect([...bySeq.values()].every((n) => n === 1)).toBe(true);
    expect(rig.testCard.card.state.balance).toBe(500_000 - net);
    const summary = await verifyLog(logPath);
    expect(summary.ok).toBe(true);
    expect(summary.unresolvedPendingDebits).toEqual([]);
  });
});
