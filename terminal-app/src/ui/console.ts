import type {
  ApprovedTransaction,
  PinPad,
  RecoveryNotice,
  TerminalEngine,
  TerminalEvent,
} from '@huduma/terminal';
import {
  formatKes,
  normalizeBillRef,
  parseAmount,
  type SaleInput,
  type Service,
  TerminalError,
  TransactionRefusedError,
} from '@huduma/terminal';
import { type DeclineContext, declineText, formatShiftReport, formatStatus, kes } from '../cli/format';
import type { CounterDevices } from '../devices/counter-devices';
import { receiptDataOfRecord, shiftReportDocument } from '../devices/receipt-document';
import { deviceStatesLine } from '../messages/device-words';
import { type Language, noticeText, translate } from '../messages/index';
import type { DemoReader } from './demo-reader';
import { LineReader } from './line-reader';

/**
 * The engine takes its PIN pad when it opens, before the console exists: open the engine with a
 * slot and give the same slot to the console, which plugs itself in.
 */
export class PinPadSlot implements PinPad {
  target: PinPad | undefined;
  requestPin(request: Parameters<PinPad['requestPin']>[0]): Promise<string | undefined> {
    return this.target ? this.target.requestPin(request) : Promise.resolve(undefined);
  }
}

export interface CashierConsoleOptions {
  engine: TerminalEngine;
  /** The PIN pad slot the engine was opened with (see PinPadSlot). */
  pinPad?: PinPadSlot;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Simulated reader with demo cards: the tap prompt then offers them, and the demo menu appears. */
  demo?: DemoReader;
  /** Receipt printer and PIN pad (`--printer`, `--pinpad`): receipts print, the pad takes PINs. */
  devices?: CounterDevices;
  /** Interactive terminal (line editing, masked PIN, colour). Default: `output.isTTY`. */
  terminal?: boolean;
  /** The cashier's language for what the engine reports (declines, re-tap findings). Default 'en'. */
  language?: Language;
}

type Outcome = 'approved' | 'declined' | 'unfinished' | 'cancelled';

const RULE = '='.repeat(40);

/**
 * The cashier's console: a menu, the sale flow (service or typed amount, bill reference, tap,
 * PIN), cancellations, reloads, X/Z reports and status, with approvals, declines and tear
 * recovery said in plain English. Each action is also a method, so a narrated demo or a test can
 * drive it without the menu.
 */
