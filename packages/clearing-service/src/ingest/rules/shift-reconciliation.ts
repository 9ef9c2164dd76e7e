/**
 * Shift-reconciliation rule: a shift-close record carries the terminal's Z-report totals; the
 * service counts the same shift from what it holds, and an out-of-balance shift raises an alert.
 */
import { reconcileShift } from '../../reconcile';
import type { IngestRule } from '../step';

export const shiftReconciliationRule: IngestRule = {
  name: 'shift reconciliation',
  async apply(step) {
    // Filtered first: a for-of with an await in it made an iterator result per record of every upload.
    for (const r of step.live.filter((x) => x.decoded.type === 'shift-close')) {
      if (r.decoded.type !== 'shift-close') continue; // narrows the type
      const rec = await reconcileShift(step.tx, step.terminalId, r.decoded.shiftId, {
        count: r.decoded.saleCount,
        amountCents: r.decoded.saleTotalCents,
      });
      if (rec.status === 'out-of-balance') {
        await step.alert({
          kind: 'shift-out-of-balance',
          severity: 'warning',
          terminalId: step.terminalId,
          details: { shiftId: rec.shiftId, terminal: rec.terminal, service: rec.service, seq: r.seq },
        });
      }
    }
  },
};
