/**
 * One counter's live session behind the page: runs the engine's operations in the background
 * (the HTTP request that starts one answers at once), keeps the state the page shows (reader,
 * card, "hold the card", PIN being entered, sync, offline age, unsynced count, interrupted taps)
 * and pushes it to every listener. It is also the engine's PIN pad: the cardholder types the PIN
 * on the page, and the PIN goes to the card and nowhere else (never into the state or a log).
 */

import { maskCardNumber } from '@huduma/card-applet-spec';
import {
  type ApprovedTransaction,
  type Operation,
  type PinPad,
  type RecoveryNotice,
  type SyncReport,
  type TerminalEngine,
  type TerminalEvent,
  TransactionRefusedError,
} from '@huduma/terminal';
import type { CounterDevices } from '../devices/counter-devices';
import type { DemoCardBox } from '../ui/demo-reader';
import { type RefusalWording, refusalText, WEB_LANGUAGES, type WebLanguage } from './i18n';
import type { LastSaleView, LiveState, RecoveredView, ResultView } from './live-state';
import { lastSaleFromLog, receiptFromLog } from './receipt-view';
import type { ReloadRequest, SaleRequest } from './validate';

export type { LastSaleView, LiveState, Phase, RecoveredView, ResultView } from './live-state';

/** Another operation is running: the page says so and nothing changes (409). */
export class CounterBusyError extends Error {
  readonly code = 'ERR_TERMINAL_BUSY';
}

/** An operation this counter does not offer (e.g. reload at a partner merchant): 409 with a reason. */
export class CounterRefusedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface CounterSessionOptions {
  engine: TerminalEngine;
  /** Syncs with the clearing service (absent: "Sync now" says none is set up). */
  uploader?: { syncNow(): Promise<SyncReport> };
  /** The simulated demo reader and its cards' PINs (demo world only). */
  demo?: { reader: DemoCardBox; pins: string[] };
  /**
   * The counter's devices: their states go into the live state, and approved operations print
   * their receipt (fire-and-report: a printer out of paper never holds up or fails a sale).
   */
  devices?: Pick<CounterDevices, 'deviceStates' | 'printReceipt'> & Partial<Pick<CounterDevices, 'printing'>>;
  /** Whether the reader is there (PC/SC); default: always. */
  readerConnected?: () => boolean;
  /**
   * The PIN pad slot the engine was opened with, when the page shares the engine with another
   * front end (the console): the page takes the slot for the operations it starts.
   */
  pinPadSlot?: { target: PinPad | undefined };
}

/** The engine takes a PIN pad when it opens: give it this slot, then the session plugs in. */
export class WebPinPadSlot implements PinPad {
  target: PinPad | undefined;
  requestPin(request: Parameters<PinPad['requestPin']>[0]): Promise<string | undefined> {
    return this.target ? this.target.requestPin(request) : Promise.resolve(undefined);
  }
}

export class CounterSession implements PinPad {
  private state: LiveState;
  private readonly listeners = new Set<(state: LiveState) => void>();
  private abort: AbortController | undefined;
  private pendingPin: ((pin: string | undefined) => void) | undefined;
  private running: Promise<void> | undefined;
  private pullArmed = false;
  private readonly unsubscribe: () => void;
  private readonly unsubscribeDevices: () => void;
  private readonly ticker: NodeJS.Timeout;
  private lastSnapshot = '';

  constructor(private readonly options: CounterSessionOptions) {
    const config = options.engine.config;
    this.state = {
      version: 0,
      profile: {
        terminalId: config.terminalId,
        merchantId: config.merchantId,
        locationKind: config.location.kind,
        locationName: config.location.name,
        reloadAllowed: config.location.kind === 'huduma-centre',
      },
      readerConnected: true,
      cardPresent: false,
      phase: 'idle',
      recovered: [],
      unresolved: [],
      sync: {
        state: options.uploader ? 'idle' : 'unavailable',
        lastSyncAt: 0,
        offlineForMs: 0,
        unsyncedRecords: 0,
      },
    };
    this.unsubscribe = options.engine.on((e) => this.onEvent(e));
    this.unsubscribeDevices = options.devices?.deviceStates.subscribe(() => this.refresh()) ?? (() => {});
    this.refresh();
    // Offline age and card presence change without an event: look once a second, push on change.
    this.ticker = setInterval(() => this.refresh(), 1000);
    this.ticker.unref();
  }

