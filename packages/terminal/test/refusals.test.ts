import { LifeCycle } from '@huduma/card-applet-spec';
import { type LogFileIo, nodeFileIo } from '@huduma/txlog';
import { afterEach, describe, expect, it } from 'vitest';
import { TransactionRefusedError } from '../src/index';
import { makeRig, type Rig } from './helpers';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
});

async function refusal(p: Promise<unknown>): Promise<TransactionRefusedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransactionRefusedError);
  return err as TransactionRefusedError;
}

async function types(r: Rig): Promise<string[]> {
  return (await r.records()).map((x) => x.type);
}

describe('refusals', () => {
  it('blocks a deny-listed card, logs card-blocked, and does not debit', async () => {
    rig = await makeRig({ balance: 100_000 });
    await rig.engine.denyList.apply({
      fromVersion: 0,
      toVersion: 1,
      add: [rig.testCard.cardNumber],
      remove: [],
    });
    const before = rig.testCard.card.state;
    const err = await refusal(rig.engine.sale({ serviceCode: 301, billRef: 'B' }));
    expect(err.reason).toBe('deny-listed');
    expect(err.cashierMessage).toMatch(/deny list.*blocked/);
    const after = rig.testCard.card.state;
    expect(after.lifeCycle).toBe(LifeCycle.BLOCKED);
    expect(after.balance).toBe(before.balance);
    expect(after.counter).toBe(before.counter);
    const recs = await rig.records();
    expect(recs.map((r) => r.type)).toEqual(['shift-open', 'card-blocked']);
    expect(recs[1]).toMatchObject({ cardNumber: rig.testCard.cardNumber, reason: 'deny-listed' });
    // Next tap: the card is blocked on its own.
    const again = await refusal(rig.engine.sale({ serviceCode: 301, billRef: 'B' }));
    expect(again.reason).toBe('card-blocked');
  });

  it('deny-list deltas apply in order and persist; a gap is refused', async () => {
    rig = await makeRig();
    await rig.engine.denyList.apply({ fromVersion: 0, toVersion: 1, add: ['8404000000000001'], remove: [] });
    await expect(
      rig.engine.denyList.apply({ fromVersion: 2, toVersion: 3, add: [], remove: [] }),
    ).rejects.toMatchObject({ code: 'ERR_DENY_LIST_VERSION' });
    await rig.reopen();
    expect(rig.engine.denyList.version).toBe(1);
    expect(rig.engine.denyList.has('8404000000000001')).toBe(true);
  });

  it('refuses with an expired terminal certificate before asking for a card', async () => {
    rig = await makeRig();
    rig.clock.now = rig.engine.config.certificate.notAfter * 1000 + 1000;
    const err = await refusal(rig.engine.sale({ serviceCode: 301, billRef: 'B' }));
    expect(err.reason).toBe('terminal-certificate-expired');
    expect(err.cashierMessage).toMatch(/certificate expired on \d{4}-\d\d-\d\d/);
    expect(rig.events.some((e) => e.type === 'insert-card')).toBe(false);
    expect(rig.engine.status().certificateExpired).toBe(true);
  });

  it('refuses above the per-sale offline limit', async () => {
    rig = await makeRig({ limits: { perSaleOfflineLimitCents: 100_000 } });
    const err = await refusal(rig.engine.sale({ serviceCode: 101, billRef: 'PP' }));
    expect(err.reason).toBe('per-sale-limit');
    expect(err.cashierMessage).toContain('KES 1,000.00');
  });

  it('refuses after too long offline, until a sync', async () => {
    rig = await makeRig({ limits: { maxOfflineMs: 72 * 3600_000 } });
    rig.clock.now += 73 * 3600_000;
    const err = await refusal(rig.engine.sale({ serviceCode: 301, billRef: 'B' }));
    expect(err.reason).toBe('offline-too-long');
    expect(err.cashierMessage).toContain('73 h');
    expect(rig.engine.status().offlineRefusal?.reason).toBe('offline-too-long');
    await rig.engine.markSynced(rig.engine.status().logRecords);
    await expect(rig.engine.sale({ serviceCode: 301, billRef: 'B' })).resolves.toMatchObject({
      status: 'approved',
    });
  });

  it('refuses when too many records are unsynced', async () => {
    // shift-open, then intent + sale per sale: 3 records after the first sale.
    rig = await makeRig({ limits: { maxUnsyncedRecords: 3 } });
    await rig.engine.sale({ serviceCode: 301, billRef: 'B1' });
    const err = await refusal(rig.engine.sale({ serviceCode: 301, billRef: 'B2' }));
    expect(err.reason).toBe('too-many-unsynced');
    expect(err.cashierMessage).toContain('3 transactions are waiting');
    expect(err.params).toMatchObject({ count: 3, limit: 3 });
  });

  it("refuses when the card's cumulative offline spend would pass its limit", async () => {
    rig = await makeRig({ balance: 2_000_000 });
    rig.pins.push(rig.testCard.pin);
    await rig.engine.sale({ serviceCode: 101, billRef: 'PP' }); // KES 4,550 of the card's KES 5,000
    const before = rig.testCard.card.state.balance;
    const err = await refusal(rig.engine.sale({ serviceCode: 402, billRef: 'DL' })); // KES 650
    expect(err.reason).toBe('card-offline-limit');
    expect(err.cashierMessage).toMatch(/offline spending limit.*KES 4,550.00 of KES 5,000.00/);
    expect(rig.testCard.card.state.balance).toBe(before);
  });

  it('wrong PIN reports tries left; three wrong PINs block it; nothing is debited', async () => {
    rig = await makeRig({ balance: 1_000_000 });
    const before = rig.testCard.card.state;
    rig.pins.push('0000');
    const first = await refusal(rig.engine.sale({ serviceCode: 201, billRef: 'GC' }));
    expect(first.reason).toBe('wrong-pin');
    expect(first.triesLeft).toBe(2);
    expect(first.cashierMessage).toBe('Wrong PIN: 2 tries left. No payment taken.');

    rig.pins.push('1111', '2222');
    const second = await refusal(rig.engine.sale({ serviceCode: 201, billRef: 'GC' }));
    expect(second.reason).toBe('pin-blocked');
    expect(second.cashierMessage).toMatch(/PIN is now blocked/);
    expect(
      rig.events.filter((e) => e.type === 'wrong-pin').map((e) => (e as { triesLeft: number }).triesLeft),
    ).toEqual([2, 1, 0]);
    const third = await refusal(rig.engine.sale({ serviceCode: 201, billRef: 'GC' }));
    expect(third.reason).toBe('pin-blocked');

    const after = rig.testCard.card.state;
    expect(after.balance).toBe(before.balance);
    expect(after.counter).toBe(before.counter);
    expect(await types(rig)).toEqual(['shift-open']);
    expect(rig.engine.xReport().declined.byReason).toMatchObject({
      'wrong-pin': { count: 1 },
      'pin-blocked': { count: 2 },
    });
  });

  it('full disk: the intent append fails, no DEBIT is sent, the sale is not approved', async () => {
    let diskFull = false;
    const io: LogFileIo = {
      ...nodeFileIo,
      async write(fh, data, position) {
        if (diskFull) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return nodeFileIo.write(fh, data, position);
      },
    };
    rig = await makeRig({ balance: 100_000, engine: { logIo: io } });
    const before = rig.testCard.card.state;
    diskFull = true;
    const err = await refusal(rig.engine.sale({ serviceCode: 301, billRef: 'B' }));
    expect(err.reason).toBe('storage-full');
    expect(err.code).toBe('ERR_REFUSED_STORAGE_FULL');
    expect(err.cashierMessage).toMatch(/no payment was taken/);
    const after = rig.testCard.card.state;
    expect(after.counter).toBe(before.counter);
    expect(after.balance).toBe(before.balance);
    expect(rig.events.some((e) => e.type === 'approved')).toBe(false);
    expect(rig.engine.status().unresolved).toEqual([]);

    diskFull = false;
    const ok = await rig.engine.sale({ serviceCode: 301, billRef: 'B' });
    expect(ok.status).toBe('approved');
    expect(await types(rig)).toEqual(['shift-open', 'intent', 'sale']);
  });
});
