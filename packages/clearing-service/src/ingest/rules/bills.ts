/**
 * Bills rule: a sale naming an open eCitizen bill with the bill's amount pays it; a cancel of
 * that sale (same card, same amount) opens the bill again.
 */
import { texts } from '../../db/array-param';
import type { IngestRule } from '../step';

export const billsRule: IngestRule = {
  name: 'bills',
  async apply(step) {
    const { tx, terminalId, live } = step;
    const firstSeq = step.fresh[0]!.seq;
    const lastSeq = step.records[step.records.length - 1]!.seq;
    const billRefs = new Set<string>();
    for (const r of live) if (r.recordType === 'debit' && r.billRef) billRefs.add(r.billRef);
    if (billRefs.size > 0) {
      // Starts from the batch's bill refs (primary-key probes): most sales name no registered bill.
      await tx.query(
        `UPDATE bills b SET status = 'paid', paid_record_id = r.record_id, paid_at = now()
         FROM accepted_records r
         WHERE b.bill_ref = ANY($4::text[]) AND b.status = 'open'
           AND r.terminal_id = $1 AND r.seq BETWEEN $2 AND $3 AND r.record_type = 'debit'
           AND r.bill_ref = b.bill_ref AND r.amount_cents = b.amount_cents`,
        [terminalId, firstSeq, lastSeq, texts([...billRefs])],
      );
    }
    if (live.some((r) => r.recordType === 'cancel')) {
      await tx.query(
        `UPDATE bills b SET status = 'open', paid_record_id = NULL, paid_at = NULL
         FROM accepted_records r, accepted_records paid
         WHERE r.terminal_id = $1 AND r.seq BETWEEN $2 AND $3 AND r.record_type = 'cancel'
           AND b.bill_ref = r.bill_ref AND b.status = 'paid' AND paid.record_id = b.paid_record_id
           AND paid.card_number = r.card_number AND paid.amount_cents = r.amount_cents`,
        [terminalId, firstSeq, lastSeq],
      );
    }
  },
};
