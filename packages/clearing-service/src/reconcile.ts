/**
 * Shift-close reconciliation, as a card-acquiring batch close: the terminal says how many sales
 * (sale + recovered-sale, gross) and how much it took in a shift; the service compares with the
 * accepted debit records between that shift's shift-open and shift-close records.
 */
import type { Queryable } from './db/types';

export interface ShiftReconciliation {
  terminalId: string;
  shiftId: string;
  /**
   * in-balance: the service holds the whole shift (through its shift-close record) and agrees;
   * out-of-balance: it holds the whole shift and disagrees; incomplete: the shift's records
   * have not all been uploaded yet (compare again after the next upload).
   */
  status: 'in-balance' | 'out-of-balance' | 'incomplete';
  shiftOpenSeq: number | null;
  shiftCloseSeq: number | null;
  heldUpToSeq: number | null;
  terminal: { count: number; amountCents: number };
  service: { count: number; amountCents: number; cancelCount: number; cancelCents: number };
  difference: { count: number; amountCents: number };
  /** Log seqs of the sales the service accepted in this shift. */
  serviceSaleSeqs: number[];
  /** With the terminal's list: seqs it reported that the service does not hold as sales. */
  missingAtService?: number[];
  /** With the terminal's list: sales the service holds that the terminal did not report. */
  notReportedByTerminal?: number[];
}

export async function reconcileShift(
  q: Queryable,
  terminalId: string,
  shiftId: string,
  declared: { count: number; amountCents: number; saleSeqs?: readonly number[] },
): Promise<ShiftReconciliation> {
  const markers = await q.query<{ seq: number; record_type: string }>(
    `SELECT seq, record_type FROM accepted_records
     WHERE terminal_id = $1 AND shift_id = $2 AND record_type IN ('shift-open', 'shift-close') ORDER BY seq`,
    [terminalId, shiftId],
  );
  const terminalRows = await q.query<{ last_seq: number | null }>(
    'SELECT last_seq FROM terminals WHERE terminal_id = $1',
    [terminalId],
  );
  const heldUpToSeq = terminalRows[0]?.last_seq ?? null;
  const openSeq = markers.find((m) => m.record_type === 'shift-open')?.seq ?? null;
  const closeSeq = markers.find((m) => m.record_type === 'shift-close')?.seq ?? null;
  let sales: Array<{ seq: number; amount_cents: number; record_type: string }> = [];
  if (openSeq !== null || closeSeq !== null) {
    sales = await q.query(
      `SELECT seq, amount_cents, record_type FROM accepted_records
       WHERE terminal_id = $1 AND seq > $2 AND seq < $3 AND record_type IN ('debit', 'cancel') ORDER BY seq`,
      [terminalId, openSeq ?? -1, closeSeq ?? Number.MAX_SAFE_INTEGER],
    );
  }
  const debits = sales.filter((s) => s.record_type === 'debit');
  const cancels = sales.filter((s) => s.record_type === 'cancel');
  const service = {
    count: debits.length,
    amountCents: debits.reduce((sum, s) => sum + s.amount_cents, 0),
    cancelCount: cancels.length,
    cancelCents: cancels.reduce((sum, s) => sum + s.amount_cents, 0),
  };
  const difference = {
    count: declared.count - service.count,
    amountCents: declared.amountCents - service.amountCents,
  };
  const serviceSaleSeqs = debits.map((d) => d.seq);
  const agrees = difference.count === 0 && difference.amountCents === 0;
  const result: ShiftReconciliation = {
    terminalId,
    shiftId,
    status: closeSeq === null ? 'incomplete' : agrees ? 'in-balance' : 'out-of-balance',
    shiftOpenSeq: openSeq,
    shiftCloseSeq: closeSeq,
    heldUpToSeq,
    terminal: { count: declared.count, amountCents: declared.amountCents },
    service,
    difference,
    serviceSaleSeqs,
  };
  if (declared.saleSeqs) {
    const held = new Set(serviceSaleSeqs);
    const reported = new Set(declared.saleSeqs);
    result.missingAtService = declared.saleSeqs.filter((s) => !held.has(s));
    result.notReportedByTerminal = serviceSaleSeqs.filter((s) => !reported.has(s));
    if (
      closeSeq !== null &&
      (result.missingAtService.length > 0 || result.notReportedByTerminal.length > 0)
    ) {
      result.status = 'out-of-balance';
    }
  }
  return result;
}