export class CashierConsole implements PinPad {
  readonly lines: LineReader;
  private readonly out: NodeJS.WritableStream;
  private readonly color: boolean;
  private context: DeclineContext = {};
  /** The demo card the tap prompt put in the reader (taken out again after the transaction). */
  private tapped = false;
  private tap: { what: string; abort: AbortController; prompting: Promise<void> | undefined } | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: CashierConsoleOptions) {
    const terminal = options.terminal ?? (options.output as { isTTY?: boolean }).isTTY === true;
    this.out = options.output;
    this.color = terminal;
    this.lines = new LineReader(options.input, options.output, terminal);
    this.unsubscribe = options.engine.on((e) => this.onEvent(e));
    if (options.pinPad) options.pinPad.target = options.devices?.pinPad ?? this;
    // The demo world's simulated pad (hid:sim): the customer's keys are typed here and travel as
    // HID reports through the real driver.
    const simPad = options.devices?.simulated.pad;
    if (simPad)
      simPad.onPinEntry = (pad) =>
        void this.lines
          .secret(`PIN pad: "${pad.display.prompt}" ${kes(pad.display.amountCents)} (Enter = cancel): `)
          .then((pin) => (pin && /^\d{4,12}$/.test(pin) ? pad.enterPin(pin) : pad.press('cancel')));
  }

  private get language(): Language {
    return this.options.language ?? 'en';
  }

  private get engine(): TerminalEngine {
    return this.options.engine;
  }

  // ------------------------------------------------------------------ output

  print(text = ''): void {
    this.out.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  private paint(code: string, text: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  private onEvent(e: TerminalEvent): void {
    switch (e.type) {
      case 'insert-card':
        this.onInsertCard();
        break;
      case 'card-read':
        this.context.balanceCents = e.balanceCents;
        this.print(`Card ${e.maskedCardNumber}  balance ${kes(e.balanceCents)}`);
        break;
      case 'wrong-pin':
        this.context.triesLeft = e.triesLeft;
        this.print(
          this.paint('33', `Wrong PIN: ${e.triesLeft} ${e.triesLeft === 1 ? 'try' : 'tries'} left.`),
        );
        break;
      case 'processing':
        this.print('Processing… keep the card still.');
        break;
      case 'recovered': {
        const text = noticeText(e.notice, this.language);
        this.print(this.paint('1', e.notice.outcome === 'unknown' ? `ATTENTION: ${text}` : text));
        if (e.notice.receipt) this.print(e.notice.receipt);
        break;
      }
      case 'operator-attention':
        // The 'recovered' event that follows words it in the cashier's language.
        if (!e.notice) this.print(this.paint('1;33', `ATTENTION: ${e.message}`));
        break;
      default:
        break;
    }
  }

  // ------------------------------------------------------------------ PIN pad

  async requestPin(request: {
    amountCents: number;
    triesLeft: number;
    attempt: number;
  }): Promise<string | undefined> {
    const pin = await this.lines.secret(
      `Customer: enter PIN for ${kes(request.amountCents)} (${request.triesLeft} ${request.triesLeft === 1 ? 'try' : 'tries'} left; Enter = cancel): `,
    );
    return pin ? pin : undefined;
  }

  // ------------------------------------------------------------------ tap

  /**
   * Runs one card operation: prints the tap prompt and, with demo cards, lets the cashier pick
   * which card to tap (Enter cancels). Any card put in by the prompt is taken out afterwards.
   */
  private async withTap<T>(what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const abort = new AbortController();
    this.context = {};
    this.tapped = false;
    this.tap = { what, abort, prompting: undefined };
    try {
      return await run(abort.signal);
    } finally {
      const prompting = this.tap.prompting;
      this.tap = undefined;
      abort.abort();
      if (prompting) {
        this.lines.cancelPending();
        await prompting;
      }
      const demo = this.options.demo;
      if (this.tapped && demo?.cardPresent) demo.remove();
      this.tapped = false;
    }
  }

  /** Called on the engine's insert-card event: the engine is now waiting for a card. */
  private onInsertCard(): void {
    const tap = this.tap;
    if (!tap || tap.prompting || this.options.demo?.cardPresent) return;
    tap.prompting = this.tapPrompt(tap.what, tap.abort);
  }

  private async tapPrompt(what: string, abort: AbortController): Promise<void> {
    const demo = this.options.demo;
    if (!demo) {
      this.print(this.paint('1', `Tap card… ${what}`));
      return;
    }
    const choices = demo.cards.map((c, i) => `${i + 1} ${c.label}`).join(', ');
    for (;;) {
      const answer = await this.lines.ask(`Tap card… ${what}\n  [demo: ${choices}; Enter = cancel] > `);
      if (abort.signal.aborted) {
        if (answer === undefined) this.print();
        return;
      }
      if (answer === undefined || answer === '') {
        abort.abort();
        return;
      }
      const n = Number(answer);
      if (Number.isInteger(n) && n >= 1 && n <= demo.cards.length) {
        demo.insert(n - 1);
        this.tapped = true;
        return;
      }
      this.print(`Type a number from 1 to ${demo.cards.length}, or Enter to cancel.`);
    }
  }

  // ------------------------------------------------------------------ actions

  /** One sale; prints the approval and receipt or the decline. */
  async sale(input: SaleInput, description: string): Promise<Outcome> {
    return this.transaction(`to pay ${description}`, (signal) => this.engine.sale(input, { signal }));
  }

  async cancelLast(): Promise<Outcome> {
    return this.transaction('to cancel the last sale (same card)', (signal) =>
      this.engine.cancelLast({ signal }),
    );
  }

  async reload(amountCents: number, reference?: string): Promise<Outcome> {
    return this.transaction(`to load ${kes(amountCents)} cash`, (signal) =>
      this.engine.reload({ amountCents, ...(reference ? { reference } : {}) }, { signal }),
    );
  }

  /** Re-tap of a card after an interrupted transaction: settles it and says how it ended. */
  async recover(): Promise<Outcome> {
    try {
      const notices = await this.withTap('the SAME card again to finish', (signal) =>
        this.engine.recoverCard({ signal }),
      );
      if (!notices.length)
        this.print('Nothing to finish on this card: it has no interrupted transaction here.');
      await this.printRecovered(notices);
      return 'approved';
    } catch (err) {
      return this.failed(err);
    }
  }

  xReport(): void {
    const report = this.engine.xReport();
    this.print(formatShiftReport(report));
    this.options.devices?.printing?.printDocument(
      shiftReportDocument(report, this.engine.config.terminalId),
      'X report',
    );
  }

  async zReport(): Promise<void> {
    const report = await this.engine.zReport();
    this.print(formatShiftReport(report));
    this.options.devices?.printing?.printDocument(
      shiftReportDocument(report, this.engine.config.terminalId),
      'Z report',
    );
    this.print('A new shift is open.');
  }

  async status(): Promise<void> {
    this.print(formatStatus(this.engine.status(), this.engine.config.limits));
    const devices = this.options.devices;
    if (devices) this.print(deviceStatesLine(await devices.states(), this.language));
  }

  private async transaction(what: string, run: (signal: AbortSignal) => Promise<ApprovedTransaction>) {
    let result: ApprovedTransaction;
    try {
      result = await this.withTap(what, run);
    } catch (err) {
      const outcome = this.failed(err);
      if (outcome === 'unfinished') {
        this.print('The card must be tapped again to finish this transaction.');
        await this.recover();
      }
      return outcome;
    }
    const verb = { sale: 'APPROVED', cancel: 'CANCELLED', reload: 'LOADED' }[result.operation];
    this.print(
      this.paint(
        '1;32',
        `${verb}: ${kes(result.amountCents)}  new balance ${kes(result.balanceAfterCents)}  — receipt below`,
      ),
    );
    this.print(result.receipt);
    await this.printRecovered(result.recovered);
    // Fire-and-report: the sale is done; a print failure reaches the cashier later, never blocks.
    this.options.devices?.printReceipt(result, this.engine.config);
    return 'approved';
  }

  /**
   * Paper receipts of sales a re-tap completed: the screen showed them with the notice, and the
   * customer gets them on paper too, made from the log (there is no ApprovedTransaction for them).
   */
  private async printRecovered(notices: readonly RecoveryNotice[]): Promise<void> {
    const printing = this.options.devices?.printing;
    const completed = new Set(
      notices.filter((n) => n.outcome === 'completed' && n.op === 'debit').map((n) => n.terminalSeq),
    );
    if (!printing || completed.size === 0) return;
    const nameOf = (code: number) => this.engine.catalog.nameOf(code);
    try {
      for await (const r of this.engine.records())
        if (r.type === 'recovered-sale' && completed.has(r.terminalSeq))
          printing.printReceipt(receiptDataOfRecord(r, this.engine.config, nameOf));
    } catch {
      this.print('The receipt of the completed sale could not be printed: reprint it from the log.');
    }
  }

  private failed(err: unknown): Outcome {
    if ((err as Error)?.name === 'AbortError') {
      this.print('Cancelled: no card was tapped, nothing was charged.');
      return 'cancelled';
    }
    if (err instanceof TransactionRefusedError) {
      if (err.triesLeft !== undefined) this.context.triesLeft = err.triesLeft;
      const text = declineText(err.reason, translate(err.reason, err.params, this.language), this.context);
      this.print(this.paint(err.reason === 'outcome-unknown' ? '1;33' : '1;31', text));
      return err.reason === 'outcome-unknown' ? 'unfinished' : 'declined';
    }
    if (err instanceof TerminalError) {
      this.print(this.paint('1;31', `Error: ${err.message}`));
      return 'declined';
    }
    throw err;
  }

  // ------------------------------------------------------------------ menu

  private header(): void {
    const s = this.engine.status();
    const where = s.location.kind === 'huduma-centre' ? 'Huduma Centre' : 'Partner merchant';
    this.print(RULE);
    this.print(this.paint('1', `HUDUMA PAY  ${s.terminalId}  ${s.merchantId}`));
    this.print(`${where}: ${s.location.name}`);
    if (s.unresolved.length)
      this.print(
        this.paint('33', `${s.unresolved.length} unfinished transaction(s): tap those cards again.`),
      );
    if (s.offlineRefusal)
      this.print(
        this.paint(
          '31',
          `SALES STOPPED: ${translate(s.offlineRefusal.reason, s.offlineRefusal.params, this.language)}`,
        ),
      );
    this.print(RULE);
  }

  private menu(): string {
    const items = [
      ' 1  New sale',
      ' 2  Cancel last sale',
      ' 3  Cash reload',
      ' 4  X report (shift totals)',
      ' 5  Close shift (Z report)',
      ' 6  Status',
      ' 7  Finish an interrupted transaction (re-tap)',
    ];
    if (this.options.demo) items.push(' 8  Demo cards (insert / remove / pull out)');
    items.push(' 0  Quit');
    return items.join('\n');
  }

  /** The menu loop; resolves when the cashier quits or the input ends. */
  async run(): Promise<void> {
    this.header();
    for (;;) {
      this.print(this.menu());
      const choice = await this.lines.ask('Choose: ');
      if (choice === undefined || choice === '0' || choice.toLowerCase() === 'q') break;
      this.print();
      switch (choice) {
        case '1':
          await this.saleDialog();
          break;
        case '2':
          await this.cancelLast();
          break;
        case '3':
          await this.reloadDialog();
          break;
        case '4':
          this.xReport();
          break;
        case '5': {
          const sure = await this.lines.ask('Close the shift and print the Z report? (y/N) ');
          if (sure?.toLowerCase() === 'y') await this.zReport();
          else this.print('The shift stays open.');
          break;
        }
        case '6':
          await this.status();
          break;
        case '7':
          await this.recover();
          break;
        case '8':
          if (this.options.demo) {
            await this.demoDialog();
            break;
          }
          this.print(`"${choice}" is not on the menu.`);
          break;
        default:
          this.print(`"${choice}" is not on the menu.`);
      }
      this.print();
    }
    this.print('Goodbye.');
    this.close();
  }

  close(): void {
    this.unsubscribe();
    this.lines.close();
  }

  /** Service from the catalog (by its number in the list or its code) or a typed amount, then the bill ref. */
  async saleDialog(): Promise<Outcome> {
    const services = this.engine.catalog.list();
    this.print('Services:');
    services.forEach((s, i) => {
      this.print(
        `${String(i + 1).padStart(3)}  ${s.name.padEnd(36).slice(0, 36)} ${formatKes(s.feeCents).padStart(9)}`,
      );
    });
    this.print('  A  Type an amount');
    let service: Service | undefined;
    let amountCents: number | undefined;
    for (;;) {
      const pick = await this.lines.ask('Service number, or A for an amount (Enter = back): ');
      if (!pick) return 'cancelled';
      if (pick.toLowerCase() === 'a') {
        amountCents = await this.askAmount('Amount KES (e.g. 250.00): ');
        if (amountCents === undefined) return 'cancelled';
        break;
      }
      const n = Number(pick);
      service = Number.isInteger(n) ? (services[n - 1] ?? services.find((s) => s.code === n)) : undefined;
      if (service) break;
      this.print(`"${pick}" is not a service number.`);
    }
    let billRef: string;
    for (;;) {
      const ref = await this.lines.ask('eCitizen bill reference: ');
      if (!ref) return 'cancelled';
      try {
        billRef = normalizeBillRef(ref);
        break;
      } catch (err) {
        this.print((err as Error).message);
      }
    }
    if (service)
      return this.sale(
        { serviceCode: service.code, billRef },
        `${kes(service.feeCents)} for ${service.name}`,
      );
    return this.sale({ amount: formatKes(amountCents!).replaceAll(',', ''), billRef }, kes(amountCents!));
  }

  private async reloadDialog(): Promise<Outcome> {
    if (this.engine.config.location.kind !== 'huduma-centre') {
      this.print('Reloads are only done at Huduma Centre counters.');
      return 'declined';
    }
    const amountCents = await this.askAmount('Cash received, KES (Enter = back): ');
    if (amountCents === undefined) return 'cancelled';
    const reference = await this.lines.ask('Cash receipt number (optional): ');
    return this.reload(amountCents, reference || undefined);
  }

  /** Asks until the answer is a valid KES amount; undefined when the cashier goes back. */
  private async askAmount(prompt: string): Promise<number | undefined> {
    for (;;) {
      const typed = await this.lines.ask(prompt);
      if (!typed) return undefined;
      try {
        return parseAmount(typed);
      } catch (err) {
        this.print((err as Error).message);
      }
    }
  }

  private async demoDialog(): Promise<void> {
    const demo = this.options.demo!;
    this.print(`In the reader: ${demo.inserted ? demo.inserted.label : 'no card'}`);
    demo.cards.forEach((c, i) => {
      this.print(`${String(i + 1).padStart(3)}  insert ${c.label}`);
    });
    this.print('  R  remove the card');
    this.print('  P  pull the card out during the next payment (the card completes it, the answer is lost)');
    this.print('  N  pull the card out during the next payment (before the card gets it)');
    const pick = (await this.lines.ask('Choose (Enter = back): '))?.toLowerCase();
    if (!pick) return;
    if (pick === 'r') {
      demo.remove();
      this.print('Card removed.');
    } else if (pick === 'p' || pick === 'n') {
      demo.pullDuringNextValueCommand({ afterCardProcessed: pick === 'p' });
      this.print('The card will be pulled out during the next payment.');
    } else {
      const n = Number(pick);
      if (Number.isInteger(n) && n >= 1 && n <= demo.cards.length) {
        const c = demo.insert(n - 1);
        this.print(`${c.label} is in the reader (it stays there until removed).`);
      } else this.print(`"${pick}" is not a choice.`);
    }
  }
}