  get engine(): TerminalEngine {
    return this.options.engine;
  }

  snapshot(): LiveState {
    return this.state;
  }

  subscribe(listener: (state: LiveState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Waits for the operation in progress (tests; shutdown). */
  async settled(): Promise<void> {
    await this.running;
  }

  async close(): Promise<void> {
    clearInterval(this.ticker);
    this.abortCurrent();
    await this.running;
    this.unsubscribe();
    this.unsubscribeDevices();
    this.listeners.clear();
  }

  // ------------------------------------------------------------------ operations

  startSale(request: SaleRequest): void {
    const amountCents =
      request.kind === 'amount' ? request.amountCents : this.engine.catalog.get(request.serviceCode).feeCents;
    const input =
      request.kind === 'amount'
        ? { amount: request.amount, billRef: request.billRef }
        : { serviceCode: request.serviceCode, billRef: request.billRef };
    this.run('sale', amountCents, (signal) => this.engine.sale(input, { signal }));
  }

  startCancel(): void {
    this.run('cancel', undefined, (signal) => this.engine.cancelLast({ signal }));
  }

  startReload(request: ReloadRequest): void {
    if (!this.state.profile.reloadAllowed)
      throw new CounterRefusedError('ERR_RELOAD_NOT_HERE', 'reloads are done at Huduma Centre counters only');
    const args = {
      amountCents: request.amountCents,
      ...(request.reference === undefined ? {} : { reference: request.reference }),
    };
    this.run('reload', request.amountCents, (signal) => this.engine.reload(args, { signal }));
  }

  startRecover(): void {
    this.run('recover', undefined, (signal) => this.engine.recoverCard({ signal }));
  }

  /** Stops waiting for a card or a PIN (the card is not charged); ignored when nothing runs. */
  abortCurrent(): void {
    this.pendingPin?.(undefined);
    this.pendingPin = undefined;
    this.abort?.abort();
  }

  /** The cardholder's PIN from the page (or their cancel). False when no PIN is being asked. */
  enterPin(entry: { pin: string } | { cancel: true }): boolean {
    const resolve = this.pendingPin;
    if (!resolve) return false;
    this.pendingPin = undefined;
    this.update({ phase: 'hold-card' });
    resolve('pin' in entry ? entry.pin : undefined);
    return true;
  }

  async syncNow(): Promise<void> {
    const uploader = this.options.uploader;
    if (!uploader) throw new CounterRefusedError('ERR_SYNC_UNAVAILABLE', 'no clearing service is set up');
    if (this.state.sync.state === 'syncing') throw new CounterBusyError('a sync is running');
    this.state.sync = { ...this.state.sync, state: 'syncing' };
    this.push();
    let report: SyncReport | undefined;
    let error: string | undefined;
    try {
      report = await uploader.syncNow();
      if (report.errors.length) error = report.errors.map((e) => e.code).join(', ');
    } catch (err) {
      error = (err as { code?: string }).code ?? 'ERR_SYNC';
    }
    this.state.sync = {
      ...this.state.sync,
      state: error ? 'failed' : 'ok',
      ...(report?.upload ? { uploaded: report.upload.records } : {}),
      ...(error ? { error } : {}),
    };
    if (!error) delete this.state.sync.error;
    this.refresh(true);
  }

  /** Prints a receipt again on the counter's printer (the last one by default). */
  reprint(terminalSeq?: number): void {
    const printing = this.options.devices?.printing;
    if (!printing) throw new CounterRefusedError('ERR_NO_PRINTER', 'this counter has no receipt printer');
    if (!printing.reprint(terminalSeq))
      throw new CounterRefusedError('ERR_NO_RECEIPT', 'no receipt of this session to reprint');
  }

  /** The sale "Cancel last" would cancel, read from the signed log. */
  lastSale(): Promise<LastSaleView | undefined> {
    return lastSaleFromLog(this.engine);
  }

  // ------------------------------------------------------------------ demo reader

  demoPresent(index: number): void {
    const reader = this.demoReader();
    reader.insert(index);
    this.refresh(true);
  }

  demoRemove(): void {
    this.demoReader().remove();
    this.refresh(true);
  }

  demoPull(afterCardProcessed: boolean): void {
    this.demoReader().pullDuringNextValueCommand({ afterCardProcessed });
    this.pullArmed = true;
    this.refresh(true);
  }

  private demoReader(): DemoCardBox {
    const demo = this.options.demo;
    if (!demo) throw new CounterRefusedError('ERR_NO_DEMO_READER', 'this counter has no demo reader');
    return demo.reader;
  }

  // ------------------------------------------------------------------ PIN pad

  requestPin(request: Parameters<PinPad['requestPin']>[0]): Promise<string | undefined> {
    return new Promise((resolve) => {
      this.pendingPin = resolve;
      const wrong = request.attempt > 1;
      this.update({
        phase: 'pin',
        pin: { triesLeft: request.triesLeft, attempt: request.attempt, wrong },
      });
    });
  }

  // ------------------------------------------------------------------ internals

  private run(
    operation: Operation,
    amountCents: number | undefined,
    fn: (signal: AbortSignal) => Promise<ApprovedTransaction | RecoveryNotice[]>,
  ): void {
    if (this.running) throw new CounterBusyError(`the terminal is busy with a ${this.state.operation}`);
    const abort = new AbortController();
    this.abort = abort;
    const slot = this.options.pinPadSlot;
    const previousPinPad = slot?.target;
    if (slot) slot.target = this;
    this.state = { ...this.state, phase: 'waiting-card', operation, recovered: [] };
    delete this.state.result;
    delete this.state.card;
    delete this.state.pin;
    if (amountCents === undefined) delete this.state.amountCents;
    else this.state.amountCents = amountCents;
    this.push();
    this.running = (async () => {
      let result: ResultView | undefined;
      try {
        const outcome = await fn(abort.signal);
        if (Array.isArray(outcome)) result = { kind: 'recovered', count: outcome.length };
        else {
          this.options.devices?.printReceipt(outcome, this.engine.config);
          const receipt = await receiptFromLog(this.engine, outcome.terminalSeq);
          if (receipt) {
            result = { kind: 'approved', operation: outcome.operation, receipt };
            this.state.lastReceiptSeq = outcome.terminalSeq;
          } else result = { kind: 'error', operation, code: 'ERR_RECEIPT_NOT_IN_LOG' };
        }
      } catch (err) {
        if (abort.signal.aborted && !(err instanceof TransactionRefusedError)) result = undefined;
        else if (err instanceof TransactionRefusedError) result = this.declined(operation, err, amountCents);
        else result = { kind: 'error', operation, code: (err as { code?: string }).code ?? 'ERR_INTERNAL' };
      } finally {
        if (slot) slot.target = previousPinPad;
        this.abort = undefined;
        this.pendingPin = undefined;
        this.running = undefined;
        this.pullArmed = false;
      }
      this.state = { ...this.state, phase: result ? 'result' : 'idle' };
      delete this.state.pin;
      if (result) this.state.result = result;
      else delete this.state.result;
      this.refresh(true);
    })();
  }

  private declined(operation: Operation, err: TransactionRefusedError, amountCents?: number): ResultView {
    const wording = {} as Record<WebLanguage, RefusalWording>;
    for (const lang of WEB_LANGUAGES)
      wording[lang] = refusalText(err.reason, lang, {
        ...err.params,
        ...(amountCents === undefined ? {} : { amountCents }),
        ...(err.params.balanceCents === undefined && this.state.card
          ? { balanceCents: this.state.card.balanceCents }
          : {}),
        ...(err.triesLeft === undefined ? {} : { triesLeft: err.triesLeft }),
      });
    return {
      kind: 'declined',
      operation,
      reason: err.reason,
      ...(amountCents === undefined ? {} : { amountCents }),
      wording,
    };
  }

  private onEvent(e: TerminalEvent): void {
    switch (e.type) {
      case 'insert-card':
        this.update({ phase: 'waiting-card' });
        break;
      case 'card-read':
        this.update({
          cardPresent: true,
          card: { maskedCard: e.maskedCardNumber, balanceCents: e.balanceCents },
          phase: 'hold-card',
        });
        break;
      case 'wrong-pin':
        if (this.state.pin) this.update({ pin: { ...this.state.pin, wrong: true, triesLeft: e.triesLeft } });
        break;
      case 'processing':
        this.update({ phase: 'hold-card' });
        break;
      case 'recovered':
        void this.addRecovered(e.notice);
        break;
      default:
        break;
    }
  }

  private async addRecovered(notice: RecoveryNotice): Promise<void> {
    const view: RecoveredView = {
      op: notice.op,
      terminalSeq: notice.terminalSeq,
      amountCents: notice.amountCents,
      outcome: notice.outcome,
    };
    this.state.recovered = [...this.state.recovered, view];
    if (notice.outcome === 'completed') {
      const receipt = await receiptFromLog(this.engine, notice.terminalSeq).catch(() => undefined);
      if (receipt) view.receipt = receipt;
    }
    this.refresh(true);
  }

  private update(patch: Partial<LiveState>): void {
    this.state = { ...this.state, ...patch };
    this.push();
  }

  /** Reads the engine's status and the reader; pushes when anything the page shows changed. */
  private refresh(force = false): void {
    const status = this.engine.status();
    const demo = this.options.demo;
    const next: LiveState = {
      ...this.state,
      readerConnected: this.options.readerConnected?.() ?? this.readerFromDevices(),
      cardPresent: demo ? demo.reader.cardPresent : this.state.phase === 'hold-card',
      unresolved: status.unresolved.map((u) => ({
        op: u.op,
        terminalSeq: u.terminalSeq,
        maskedCard: maskCardNumber(u.cardNumber),
        amountCents: u.amountCents,
        needsOperator: u.needsOperator,
      })),
      sync: {
        ...this.state.sync,
        lastSyncAt: status.lastSyncAt,
        // Minutes are what the page shows: a push per minute, not per second.
        offlineForMs: Math.floor(status.offlineForMs / 60_000) * 60_000,
        unsyncedRecords: status.unsyncedRecords,
      },
    };
    const devices = this.options.devices;
    if (devices) next.devices = devices.deviceStates.snapshot();
    if (demo) {
      const inserted = demo.reader.inserted;
      next.demo = {
        cards: demo.reader.cards.map((c, index) => ({
          index,
          label: c.label,
          maskedCard: maskCardNumber(c.card.state.cardNumber ?? '0000000000000000'),
          balanceCents: c.card.state.balance,
          pin: demo.pins[index] ?? '',
        })),
        pullArmed: this.pullArmed,
        ...(inserted ? { inserted: demo.reader.cards.indexOf(inserted) } : {}),
      };
    }
    this.state = next;
    const snapshot = JSON.stringify({ ...next, version: 0 });
    if (force || snapshot !== this.lastSnapshot) this.push();
  }

  /** With devices, the reader is connected while its state is ready (or it is not tracked). */
  private readerFromDevices(): boolean {
    const state = this.options.devices?.deviceStates.get('reader');
    return state === undefined || state === 'ready' || state === 'not-configured';
  }

  private push(): void {
    this.state = { ...this.state, version: this.state.version + 1 };
    this.lastSnapshot = JSON.stringify({ ...this.state, version: 0 });
    for (const listener of this.listeners) listener(this.state);
  }
}
