import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';

/**
 * A card that can be plugged into a virtual reader. The Huduma card simulator implements this;
 * anything answering APDUs can.
 */
export interface VirtualCard {
  /** Answer To Reset sent to pcscd when it asks (decides T=0 / T=1 for the host). */
  readonly atr: Uint8Array;
  powerOn(): void;
  powerOff(): void;
  /** Warm reset: volatile state (selected application, session keys) is lost. */
  reset(): void;
  /** One command APDU in, one response APDU (data + SW1 SW2) out. */
  transmit(apdu: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** vpcd control payloads (1-byte messages from the driver). */
export const VPCD_CTRL = { OFF: 0x00, ON: 0x01, RESET: 0x02, ATR: 0x04 } as const;

/** Port the vpcd driver listens on for its first reader; reader n listens on this + n. */
export const VPCD_DEFAULT_PORT = 0x8c7b; // 35963

/** What to do with a command the card received, decided just before the answer is sent. */
export type BeforeAnswer = (command: Uint8Array) => 'answer' | 'remove';

export interface VpcdBridgeOptions {
  host?: string;
  /** vpcd listening port (35963 for the first reader of the Debian config). */
  port?: number;
  /** First delay between reconnection attempts; doubles up to `maxReconnectDelayMs`. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

export interface VpcdBridgeEvents {
  connected: [];
  disconnected: [];
  command: [command: Uint8Array];
  control: [code: number];
  error: [error: Error];
}

/**
 * Connects a {@link VirtualCard} to the vpcd driver inside pcscd.
 *
 * The driver is the server; each TCP connection is one card insertion. Closing the socket is how a
 * card is removed. While a card is inserted the bridge reconnects by itself when pcscd goes away
 * (restart), so the card reappears when the daemon is back.
 */
export class VpcdBridge extends EventEmitter<VpcdBridgeEvents> {
  readonly host: string;
  readonly port: number;
  private readonly reconnectDelayMs: number;
  private readonly maxReconnectDelayMs: number;
  private card: VirtualCard | undefined;
  private socket: Socket | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private queue: Promise<void> = Promise.resolve();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay: number;
  private beforeAnswer: BeforeAnswer | undefined;
  private closed = false;
  /** Number of command APDUs answered since construction (control messages excluded). */
  commandsAnswered = 0;

  constructor(options: VpcdBridgeOptions = {}) {
    super();
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? VPCD_DEFAULT_PORT;
    this.reconnectDelayMs = options.reconnectDelayMs ?? 20;
    this.maxReconnectDelayMs = options.maxReconnectDelayMs ?? 500;
    this.reconnectDelay = this.reconnectDelayMs;
  }

  /** True while a card is inserted (whether or not pcscd is currently reachable). */
  get inserted(): boolean {
    return this.card !== undefined;
  }

  /** True while the TCP connection to the driver is open. */
  get connected(): boolean {
    return this.socket !== undefined && !this.socket.connecting && !this.socket.destroyed;
  }

  /**
   * Inserts `card`: connects to the driver, retrying until it accepts. Resolves once connected.
   * A card already inserted is removed first.
   */
  async insert(card: VirtualCard): Promise<void> {
    if (this.closed) throw new Error('VpcdBridge.insert: bridge is closed');
    if (this.card) await this.remove();
    this.card = card;
    this.reconnectDelay = this.reconnectDelayMs;
    const connected = new Promise<void>((resolve, reject) => {
      const onConnected = () => {
        this.off('disconnected', onGone);
        resolve();
      };
      const onGone = () => {
        if (this.card !== card) {
          this.off('connected', onConnected);
          reject(new Error('VpcdBridge.insert: card removed before pcscd accepted it'));
        }
      };
      this.once('connected', onConnected);
      this.on('disconnected', onGone);
    });
    this.connect();
    await connected;
  }

  /** Removes the card: closes the connection so pcscd reports the card gone. */
  async remove(): Promise<void> {
    this.card = undefined;
    this.beforeAnswer = undefined;
    this.clearReconnect();
    await this.dropSocket();
  }

  /**
   * Removes the card when the next command APDU arrives, instead of answering it: the host sees the
   * card disappear in the middle of its command. Resolves once the card is out.
   */
  removeOnNextCommand(): Promise<void> {
    return new Promise((resolve) => {
      this.beforeAnswer = () => {
        this.beforeAnswer = undefined;
        queueMicrotask(() => {
          this.remove().then(resolve, resolve);
        });
        return 'remove';
      };
    });
  }

  /** Installs (or clears) a hook consulted before each answer; `'remove'` pulls the card instead. */
  setBeforeAnswer(hook: BeforeAnswer | undefined): void {
    this.beforeAnswer = hook;
  }

  /** Removes the card and stops reconnecting for good. */
  async close(): Promise<void> {
    this.closed = true;
    await this.remove();
    this.removeAllListeners();
  }

  private connect(): void {
    const card = this.card;
    if (!card || this.closed || this.socket) return;
    const socket = new Socket();
    this.socket = socket;
    this.buffered = Buffer.alloc(0);
    socket.setNoDelay(true);
    socket.on('connect', () => {
      if (this.socket !== socket) return;
      this.reconnectDelay = this.reconnectDelayMs;
      this.emit('connected');
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.drainFrames(socket, card);
    });
    // Connection refused while pcscd (re)starts is expected: retry quietly.
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.emit('disconnected');
      if (this.card === card && !this.closed) this.scheduleReconnect();
    });
    socket.connect(this.port, this.host);
  }

  private scheduleReconnect(): void {
    this.clearReconnect();
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, this.maxReconnectDelayMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }

  private clearReconnect(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  private dropSocket(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
      this.emit('disconnected');
    });
  }

  private drainFrames(socket: Socket, card: VirtualCard): void {
    while (this.buffered.length >= 2) {
      const length = this.buffered.readUInt16BE(0);
      if (this.buffered.length < 2 + length) return;
      const payload = new Uint8Array(this.buffered.subarray(2, 2 + length));
      this.buffered = this.buffered.subarray(2 + length);
      // Messages are handled strictly in order, even when the card answers asynchronously.
      this.queue = this.queue.then(() => this.handle(socket, card, payload));
    }
  }

  private async handle(socket: Socket, card: VirtualCard, payload: Uint8Array): Promise<void> {
    if (this.socket !== socket) return;
    if (payload.length === 1) {
      const code = payload[0]!;
      this.emit('control', code);
      switch (code) {
        case VPCD_CTRL.OFF:
          card.powerOff();
          return;
        case VPCD_CTRL.ON:
          card.powerOn();
          return;
        case VPCD_CTRL.RESET:
          card.reset();
          return;
        case VPCD_CTRL.ATR:
          this.send(socket, card.atr);
          return;
        default:
          return; // unknown control codes are ignored, as vpicc does
      }
    }
    this.emit('command', payload);
    let response: Uint8Array;
    try {
      response = await card.transmit(payload);
    } catch (error) {
      // A card that throws is a card that went mute: answer "no precise diagnosis".
      if (this.listenerCount('error') > 0) {
        this.emit('error', error instanceof Error ? error : new Error(String(error)));
      }
      response = Uint8Array.of(0x6f, 0x00);
    }
    if (this.socket !== socket) return;
    if (this.beforeAnswer?.(payload) === 'remove') return;
    this.commandsAnswered++;
    this.send(socket, response);
  }

  private send(socket: Socket, payload: Uint8Array): void {
    const frame = Buffer.allocUnsafe(2 + payload.length);
    frame.writeUInt16BE(payload.length, 0);
    frame.set(payload, 2);
    socket.write(frame);
  }
}
