import { verifyLog } from '@huduma/txlog';
import { afterEach, describe, expect, it } from 'vitest';
import { FILES } from '../src/index';
import { makeRig, type Rig } from './helpers';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
});

describe('cancel, reload, shift reports', () => {
  it('cancels the last sale within 15 minutes and not after', async () => {
    rig = await makeRig({ balance: 100_000 });
    const start = rig.testCard.card.state.balance;
    const sale = await rig.engine.sale({ serviceCode: 301, billRef: 'B1' });
    const cancel = await rig.engine.cancelLast();
    expect(cancel.operation).toBe('cancel');
    expect(cancel.amountCents).toBe(sale.amountCents);
    expect(cancel.receipt).toContain('CANCELLATION');
    expect(rig.testCard.card.state.balance).toBe(start);
    const recs = await rig.records();
    const c = recs.find((r) => r.type === 'cancel');
    expect(c).toMatchObject({ originalTerminalSeq: sale.terminalSeq, amountCents: 5_000 });
    await expect(rig.engine.cancelLast()).rejects.toMatchObject({ reason: 'nothing-to-cancel' });

    await rig.engine.sale({ serviceCode: 301, billRef: 'B2' });
    rig.clock.now += 16 * 60_000;
    await expect(rig.engine.cancelLast()).rejects.toMatchObject({ reason: 'undebit-refused' });
    const x = rig.engine.xReport();
    expect(x.approved).toEqual({ count: 2, amountCents: 10_000 });
    expect(x.cancelled).toEqual({ count: 1, amountCents: 5_000 });
    expect(x.netSalesCents).toBe(5_000);
  });

  it('reloads cash at a Huduma Centre through the load authorizer', async () => {
    rig = await makeRig({ balance: 10_000 });
    const r = await rig.engine.reload({ amountCents: 200_000, reference: 'CASH-0001' });
    expect(r.balanceAfterCents).toBe(210_000);
    expect(rig.testCard.card.state.balance).toBe(210_000);
    expect(r.receipt).toContain('CASH RELOAD');
    const rec = (await rig.records()).find((x) => x.type === 'reload');
    expect(rec).toMatchObject({ amountCents: 200_000, reference: 'CASH-0001' });
  });

  it('refuses reloads at a partner merchant', async () => {
    rig = await makeRig({ location: { kind: 'partner-merchant', name: 'Duka la Mama' } });
    await expect(rig.engine.reload({ amountCents: 1_000 })).rejects.toMatchObject({
      reason: 'load-declined',
    });
  });

  it('Z report closes the shift with totals by service and outcome, then opens a new one', async () => {
    rig = await makeRig({ balance: 1_000_000 });
    rig.pins.push(rig.testCard.pin);
    await rig.engine.sale({ serviceCode: 201, billRef: 'GC1' });
    await rig.engine.sale({ serviceCode: 301, billRef: 'BN1' });
    await rig.engine.sale({ serviceCode: 301, billRef: 'BN2' });
    await rig.engine.cancelLast();
    await rig.engine.sale({ amount: '10000000', billRef: 'BIG' }).catch(() => {});
    const firstShift = rig.engine.status().shiftId;
    const z = await rig.engine.zReport();
    expect(z.kind).toBe('Z');
    expect(z.shiftId).toBe(firstShift);
    expect(z.approved).toEqual({ count: 3, amountCents: 115_000 });
    expect(z.cancelled).toEqual({ count: 1, amountCents: 5_000 });
    expect(z.declined.byReason['per-sale-limit']).toEqual({ count: 1, amountCents: 1_000_000_000 });
    expect(z.byService).toEqual([
      { serviceCode: 201, name: 'Certificate of good conduct', count: 1, amountCents: 105_000 },
      { serviceCode: 301, name: 'Business name search', count: 1, amountCents: 5_000 },
    ]);
    expect(z.netSalesCents).toBe(110_000);

    const recs = await rig.records();
    const close = recs.find((r) => r.type === 'shift-close');
    expect(close).toMatchObject({ shiftId: firstShift, saleCount: 3, saleTotalCents: 115_000 });
    expect(recs.at(-1)?.type).toBe('shift-open');
    expect(recs.some((r) => r.type === 'checkpoint')).toBe(true);
    expect(rig.engine.status().shiftId).not.toBe(firstShift);
    expect(rig.engine.xReport().approved.count).toBe(0);

    const summary = await verifyLog(`${rig.dir}/${FILES.log}`, {
      terminalPublicKey: rig.engine.config.certificate.keyAgreementKey,
    });
    expect(summary.ok).toBe(true);
    expect(summary.checkpointSignatures).toBe('verified');
  });
});
