import { ReaderUnavailableError, TransportTimeoutError } from '@huduma/apdu';
import { WAKE_UP } from './commands';
import { hex2, Pn532FrameError, Pn532SyntaxError } from './errors';
import {
  ACK_FRAME,
  encodeInformationFrame,
  type FrameEvent,
  FrameReader,
  NACK_FRAME,
  TFI_HOST,
  TFI_PN532,
} from './frame';
import type { ByteLink } from './serial';

export interface Pn532LinkOptions {
  /** How long to wait for the ACK of a command (default 500 ms). */
  ackTimeoutMs?: number;
  /** How long to wait for an answer before asking for it again with a NACK (default 1000 ms). */
  responseTimeoutMs?: number;
  /** NACKs (or, for idempotent commands, resends) per command before giving up (default 3). */
  maxRetries?: number;
  /** Pause between the wake-up preamble and the first command (default 5 ms). */
  wakeDelayMs?: number;
  /** Silence that marks the end of a garbled burst before a NACK is sent (default 10 ms). */
  quietMs?: number;
}

type Received = FrameEvent | { type: 'timeout' } | { type: 'closed' };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The PN532 host protocol over a byte link: one command at a time, each acknowledged (ACK) and
 * answered. A garbled answer is asked for again with a NACK (the PN532 resends its last frame), a
 * missing one too; when retries run out the command is aborted (an ACK from the host cancels it)
 * and fails with ERR_PN532_BAD_FRAME or ERR_TRANSPORT_TIMEOUT. A frame from an earlier,
 * abandoned command is never taken for the answer: anything before this command's ACK is dropped.
 */
