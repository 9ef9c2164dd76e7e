import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { nodeCryptoSigner, type StoredRecord } from '@huduma/txlog';
import { ServiceCatalog } from './catalog';
import { FILES, loadTerminalConfig } from './config';
import { DenyList } from './deny-list';
import type { TerminalEngineOptions, TerminalStatus } from './engine-types';
import { clockRefusal } from './housekeeping';
import { type Intent, IntentJournal } from './intents';
import { Ledger } from './ledger';
import { TerminalEngineOperations } from './operations';
import type { ShiftReport } from './reports';
import { ShiftBook } from './shift-book';
import { StorageReserve } from './storage';
import { SyncState } from './sync-state';

export type {
  ApprovedTransaction,
  Operation,
  PinPad,
  RecoveryNotice,
  TerminalEngineOptions,
  TerminalEvent,
  TerminalStatus,
  UnresolvedTransaction,
} from './engine-types';

/**
 * The transaction engine of a Huduma counter terminal: sales, cancellations, reloads, tear
 * recovery and shift totals over one card reader, with every value command's intent durable in
 * the log before it is sent and its card proof written to the log before it is approved (one
 * fsync per sale: docs/decisions/one-fsync-per-sale.md). UI-free: it raises machine-readable
 * reasons, events and typed results; the counter app words them.
 *
 * Modules: engine-core (files, intents, logging), engine-recovery (interrupted commands),
 * tap-session (one tap), value-command (the template), operations (sale, cancel, reload),
 * shift-book (shifts, X/Z, declines), pin (cardholder verification).
 */
export class TerminalEngine extends TerminalEngineOperations {
  /** Opens a provisioned terminal: rebuilds its state from the log and opens a shift if none is open. */
  static async open(options: TerminalEngineOptions): Promise<TerminalEngine> {
    const config = await loadTerminalConfig(options.dir);
    const clock = options.clock ?? Date.now;
    const signer = nodeCryptoSigner(config.privateKey, config.terminalId);
    const ledger = await Ledger.open(join(options.dir, FILES.log), { signer, io: options.logIo });
    const sync = await SyncState.open(join(options.dir, FILES.sync), clock());
    const denyList = await DenyList.open(join(options.dir, FILES.denyList));
    const catalog = options.catalog ?? new ServiceCatalog();
    const shifts = await ShiftBook.open({ config, ledger, catalog, clock, operatorId: options.operatorId });
    const reserve = new StorageReserve(join(options.dir, FILES.reserve), options.dir);
    // A full disk at start does not stop the terminal opening: sales are refused until it has room.
    await reserve.ensure().catch(() => {});
    const legacyIntents = await readLegacyIntents(join(options.dir, FILES.intents));
    const engine = new TerminalEngine({
      config,
      options,
      ledger,
      legacyIntents,
      sync,
      denyList,
      reserve,
      shifts,
      catalog,
    });
    // A log of an older version, with a crash between a sale record and its pending-resolved
    // record: write the missing half, so the log itself says every pending debit is settled.
    for (const terminalSeq of [...ledger.saleWithoutResolution])
      await ledger.append({ type: 'pending-resolved', time: clock(), terminalSeq, outcome: 'completed' });
    if (!ledger.shiftId) await shifts.openShift();
    return engine;
  }

  status(): TerminalStatus {
    const now = this.clock();
    const cert = this.config.certificate;
    return {
      terminalId: this.config.terminalId,
      merchantId: this.config.merchantId,
      location: this.config.location,
      certificateNotAfter: cert.notAfter * 1000,
      certificateExpired: now > cert.notAfter * 1000,
      shiftId: this.ledger.shiftId,
      shiftOpenedAt: this.ledger.shiftOpenedAt,
      logRecords: this.ledger.count,
      unsyncedRecords: this.unsyncedRecords(),
      lastSyncAt: this.sync.lastSyncAt,
      everSynced: this.sync.everSynced,
      offlineForMs: now - this.sync.lastSyncAt,
      offlineRefusal: this.offlineRefusal(),
      denyListVersion: this.denyList.version,
      unresolved: this.unresolved().map((i) => ({
        op: i.op,
        terminalSeq: i.terminalSeq,
        cardNumber: i.cardNumber,
        amountCents: i.amountCents,
        billRef: i.billRef,
        time: i.time,
        needsOperator: this.needsOperator.has(i.terminalSeq),
      })),
    };
  }

  /** X report: running totals of the open shift. */
  xReport(): ShiftReport {
    return this.shifts.report('X', this.unresolved().length);
  }

  /** Z report: closes the shift (shift-close record, signed checkpoint) and opens the next one. */
  async zReport(): Promise<ShiftReport> {
    return this.exclusive('Z report', () => this.shifts.closeShift(this.unresolved().length));
  }

  /** The transaction log's records (for export and tests). */
  records() {
    return this.ledger.records();
  }

  /** Records from `fromSeq` with their exact stored bytes, for the uploader. */
  storedRecords(fromSeq = 0): AsyncGenerator<StoredRecord> {
    return this.ledger.storedRecords(fromSeq);
  }

  /**
   * Appends a checkpoint signed by the terminal key over everything logged so far (the uploader
   * does this before an upload). Safe during a sale: appends are serialized by the log.
   */
  checkpoint(): Promise<void> {
    const now = this.clock();
    // A checkpoint stamped with an impossible time would wedge uploads (the uploader seals instead).
    const clock = clockRefusal(now);
    if (clock) return Promise.reject(clock);
    return this.ledger.checkpoint(now);
  }

  /** Records the clearing service has acknowledged (records 0..n-1). */
  get syncedRecordCount(): number {
    return this.sync.syncedRecordCount;
  }
}

/** Open intents of the sidecar journal an older version kept (read-only; new intents are in the log). */
async function readLegacyIntents(path: string): Promise<Intent[]> {
  if (!existsSync(path)) return [];
  const journal = await IntentJournal.open(path);
  try {
    return journal.unresolved();
  } finally {
    await journal.close();
  }
}
