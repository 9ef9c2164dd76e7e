import {
  CardRemovedError,
  decodeCommand,
  type Transport,
  TransportError,
  TransportTimeoutError,
  transmitT0,
} from '@huduma/apdu';
import { PcscSharingViolationError, pcscCodeOf, SCARD, toTransportError } from './errors';
import {
  acquireConnectionReader,
  DISPOSITION,
  type NativeCardReader,
  PROTOCOL,
  releaseConnectionReader,
  SHARE,
} from './native';
import type { PcscReaders } from './readers';

export type ShareMode = 'shared' | 'exclusive';
export type CardProtocol = 'T=0' | 'T=1';

export interface PcscConnectOptions {
  /** Default `'shared'`: other programs may talk to the card between our commands. */
  share?: ShareMode;
  /** Default: whatever the card offers (T=0 or T=1). */
  protocol?: CardProtocol | 'any';
  /** What happens to the card on close(). Default `'leave'` (SCARD_LEAVE_CARD). */
  disposition?: 'leave' | 'reset' | 'unpower';
  /** Per-command limit; a command that takes longer rejects with ERR_TRANSPORT_TIMEOUT. Default 10 s. */
  timeoutMs?: number;
  /**
   * How long to wait while another connection holds the card exclusively (its transaction) before
   * failing with ERR_PCSC_SHARING_VIOLATION: in connect(), beginTransaction() and commands. Default 10 s.
   */
  transactionTimeoutMs?: number;
  /**
   * 61xx (GET RESPONSE) and 6Cxx (resend with Le) handling: `'auto'` (default) does it when the
   * protocol is T=0, where the card cannot return data otherwise; `'always'`; `'never'`.
   */
  t0Handling?: 'auto' | 'always' | 'never';
}

/** Response buffer big enough for any extended APDU answer (65536 data bytes + SW). */
const MAX_RESPONSE = 65538;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for `promise`, at most `ms`; the timer is cleared so it never holds the process open. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/**
 * One connection to the card in a PC/SC reader, as a {@link Transport}.
 *
 * Commands are serialized: a T=0 exchange (command, GET RESPONSE...) is never interleaved with
 * another command of this connection. Every failure is typed: ERR_CARD_REMOVED (the card left,
 * even mid-command; the connection is then dead for good), ERR_READER_UNAVAILABLE,
 * ERR_TRANSPORT_TIMEOUT (the connection is reset; the next command reconnects), ERR_PCSC_*.
 *
 * Transactions: pcsclite (the npm addon) does not expose SCardBeginTransaction, so
 * {@link beginTransaction} reconnects in exclusive mode and {@link endTransaction} releases the card;
 * the shared connection is re-opened on the next command. While this connection holds the card in
 * shared mode, another program's transaction waits until we close, begin or end a transaction.
 */
export class PcscCardTransport implements Transport {
  readonly reader: string;
  /** ATR of the card at connect time. */
  readonly atr: Uint8Array;
  /** Protocol negotiated by pcscd. */
  protocol: CardProtocol;
  private readonly readers: PcscReaders;
  private readonly options: Required<PcscConnectOptions>;
  private native: NativeCardReader | undefined;
  private connectedMode: ShareMode | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private inTransaction = false;
  private readonly eventCount: number;
  private dead: TransportError | undefined;
  private closed = false;

  private constructor(
    readers: PcscReaders,
    reader: string,
    options: Required<PcscConnectOptions>,
    atr: Uint8Array,
    eventCount: number,
  ) {
    this.readers = readers;
    this.reader = reader;
    this.options = options;
    this.atr = atr;
    this.eventCount = eventCount;
    this.protocol = 'T=1';
  }

  /** @internal Use {@link PcscReaders.connect}. */
  static async connect(
    readers: PcscReaders,
    reader: string,
    options: PcscConnectOptions,
  ): Promise<PcscCardTransport> {
    const resolved: Required<PcscConnectOptions> = {
      share: options.share ?? 'shared',
      protocol: options.protocol ?? 'any',
      disposition: options.disposition ?? 'leave',
      timeoutMs: options.timeoutMs ?? 10_000,
      transactionTimeoutMs: options.transactionTimeoutMs ?? 10_000,
      t0Handling: options.t0Handling ?? 'auto',
    };
    let state = readers.state(reader);
    if (!state?.cardPresent) {
      // pcscd may know of the card a moment before our monitor does.
      await readers.waitForCard(reader, { timeoutMs: 1000 }).catch(() => undefined);
      state = readers.state(reader);
      if (!state?.cardPresent) throw new CardRemovedError(`no card in reader ${JSON.stringify(reader)}`);
    }
    const session = readers.cardSession(reader);
    const transport = new PcscCardTransport(readers, reader, resolved, state.atr, session.eventCount);
    await transport.openWaiting(resolved.share, Date.now() + resolved.transactionTimeoutMs, 'connect');
    return transport;
  }

