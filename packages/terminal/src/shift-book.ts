/**
 * The shift book: opening and closing shifts, X and Z reports, and the declines of the open
 * shift (statistics kept beside the log, not in it).
 */
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceCatalog } from './catalog';
import { FILES, type TerminalConfig } from './config';
import type { RefusalReason } from './errors';
import { validateShiftFields } from './housekeeping';
import type { Ledger } from './ledger';
import { computeShiftReport, type DeclineEntry, type ShiftReport } from './reports';

export class ShiftBook {
  private constructor(
    private readonly config: TerminalConfig,
    private readonly ledger: Ledger,
    private readonly catalog: ServiceCatalog,
    private readonly clock: () => number,
    private readonly operatorId: string,
    private declines: DeclineEntry[],
  ) {}

  static async open(args: {
    config: TerminalConfig;
    ledger: Ledger;
    catalog: ServiceCatalog;
    clock: () => number;
    operatorId?: string;
  }): Promise<ShiftBook> {
    const declines = await readDeclines(join(args.config.dir, FILES.declines), args.ledger.shiftId);
    return new ShiftBook(
      args.config,
      args.ledger,
      args.catalog,
      args.clock,
      args.operatorId ?? 'cashier',
      declines,
    );
  }

  /** Opens the next shift (a shift-open record). */
  async openShift(): Promise<void> {
    const time = this.clock();
    const shiftId = `${this.config.terminalId}-S${this.ledger.shiftCount + 1}`;
    // What the clearing service cannot store would wedge every later upload: refuse it here.
    validateShiftFields({ shiftId, operatorId: this.operatorId, time });
    await this.ledger.append({ type: 'shift-open', time, shiftId, operatorId: this.operatorId });
    this.declines = [];
  }

  /** Closes the open shift: its totals, a shift-close record and a signed checkpoint; opens the next one. */
  async closeShift(unresolvedPending: number): Promise<ShiftReport> {
    const report = this.report('Z', unresolvedPending);
    validateShiftFields({ shiftId: report.shiftId, time: report.at });
    await this.ledger.append({
      type: 'shift-close',
      time: report.at,
      shiftId: report.shiftId,
      saleCount: report.approved.count + report.recovered.count,
      saleTotalCents: report.approved.amountCents + report.recovered.amountCents,
    });
    await this.ledger.checkpoint(report.at);
    await this.openShift();
    return report;
  }

  report(kind: 'X' | 'Z', unresolvedPending: number): ShiftReport {
    return computeShiftReport({
      kind,
      shiftId: this.ledger.shiftId,
      openedAt: this.ledger.shiftOpenedAt,
      at: this.clock(),
      records: this.ledger.shiftRecords,
      declines: this.declines.filter((d) => d.shiftId === this.ledger.shiftId),
      catalog: this.catalog,
      unresolvedPending,
    });
  }

  /** Counts a declined sale in the open shift. */
  async recordDecline(
    reason: RefusalReason,
    order: { amountCents: number; serviceCode: number } | undefined,
  ) {
    const entry: DeclineEntry = {
      shiftId: this.ledger.shiftId,
      time: this.clock(),
      reason,
      amountCents: order?.amountCents ?? 0,
      serviceCode: order?.serviceCode ?? 0,
    };
    this.declines.push(entry);
    // Declines are statistics, not money: a lost line costs a report figure, so no fsync.
    await appendFile(join(this.config.dir, FILES.declines), `${JSON.stringify(entry)}\n`).catch(() => {});
  }
}

export async function readDeclines(path: string, shiftId: string): Promise<DeclineEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const out: DeclineEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const d = JSON.parse(line) as DeclineEntry;
      if (d.shiftId === shiftId) out.push(d);
    } catch {
      // a torn last line
    }
  }
  return out;
}
