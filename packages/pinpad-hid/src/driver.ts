import { EventEmitter } from 'node:events';
import { PinPadConfigError } from './errors';
import type { HidBackend, HidDeviceLike } from './hid';
import {
  beginPinEntryReport,
  cancelReport,
  clearReport,
  Key,
  MAX_PIN_LENGTH,
  PINPAD_PRODUCT_ID,
  PINPAD_VENDOR_ID,
  parseInputReport,
} from './protocol';

/** How an entry ended. A `pin` holds ASCII digits; the receiver zeroes it once used. */
export type PinEntryOutcome =
  | { kind: 'pin'; pin: Uint8Array }
  | { kind: 'cancelled' | 'timeout' | 'unplugged' | 'no-pad' | 'busy' };

export type PinPadState = 'connected' | 'absent';

/** A log entry: event names and counts only, never report bytes or digits. */
export type PinPadLog = (event: string, fields?: Record<string, string | number>) => void;

export interface PinPadDriverOptions {
  backend: HidBackend;
  vendorId?: number;
  productId?: number;
  minLength?: number;
  maxLength?: number;
  /** The pad's own timeout; the driver waits 2 s longer before it gives up on the pad. */
  timeoutSeconds?: number;
  log?: PinPadLog;
}

export interface PinPadDriverEvents {
  state: [PinPadState];
}

interface Entry {
  session: number;
  finish(outcome: PinEntryOutcome): void;
}

/**
 * Driver of the Huduma PIN pad (PROTOCOL.md) over a HID backend (node-hid in production).
 * One entry at a time; every way it can end resolves (never rejects): PIN, cancel, timeout,
 * unplugged, no pad. Hostile or stray reports are ignored and counted.
 */
export class PinPadDriver extends EventEmitter<PinPadDriverEvents> {
  private device: HidDeviceLike | undefined;
  private entry: Entry | undefined;
  private session = 0;
  private readonly digits = new Uint8Array(MAX_PIN_LENGTH);
  private count = 0;
  private stateValue: PinPadState = 'absent';
  /** Reports ignored since the driver started (malformed, stale, out of place). */
  ignoredReports = 0;
  private readonly vendorId: number;
  private readonly productId: number;
  private readonly minLength: number;
  private readonly maxLength: number;
  private readonly timeoutSeconds: number;
  private readonly log: PinPadLog;

  constructor(private readonly options: PinPadDriverOptions) {
    super();
    this.vendorId = options.vendorId ?? PINPAD_VENDOR_ID;
    this.productId = options.productId ?? PINPAD_PRODUCT_ID;
    this.minLength = options.minLength ?? 4;
    this.maxLength = options.maxLength ?? 6;
    this.timeoutSeconds = options.timeoutSeconds ?? 30;
    this.log = options.log ?? (() => {});
    if (!Number.isInteger(this.minLength) || this.minLength < 4 || this.minLength > MAX_PIN_LENGTH)
      throw new PinPadConfigError('minLength', `PIN minimum length must be 4..${MAX_PIN_LENGTH}`);
    if (
      !Number.isInteger(this.maxLength) ||
      this.maxLength < this.minLength ||
      this.maxLength > MAX_PIN_LENGTH
    )
      throw new PinPadConfigError('maxLength', `PIN maximum length must be minLength..${MAX_PIN_LENGTH}`);
    if (!Number.isInteger(this.timeoutSeconds) || this.timeoutSeconds < 5 || this.timeoutSeconds > 120)
      throw new PinPadConfigError('timeoutSeconds', 'PIN entry timeout must be 5..120 seconds');
  }

  get state(): PinPadState {
    return this.stateValue;
  }

  /** Looks for the pad (and opens it) now; the console calls this to show the pad's state. */
  refresh(): PinPadState {
    if (!this.device) this.open();
    return this.stateValue;
  }