  /** True between beginTransaction() and endTransaction(). */
  get transactionActive(): boolean {
    return this.inTransaction;
  }

  /** Sends one command APDU, returns the response APDU (data + SW1 SW2). */
  transmit(command: Uint8Array): Promise<Uint8Array> {
    return this.serialized(async () => {
      const raw = (bytes: Uint8Array) => this.exchange(bytes);
      const handleT0 =
        this.options.t0Handling === 'always' ||
        (this.options.t0Handling === 'auto' && this.protocol === 'T=0');
      if (!handleT0) return raw(command);
      let parsed: ReturnType<typeof decodeCommand>;
      try {
        parsed = decodeCommand(command);
      } catch {
        return raw(command); // not ours to judge: the card answers malformed commands itself
      }
      return transmitT0(raw, parsed);
    });
  }

  /**
   * Gets the card for this connection alone until {@link endTransaction}: other connections'
   * commands wait (or fail with a sharing violation). Waits up to `transactionTimeoutMs` for others
   * to finish, then rejects with ERR_PCSC_SHARING_VIOLATION.
   */
  beginTransaction(options: { timeoutMs?: number } = {}): Promise<void> {
    return this.serialized(async () => {
      if (this.inTransaction) throw new TransportError('beginTransaction: a transaction is already active');
      this.checkSession();
      const deadline = Date.now() + (options.timeoutMs ?? this.options.transactionTimeoutMs);
      if (this.connectedMode !== 'exclusive') {
        await this.release('leave');
        await this.openWaiting('exclusive', deadline, 'beginTransaction');
      }
      this.inTransaction = true;
    });
  }

  /** Ends the transaction and lets other connections at the card again. */
  endTransaction(): Promise<void> {
    return this.serialized(async () => {
      if (!this.inTransaction) return;
      this.inTransaction = false;
      if (this.options.share !== 'exclusive') await this.release('leave');
    });
  }

  /** Disconnects (disposition from the options, default LEAVE) and releases the handle. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A command stuck in the driver must not make close() hang.
    await settleWithin(this.queue, this.options.timeoutMs);
    await settleWithin(this.release(this.options.disposition), 1000);
    const native = this.native;
    this.native = undefined;
    if (native && !this.connectedMode) releaseConnectionReader(native, true);
    this.readers.forget(this);
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.closed) throw new TransportError(`connection to ${JSON.stringify(this.reader)} is closed`);
      if (this.dead) throw this.dead;
      return work();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The card we connected to is still the one in the reader. */
  private checkSession(): void {
    const session = this.readers.cardSession(this.reader);
    if (!session.present || session.eventCount !== this.eventCount) {
      throw this.kill(new CardRemovedError(`card removed from reader ${JSON.stringify(this.reader)}`));
    }
  }

  private kill(error: TransportError): TransportError {
    if (error.code === 'ERR_CARD_REMOVED' || error.code === 'ERR_READER_UNAVAILABLE') this.dead = error;
    return error;
  }

