/**
 * Quarantine rule: a new record the database cannot hold (quarantine.ts says which values) is
 * stored as bytes only, flagged, outside settlement and every money rule, with an alert for the
 * operator; the rest of the batch goes on.
 */
import { findUnstorable } from '../../quarantine';
import type { IngestRule } from '../step';

export const quarantineRule: IngestRule = {
  name: 'quarantine',
  async check(step) {
    step.unstorable = findUnstorable(step.fresh);
    if (step.unstorable.size === 0) return;
    step.live = step.fresh.filter((r) => !step.unstorable.has(r));
    for (const problem of step.unstorable.values()) {
      await step.alert({
        kind: 'record-quarantined',
        severity: 'warning',
        terminalId: step.terminalId,
        details: { seq: problem.seq, field: problem.field, reason: problem.message },
      });
    }
  },
};