  /**
   * Shows the prompt and amount on the pad and collects a PIN. Resolves with the digits or with
   * why there are none; a second call while one is running resolves `busy`.
   */
  enterPin(request: { prompt: string; amountCents: number }): Promise<PinEntryOutcome> {
    if (this.entry) return Promise.resolve({ kind: 'busy' });
    const device = this.device ?? this.open();
    if (!device) return Promise.resolve({ kind: 'no-pad' });
    const amount = Number.isSafeInteger(request.amountCents)
      ? Math.min(Math.max(request.amountCents, 0), 0xffff_ffff)
      : 0;
    this.session = (this.session % 255) + 1;
    const session = this.session;
    this.wipe();
    return new Promise<PinEntryOutcome>((resolve) => {
      const timer = setTimeout(
        () => {
          this.sendCancel(session);
          this.end({ kind: 'timeout' });
        },
        (this.timeoutSeconds + 2) * 1000,
      );
      this.entry = {
        session,
        finish: (outcome) => {
          clearTimeout(timer);
          this.entry = undefined;
          this.wipe();
          this.log('pin-entry-ended', { outcome: outcome.kind });
          resolve(outcome);
        },
      };
      const sent = this.write(
        beginPinEntryReport({
          session,
          minLength: this.minLength,
          maxLength: this.maxLength,
          timeoutSeconds: this.timeoutSeconds,
          amountCents: amount,
          prompt: request.prompt,
        }),
      );
      if (sent) this.log('pin-entry-started', { session });
    });
  }

  /** Forgets the digits typed so far (the pad clears its '*'s); the entry goes on. */
  clearEntry(): void {
    if (!this.entry) return;
    this.wipe();
    this.write(clearReport(this.entry.session));
  }

  /** Ends the running entry from the terminal's side (e.g. the cashier aborted the sale). */
  cancel(): void {
    if (!this.entry) return;
    this.sendCancel(this.entry.session);
    this.end({ kind: 'cancelled' });
  }

  close(): void {
    this.end({ kind: 'cancelled' });
    this.drop();
  }

  private end(outcome: PinEntryOutcome): void {
    this.entry?.finish(outcome);
  }

  private wipe(): void {
    this.digits.fill(0);
    this.count = 0;
  }

  private open(): HidDeviceLike | undefined {
    let device: HidDeviceLike;
    try {
      const info = this.options.backend
        .devices()
        .find((d) => d.vendorId === this.vendorId && d.productId === this.productId && d.path);
      if (!info) {
        this.setState('absent');
        return undefined;
      }
      device = this.options.backend.open(info.path!);
    } catch (err) {
      this.log('pinpad-open-failed', { error: err instanceof Error ? err.name : 'unknown' });
      this.setState('absent');
      return undefined;
    }
    device.on('data', (data) => this.onReport(data));
    device.on('error', () => this.onUnplugged());
    this.device = device;
    this.setState('connected');
    return device;
  }

  private drop(): void {
    const device = this.device;
    this.device = undefined;
    if (device) {
      device.removeAllListeners('data');
      device.removeAllListeners('error');
      // A listener stays so a late error from a closing handle cannot crash the process.
      device.on('error', () => {});
      try {
        device.close();
      } catch {
        // already gone
      }
    }
    this.setState('absent');
  }

  private onUnplugged(): void {
    this.log('pinpad-unplugged');
    this.drop();
    this.end({ kind: 'unplugged' });
  }

  private setState(state: PinPadState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.emit('state', state);
  }

  private write(report: number[]): boolean {
    try {
      this.device?.write(report);
      return this.device !== undefined;
    } catch {
      this.onUnplugged();
      return false;
    }
  }

  private sendCancel(session: number): void {
    this.write(cancelReport(session));
  }

  private ignore(data: Uint8Array, why: string): void {
    this.ignoredReports++;
    this.log('report-ignored', { reportId: data.length ? data[0]! : -1, length: data.length, why });
  }

  private onReport(raw: Buffer | Uint8Array): void {
    const data = raw instanceof Uint8Array ? raw : new Uint8Array(0);
    const why = this.handle(data);
    if (why !== undefined) this.ignore(data, why);
  }

  /** Acts on one input report; returns why it was ignored, or undefined. */
  private handle(data: Uint8Array): string | undefined {
    const event = parseInputReport(data);
    if (!event) return 'malformed';
    if (event.kind === 'mode') return undefined;
    const entry = this.entry;
    if (!entry || event.session !== entry.session) return 'no entry for this session';
    switch (event.key) {
      case Key.DIGIT:
        if (event.digit > 9) return 'digit out of range';
        if (this.count >= this.maxLength) return 'too many digits';
        this.digits[this.count++] = 0x30 + event.digit;
        return undefined;
      case Key.CLEAR:
        this.wipe();
        return undefined;
      case Key.ENTER:
        if (this.count < this.minLength) return 'enter before the minimum length';
        this.end({ kind: 'pin', pin: this.digits.slice(0, this.count) });
        return undefined;
      case Key.CANCEL:
        this.end({ kind: 'cancelled' });
        return undefined;
      default:
        this.end({ kind: 'timeout' });
        return undefined;
    }
  }
}
