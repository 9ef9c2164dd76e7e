import { EventEmitter } from 'node:events';

/**
 * A Huduma PIN pad at report level (packages/pinpad-hid/PROTOCOL.md), written from the protocol
 * document and not from the driver's code, with node-hid's device object shape: write(report),
 * 'data' and 'error' events, close(). A person's key presses are methods (press, type, enter...).
 */
export interface PadDisplay {
  mode: 'idle' | 'pin-entry';
  prompt: string;
  amountCents: number;
  /** What the pad shows for the digits: one '*' each, never the digits. */
  stars: string;
}

const KEY = { DIGIT: 1, ENTER: 2, CANCEL: 3, CLEAR: 4, TIMEOUT: 5 } as const;

export class SimulatedPinPad extends EventEmitter {
  readonly vendorId: number;
  readonly productId: number;
  readonly path: string;
  display: PadDisplay = { mode: 'idle', prompt: '', amountCents: 0, stars: '' };
  /** Output reports received, by report ID, for tests that check what the terminal sent. */
  readonly received: number[][] = [];
  /** Called when the terminal puts the pad in PIN mode: a scripted cardholder. */
  onPinEntry: ((pad: SimulatedPinPad) => void) | undefined;
  private session = 0;
  private count = 0;
  private maxLength = 12;
  private plugged = true;
  private opened = false;

  constructor(options: { vendorId?: number; productId?: number; path?: string } = {}) {
    super();
    this.vendorId = options.vendorId ?? 0x1209;
    this.productId = options.productId ?? 0x4850;
    this.path = options.path ?? `sim-hid:${this.vendorId.toString(16)}:${this.productId.toString(16)}`;
  }

  get isPlugged(): boolean {
    return this.plugged;
  }

  /** node-hid: opening a device that is there. */
  openHandle(): this {
    if (!this.plugged) throw new Error('could not open HID device');
    this.opened = true;
    return this;
  }

  // --- node-hid device object ---

  write(values: number[] | Buffer): number {
    if (!this.plugged || !this.opened) throw new Error('Cannot write to hid device');
    const r = [...values];
    this.received.push(r);
    const id = r[0];
    if (id === 0x01 && r.length >= 11) {
      const promptLength = Math.min(r[9]!, 40);
      this.session = r[1]!;
      this.maxLength = Math.min(r[3]!, 12);
      this.count = 0;
      this.display = {
        mode: 'pin-entry',
        prompt: String.fromCharCode(...r.slice(10, 10 + promptLength)),
        amountCents: ((r[5]! << 24) | (r[6]! << 16) | (r[7]! << 8) | r[8]!) >>> 0,
        stars: '',
      };
      this.send([0x82, this.session, 1]);
      if (this.onPinEntry) setImmediate(() => this.onPinEntry?.(this));
    } else if (id === 0x02 && r[1] === this.session) this.leave();
    else if (id === 0x03 && r[1] === this.session) {
      this.count = 0;
      this.display.stars = '';
    }
    return r.length;
  }

  close(): void {
    this.opened = false;
  }

  // --- the person at the pad ---

  press(key: string): void {
    if (/^[0-9]$/.test(key)) {
      const inPin = this.display.mode === 'pin-entry';
      if (inPin && this.count >= this.maxLength) return;
      if (inPin) this.count++;
      this.display.stars = '*'.repeat(this.count);
      // The digit travels only in PIN mode; idle, the pad says only that a key was pressed.
      this.send([0x81, this.session, KEY.DIGIT, inPin ? Number(key) : 0xff, this.count]);
    } else if (key === 'enter') this.send([0x81, this.session, KEY.ENTER, 0xff, this.count]);
    else if (key === 'clear') {
      this.count = 0;
      this.display.stars = '';
      this.send([0x81, this.session, KEY.CLEAR, 0xff, 0]);
    } else if (key === 'cancel') {
      this.send([0x81, this.session, KEY.CANCEL, 0xff, 0]);
      this.leave();
    } else throw new RangeError(`no key "${key}" on the pad`);
  }

  /** Types digits then ENTER. */
  enterPin(pin: string): void {
    for (const d of pin) this.press(d);
    this.press('enter');
  }

  /** The pad's own timer runs out. */
  expire(): void {
    this.send([0x81, this.session, KEY.TIMEOUT, 0xff, 0]);
    this.leave();
  }

  /** Sends any report as is (hostile tests). */
  sendRaw(report: Uint8Array): void {
    if (this.plugged && this.opened) this.emit('data', Buffer.from(report));
  }

  /** Pulled out of the USB port: node-hid's read fails and the device object emits 'error'. */
  unplug(): void {
    this.plugged = false;
    this.display = { mode: 'idle', prompt: '', amountCents: 0, stars: '' };
    if (this.opened) this.emit('error', new Error('could not read from HID device'));
    this.opened = false;
  }

  plugIn(): void {
    this.plugged = true;
  }

  private leave(): void {
    this.count = 0;
    this.display = { mode: 'idle', prompt: '', amountCents: 0, stars: '' };
    this.send([0x82, this.session, 0]);
  }

  private send(payload: number[]): void {
    if (!this.plugged || !this.opened) return;
    const report = Buffer.alloc(64);
    Buffer.from(payload).copy(report);
    this.emit('data', report);
  }
}

/** A HID bus with simulated pads: node-hid's devices() and open(path). */
export class SimulatedHidBus {
  readonly pads: SimulatedPinPad[] = [];

  attach(pad: SimulatedPinPad): SimulatedPinPad {
    this.pads.push(pad);
    return pad;
  }

  devices(): Array<{ vendorId: number; productId: number; path: string; product: string }> {
    return this.pads
      .filter((p) => p.isPlugged)
      .map((p) => ({
        vendorId: p.vendorId,
        productId: p.productId,
        path: p.path,
        product: 'Huduma PIN pad (simulated)',
      }));
  }

  open(path: string): SimulatedPinPad {
    const pad = this.pads.find((p) => p.path === path && p.isPlugged);
    if (!pad) throw new Error(`cannot open device with path ${path}`);
    return pad.openHandle();
  }
}
