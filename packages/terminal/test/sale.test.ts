import { decodeTransactionProof, maskCardNumber, TxType } from '@huduma/card-applet-spec';
import { verifyLog } from '@huduma/txlog';
import { afterEach, describe, expect, it } from 'vitest';
import { FILES, TransactionRefusedError } from '../src/index';
import { MERCHANT_ID, makeRig, type Rig, TERMINAL_ID } from './helpers';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
});

describe('sale happy path', () => {
  it('debits the card, logs the intent then the sale, and prints a receipt', async () => {
    rig = await makeRig({ balance: 1_000_000 });
    const { engine, testCard } = rig;
    const before = testCard.card.state;
    // KES 1,050 is above the card's own CVM limit (KES 1,000): the card needs the PIN.
    rig.pins.push(testCard.pin);
    const result = await engine.sale({ serviceCode: 201, billRef: 'ECZ-GC-7731' });

    expect(result.status).toBe('approved');
    expect(result.amountCents).toBe(105_000);
    expect(result.balanceAfterCents).toBe(1_000_000 - 105_000);
    expect(result.proof.record.type).toBe(TxType.DEBIT);
    expect(result.proof.record.terminalSeq).toBe(result.terminalSeq);

    const r = result.receipt;
    expect(r).toContain(MERCHANT_ID);
    expect(r).toContain(`${TERMINAL_ID} #${result.terminalSeq}`);
    expect(r).toContain('Nairobi GPO');
    expect(r).toContain('Certificate of good conduct');
    expect(r).toContain('ECZ-GC-7731');
    expect(r).toMatch(/AMOUNT KES\s+1,050\.00/);
    expect(r).toMatch(/New balance KES\s+8,950\.00/);
    expect(r).toContain(maskCardNumber(testCard.cardNumber));
    expect(r).not.toContain(testCard.cardNumber);
    expect(r).toMatch(new RegExp(`Card counter\\s+${result.cardCounter}`));
    expect(r).toContain(result.proofRef);
    expect(result.proofRef).toMatch(/^[0-9A-F]{8}$/);
    expect(r).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d EAT/);

    const after = testCard.card.state;
    expect(after).not.toEqual(before);
    const records = await rig.records();
    const types = records.map((x) => x.type);
    // The intent (journaled before the DEBIT, with the counter it is bound to) and the sale closing it.
    expect(types).toEqual(['shift-open', 'intent', 'sale']);
    const intent = records[1]!;
    if (intent.type !== 'intent') throw new Error('expected intent');
    expect(intent).toMatchObject({ op: 'debit', terminalSeq: result.terminalSeq, amountCents: 105_000 });
    expect(intent.expectedCounter).toBe(result.cardCounter - 1);
    const sale = records[2]!;
    if (sale.type !== 'sale') throw new Error('expected sale');
    expect(sale.amountCents).toBe(105_000);
    expect(sale.serviceCode).toBe('201');
    expect(decodeTransactionProof(sale.cardProof).record.counter).toBe(result.cardCounter);

    const summary = await verifyLog(`${rig.dir}/${FILES.log}`);
    expect(summary.ok).toBe(true);
    expect(summary.unresolvedPendingDebits).toEqual([]);
    expect(summary.totals.saleCents).toBe(105_000);

    const kinds = rig.events.map((e) => e.type);
    expect(kinds.indexOf('insert-card')).toBeLessThan(kinds.indexOf('card-read'));
    expect(kinds).toContain('approved');
  });

  it('sells a typed amount parsed exactly, with PIN above the CVM limit', async () => {
    rig = await makeRig({ balance: 2_000_000, limits: { cvmLimitCents: 50_000 } });
    rig.pins.push(rig.testCard.pin);
    const result = await rig.engine.sale({ amount: '2500.50', billRef: 'BILL-1' });
    expect(result.amountCents).toBe(250_050);
    expect(result.serviceCode).toBe(0);
    expect(rig.events.some((e) => e.type === 'enter-pin')).toBe(true);
    expect(result.telemetry.apdus).toBeGreaterThan(0);
  });

  it('allocates increasing terminal sequence numbers that survive a restart', async () => {
    rig = await makeRig({ balance: 1_000_000 });
    const a = await rig.engine.sale({ serviceCode: 501, billRef: 'B1' });
    const b = await rig.engine.sale({ serviceCode: 501, billRef: 'B2' });
    await rig.reopen();
    const c = await rig.engine.sale({ serviceCode: 501, billRef: 'B3' });
    expect([a.terminalSeq, b.terminalSeq, c.terminalSeq]).toEqual([1, 2, 3]);
  });

  it('refuses a card with insufficient balance without journaling a debit', async () => {
    rig = await makeRig({ balance: 10_000 });
    await expect(rig.engine.sale({ serviceCode: 101, billRef: 'PP-1' })).rejects.toMatchObject({
      reason: 'insufficient-funds',
    });
    const types = (await rig.records()).map((r) => r.type);
    expect(types).toEqual(['shift-open']);
    expect(rig.engine.xReport().declined.byReason['insufficient-funds']?.count).toBe(1);
  });

  it('rejects malformed input before touching the card', async () => {
    rig = await makeRig();
    await expect(rig.engine.sale({ amount: '2.505', billRef: 'X' })).rejects.toMatchObject({
      code: 'ERR_AMOUNT_FORMAT',
    });
    await expect(rig.engine.sale({ serviceCode: 9999, billRef: 'X' })).rejects.toMatchObject({
      code: 'ERR_UNKNOWN_SERVICE',
    });
    await expect(
      rig.engine.sale({ serviceCode: 201, billRef: 'THIS-IS-TOO-LONG-REF' }),
    ).rejects.toMatchObject({
      code: 'ERR_BILL_REF_FORMAT',
    });
    expect(rig.events.some((e) => e.type === 'insert-card')).toBe(false);
    expect(TransactionRefusedError).toBeDefined();
  });
});
