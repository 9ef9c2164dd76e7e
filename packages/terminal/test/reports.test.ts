import type { LogRecord } from '@huduma/txlog';
import { describe, expect, it } from 'vitest';
import { ServiceCatalog } from '../src/catalog';
import { computeShiftReport } from '../src/reports';

const sale = (type: 'sale' | 'recovered-sale', terminalSeq: number, amountCents: number) =>
  ({
    type,
    terminalSeq,
    amountCents,
    serviceCode: '0',
    cardNumber: '8404000000000003',
  }) as unknown as LogRecord;

describe('shift report', () => {
  it('counts a pulled-card sale once: as interrupted, then as recovered — never also as declined', () => {
    const report = computeShiftReport({
      kind: 'X',
      shiftId: 'T-S1',
      openedAt: 0,
      at: 1,
      records: [sale('sale', 1, 25_000), sale('recovered-sale', 2, 10_000)],
      declines: [
        { shiftId: 'T-S1', time: 1, reason: 'outcome-unknown', amountCents: 10_000, serviceCode: 0 },
        { shiftId: 'T-S1', time: 2, reason: 'insufficient-funds', amountCents: 99_900, serviceCode: 0 },
      ],
      catalog: new ServiceCatalog(),
      unresolvedPending: 0,
    });
    expect(report.declined).toMatchObject({ count: 1, amountCents: 99_900 });
    expect(report.declined.byReason['outcome-unknown']).toBeUndefined();
    expect(report.interrupted).toEqual({ count: 1, amountCents: 10_000 });
    expect(report.recovered).toEqual({ count: 1, amountCents: 10_000 });
    expect(report.netSalesCents).toBe(35_000);
  });
});