  private async exchange(command: Uint8Array): Promise<Uint8Array> {
    this.checkSession();
    if (!this.native || !this.connectedMode) {
      await this.openWaiting(this.options.share, Date.now() + this.options.transactionTimeoutMs, 'transmit');
    }
    const native = this.native!;
    const protocol = this.protocol === 'T=0' ? PROTOCOL.T0 : PROTOCOL.T1;
    const response = await new Promise<Buffer>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        this.resetAfterTimeout(native);
        reject(
          new TransportTimeoutError(
            `no answer from the card in ${JSON.stringify(this.reader)} within ${this.options.timeoutMs} ms; connection reset`,
          ),
        );
      }, this.options.timeoutMs);
      native._transmit(Buffer.from(command), MAX_RESPONSE, protocol, (error, data) => {
        if (settled) return;
        clearTimeout(timer);
        if (error) reject(this.transmitError(error));
        else resolve(data ?? Buffer.alloc(0));
      });
    });
    if (response.length < 2) {
      // vpcd (and some drivers) return nothing when the card vanished mid-command.
      throw this.kill(
        new CardRemovedError(
          `card in ${JSON.stringify(this.reader)} stopped answering mid-command (${response.length}-byte response)`,
        ),
      );
    }
    return new Uint8Array(response);
  }

  private transmitError(error: Error): TransportError {
    const code = pcscCodeOf(error);
    if (code === SCARD.E_NOT_TRANSACTED || code === SCARD.E_INVALID_HANDLE) {
      const session = this.readers.cardSession(this.reader);
      if (!session.present || session.eventCount !== this.eventCount) {
        return this.kill(
          new CardRemovedError(`card removed from ${JSON.stringify(this.reader)}`, { cause: error }),
        );
      }
    }
    return this.kill(
      toTransportError(error, {
        operation: 'SCardTransmit',
        reader: this.reader,
        readers: this.readers.readers(),
      }),
    );
  }

  /** Abandons a handle stuck in a command: reset the card when the driver lets go, use a fresh one. */
  private resetAfterTimeout(native: NativeCardReader): void {
    this.native = undefined;
    this.connectedMode = undefined;
    this.inTransaction = false;
    native._disconnect(DISPOSITION.RESET, (error) => releaseConnectionReader(native, !error));
  }

  /** Opens the handle, waiting while another connection holds the card exclusively. */
  private async openWaiting(share: ShareMode, deadline: number, operation: string): Promise<void> {
    let delay = 2;
    for (;;) {
      try {
        await this.open(share);
        return;
      } catch (error) {
        if (!(error instanceof PcscSharingViolationError) || Date.now() >= deadline) {
          if (error instanceof PcscSharingViolationError) {
            throw new PcscSharingViolationError(
              `${operation} on reader ${JSON.stringify(this.reader)}: card still held exclusively by another connection (waited until the transaction timeout)`,
              { cause: error, pcscCode: error.pcscCode },
            );
          }
          throw error;
        }
        await sleep(delay);
        delay = Math.min(delay * 2, 25);
      }
    }
  }

  private async open(share: ShareMode): Promise<void> {
    if (this.native) {
      await this.connectWith(this.native, share);
      return;
    }
    const { native, reused } = acquireConnectionReader(this.reader);
    try {
      await this.connectWith(native, share);
      return;
    } catch (error) {
      const code = (error as { code?: string }).code;
      const staleContext = reused && (code === 'ERR_PCSC_NO_SERVICE' || code === 'ERR_PCSC');
      if (!staleContext) {
        releaseConnectionReader(native, true);
        throw error;
      }
      releaseConnectionReader(native, false);
    }
    // A pooled reader from before a pcscd restart has a dead context: use a fresh one.
    const fresh = acquireConnectionReader(this.reader);
    try {
      await this.connectWith(fresh.native, share);
    } catch (error) {
      releaseConnectionReader(fresh.native, true);
      throw error;
    }
  }

  private async connectWith(native: NativeCardReader, share: ShareMode): Promise<void> {
    const wanted =
      this.options.protocol === 'T=0'
        ? PROTOCOL.T0
        : this.options.protocol === 'T=1'
          ? PROTOCOL.T1
          : PROTOCOL.T0 | PROTOCOL.T1;
    const protocol = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new TransportTimeoutError(`SCardConnect to ${JSON.stringify(this.reader)} timed out`)),
        this.options.timeoutMs,
      );
      native._connect(share === 'exclusive' ? SHARE.EXCLUSIVE : SHARE.SHARED, wanted, (error, negotiated) => {
        clearTimeout(timer);
        if (error) {
          reject(
            toTransportError(error, {
              operation: 'SCardConnect',
              reader: this.reader,
              readers: this.readers.readers(),
            }),
          );
        } else resolve(negotiated ?? 0);
      });
    });
    this.native = native;
    this.connectedMode = share;
    this.protocol = protocol === PROTOCOL.T0 ? 'T=0' : 'T=1';
  }

  private async release(disposition: 'leave' | 'reset' | 'unpower'): Promise<void> {
    const native = this.native;
    if (!native || !this.connectedMode) return;
    this.connectedMode = undefined;
    const code =
      disposition === 'reset'
        ? DISPOSITION.RESET
        : disposition === 'unpower'
          ? DISPOSITION.UNPOWER
          : DISPOSITION.LEAVE;
    await new Promise<void>((resolve) => native._disconnect(code, () => resolve()));
  }
}
