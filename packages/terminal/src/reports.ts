import type { LogRecord } from '@huduma/txlog';
import type { ServiceCatalog } from './catalog';
import type { RefusalReason } from './errors';

/** One declined attempt, kept for the shift report (declines are not transactions: not in the log). */
export interface DeclineEntry {
  shiftId: string;
  time: number;
  reason: RefusalReason;
  amountCents: number;
  serviceCode: number;
}

export interface CountAndAmount {
  count: number;
  amountCents: number;
}

/** Shift totals (X report while open; Z report when it closes). */
export interface ShiftReport {
  kind: 'X' | 'Z';
  shiftId: string;
  openedAt: number;
  /** ms; when the report was made (Z: when the shift closed). */
  at: number;
  approved: CountAndAmount;
  recovered: CountAndAmount;
  cancelled: CountAndAmount;
  reloads: CountAndAmount;
  declined: CountAndAmount & { byReason: Partial<Record<RefusalReason, CountAndAmount>> };
  /**
   * Sales cut short with their outcome unknown (card pulled, power lost). Not declines: each one
   * later shows up as recovered (the card was charged) or resolved as not charged.
   */
  interrupted: CountAndAmount;
  /** Sales (approved + recovered) by service code, minus cancellations of them. */
  byService: Array<{ serviceCode: number; name: string } & CountAndAmount>;
  /** approved + recovered - cancelled. */
  netSalesCents: number;
  /** Pending debits still unresolved (the operator must follow up). */
  unresolvedPending: number;
}

function add(t: CountAndAmount, amount: number, sign = 1): void {
  t.count += sign;
  t.amountCents += sign * amount;
}

/** Computes shift totals from the shift's log records and its declines. */
export function computeShiftReport(args: {
  kind: 'X' | 'Z';
  shiftId: string;
  openedAt: number;
  at: number;
  records: readonly LogRecord[];
  declines: readonly DeclineEntry[];
  catalog: ServiceCatalog;
  unresolvedPending: number;
}): ShiftReport {
  const zero = () => ({ count: 0, amountCents: 0 });
  const report: ShiftReport = {
    kind: args.kind,
    shiftId: args.shiftId,
    openedAt: args.openedAt,
    at: args.at,
    approved: zero(),
    recovered: zero(),
    cancelled: zero(),
    reloads: zero(),
    declined: { ...zero(), byReason: {} },
    interrupted: zero(),
    byService: [],
    netSalesCents: 0,
    unresolvedPending: args.unresolvedPending,
  };
  const services = new Map<number, CountAndAmount>();
  const serviceOfSeq = new Map<number, number>();
  const byService = (code: number) => {
    let t = services.get(code);
    if (!t) services.set(code, (t = zero()));
    return t;
  };
  for (const r of args.records) {
    switch (r.type) {
      case 'sale':
      case 'recovered-sale': {
        add(r.type === 'sale' ? report.approved : report.recovered, r.amountCents);
        const code = Number(r.serviceCode);
        serviceOfSeq.set(r.terminalSeq, code);
        add(byService(code), r.amountCents);
        break;
      }
      case 'cancel': {
        add(report.cancelled, r.amountCents);
        const code = serviceOfSeq.get(r.originalTerminalSeq);
        // A cancel of a sale from an earlier shift counts in this shift's cancellations only.
        if (code !== undefined) add(byService(code), r.amountCents, -1);
        break;
      }
      case 'reload':
        add(report.reloads, r.amountCents);
        break;
    }
  }
  for (const d of args.declines) {
    if (d.reason === 'outcome-unknown') {
      add(report.interrupted, d.amountCents);
      continue;
    }
    add(report.declined, d.amountCents);
    const byReason = (report.declined.byReason[d.reason] ??= zero());
    add(byReason, d.amountCents);
  }
  report.byService = [...services.entries()]
    .sort(([a], [b]) => a - b)
    .map(([serviceCode, t]) => ({ serviceCode, name: args.catalog.nameOf(serviceCode), ...t }));
  report.netSalesCents =
    report.approved.amountCents + report.recovered.amountCents - report.cancelled.amountCents;
  return report;
}