export class Pn532Link {
  private readonly options: Required<Pn532LinkOptions>;
  private readonly frames = new FrameReader();
  private inbox: Received[] = [];
  private waiter: ((received: Received) => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private asleep = true;
  private lastByteAt = 0;
  private closedError: ReaderUnavailableError | undefined;
  /** Bytes written and read on the line, for the line-rate arithmetic of the bench. */
  bytesOut = 0;
  bytesIn = 0;
  /** NACKs sent since the link was opened. */
  nacksSent = 0;
  /** Called once when the line goes away. */
  closedHook: (() => void) | undefined;

  constructor(
    private readonly link: ByteLink,
    readonly name: string,
    options: Pn532LinkOptions = {},
  ) {
    this.options = {
      ackTimeoutMs: options.ackTimeoutMs ?? 500,
      responseTimeoutMs: options.responseTimeoutMs ?? 1000,
      maxRetries: options.maxRetries ?? 3,
      wakeDelayMs: options.wakeDelayMs ?? 5,
      quietMs: options.quietMs ?? 10,
    };
    link.onData((bytes) => {
      this.bytesIn += bytes.length;
      this.lastByteAt = performance.now();
      for (const event of this.frames.push(bytes)) this.deliver(event);
    });
    link.onClose((error) => {
      this.closedError = new ReaderUnavailableError(
        `the serial line of ${name} went away${error ? `: ${error.message}` : ''}`,
        { cause: error },
      );
      this.deliver({ type: 'closed' });
      this.closedHook?.();
    });
  }

  /** True once the line is gone: every command fails with ERR_READER_UNAVAILABLE. */
  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /**
   * Sends command `code` with `params`, resolves with the answer's data (after the response
   * code). `idempotent` commands are sent again when their ACK does not come; others fail.
   */
  command(code: number, params: Uint8Array, options: { idempotent?: boolean } = {}): Promise<Uint8Array> {
    const run = this.queue.then(() => this.run(code, params, options.idempotent ?? false));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.link.close();
  }

  private deliver(received: Received): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter(received);
    } else this.inbox.push(received);
  }

  private next(timeoutMs: number): Promise<Received> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closedError) return Promise.resolve({ type: 'closed' });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve({ type: 'timeout' });
      }, timeoutMs);
      this.waiter = (received) => {
        clearTimeout(timer);
        resolve(received);
      };
    });
  }

  private async write(bytes: Uint8Array): Promise<void> {
    if (this.closedError) throw this.closedError;
    this.bytesOut += bytes.length;
    await this.link.write(bytes);
  }

  private async run(code: number, params: Uint8Array, idempotent: boolean): Promise<Uint8Array> {
    if (this.closedError) throw this.closedError;
    const what = `command 0x${hex2(code)} to ${this.name}`;
    const frame = encodeInformationFrame(TFI_HOST, Uint8Array.of(code, ...params));
    this.inbox = [];
    this.frames.reset();
    let attempts = 0;
    let ackGarbled = false;
    for (;;) {
      if (this.asleep) {
        await this.write(WAKE_UP);
        await sleep(this.options.wakeDelayMs);
      }
      await this.write(frame);
      const acked = await this.awaitAck(code, what);
      if (acked === 'ack' || acked === 'garbled-ack') {
        ackGarbled = acked === 'garbled-ack';
        break;
      }
      this.asleep = true;
      if (!idempotent || ++attempts > this.options.maxRetries) {
        throw new TransportTimeoutError(
          `no ACK from ${this.name} within ${this.options.ackTimeoutMs} ms for command 0x${hex2(code)} (is a PN532 on this line, in HSU mode?)`,
        );
      }
    }
    this.asleep = false;
    let retries = 0;
    for (;;) {
      const received = await this.next(this.options.responseTimeoutMs);
      if (received.type === 'closed') throw this.closedError!;
      if (received.type === 'frame') {
        const f = received.frame;
        if (f.kind === 'error') throw new Pn532SyntaxError(code);
        if (f.kind === 'information' && f.tfi === TFI_PN532 && f.data[0] === code + 1) return f.data.slice(1);
        continue; // an ACK answering our NACK while the PN532 works, or a stale frame
      }
      if (++retries > this.options.maxRetries) {
        await this.write(ACK_FRAME).catch(() => undefined); // abort the command in the PN532
        if (received.type === 'garbled') {
          throw new Pn532FrameError(
            received.error.reason,
            `the answer to ${what} was garbled ${retries} times (${received.error.message})`,
            { cause: received.error },
          );
        }
        throw new TransportTimeoutError(
          `no answer to ${what} after ${retries} waits of ${this.options.responseTimeoutMs} ms${ackGarbled ? ' (its ACK was garbled)' : ''}`,
        );
      }
      await this.nack();
    }
  }

  private async awaitAck(code: number, what: string): Promise<'ack' | 'garbled-ack' | 'timeout'> {
    let garbled = 0;
    for (;;) {
      const received = await this.next(this.options.ackTimeoutMs);
      if (received.type === 'closed') throw this.closedError!;
      if (received.type === 'timeout') return 'timeout';
      if (received.type === 'garbled') {
        if (++garbled > this.options.maxRetries) {
          throw new Pn532FrameError(
            received.error.reason,
            `the ACK of ${what} was garbled ${garbled} times`,
            {
              cause: received.error,
            },
          );
        }
        await this.nack();
        continue;
      }
      const f = received.frame;
      if (f.kind === 'ack') return garbled ? 'garbled-ack' : 'ack';
      if (f.kind === 'error') throw new Pn532SyntaxError(code);
      // After a garbled ACK, the NACK may bring back the answer itself (the last frame sent).
      if (garbled && f.kind === 'information' && f.tfi === TFI_PN532 && f.data[0] === code + 1) {
        this.inbox.unshift(received);
        return 'garbled-ack';
      }
      // Otherwise: a frame from before this command; never an answer to it.
    }
  }

  /** Waits for the line to fall quiet, forgets what came, and asks the PN532 to send again. */
  private async nack(): Promise<void> {
    const deadline = performance.now() + this.options.responseTimeoutMs;
    while (performance.now() - this.lastByteAt < this.options.quietMs && performance.now() < deadline) {
      await sleep(this.options.quietMs);
    }
    this.inbox = [];
    this.frames.reset();
    this.nacksSent++;
    await this.write(NACK_FRAME);
  }
}
