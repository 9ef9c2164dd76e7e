import {
  CardRemovedError,
  fromHex,
  hex,
  ReaderUnavailableError,
  type Transport,
  TransportError,
  TransportTimeoutError,
} from '@huduma/apdu';

/** One recorded exchange. Bytes are uppercase hex without spaces. */
export interface TraceEntry {
  command: string;
  /** Response APDU, absent when the exchange failed. */
  response?: string;
  /** The failure, when the exchange failed. */
  error?: { name: string; code?: string; message: string };
  /** Milliseconds since the recording started, when the command was sent. */
  atMs: number;
  durationMs: number;
}

/** A recorded session, as saved to JSON. */
export interface ApduTrace {
  format: 'huduma-apdu-trace';
  version: 1;
  /** Free text: reader, card, scenario. */
  label?: string;
  startedAt: string;
  entries: TraceEntry[];
}

/** A replayed command differs from the recording, or the recording is used up. */
export class TraceMismatchError extends TransportError {
  /** Index of the entry that did not match. */
  readonly index: number;
  constructor(message: string, index: number, code: 'ERR_TRACE_MISMATCH' | 'ERR_TRACE_EXHAUSTED') {
    super(message, { code });
    this.index = index;
  }
}

/**
 * A Transport that records every exchange of the transport it wraps (hex and timings).
 * `trace()` returns the recording; `JSON.stringify(recorder.trace())` is the file format.
 */
export class TraceRecorder implements Transport {
  private readonly inner: Transport;
  private readonly started = performance.now();
  private readonly recording: ApduTrace;

  constructor(inner: Transport, options: { label?: string } = {}) {
    this.inner = inner;
    this.recording = {
      format: 'huduma-apdu-trace',
      version: 1,
      label: options.label,
      startedAt: new Date().toISOString(),
      entries: [],
    };
  }

  async transmit(command: Uint8Array): Promise<Uint8Array> {
    const begin = performance.now();
    const entry: TraceEntry = {
      command: hex(command).toUpperCase(),
      atMs: round(begin - this.started),
      durationMs: 0,
    };
    this.recording.entries.push(entry);
    try {
      const response = await this.inner.transmit(command);
      entry.response = hex(response).toUpperCase();
      return response;
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      entry.error = { name: e.name, code: (e as { code?: string }).code, message: e.message };
      throw error;
    } finally {
      entry.durationMs = round(performance.now() - begin);
    }
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  /** The recording so far (a copy). */
  trace(): ApduTrace {
    return structuredClone(this.recording);
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * Plays a recorded trace back as a Transport: each command must equal the next recorded one
 * (else ERR_TRACE_MISMATCH); the recorded response, or the recorded error, comes back.
 */
export class ReplayTransport implements Transport {
  private readonly entries: readonly TraceEntry[];
  private position = 0;

  constructor(trace: ApduTrace | string) {
    const parsed: ApduTrace = typeof trace === 'string' ? JSON.parse(trace) : trace;
    if (parsed.format !== 'huduma-apdu-trace' || parsed.version !== 1) {
      throw new TypeError('ReplayTransport: not a huduma-apdu-trace version 1 recording');
    }
    this.entries = parsed.entries;
  }

  /** Number of recorded exchanges not yet replayed. */
  get remaining(): number {
    return this.entries.length - this.position;
  }

  async transmit(command: Uint8Array): Promise<Uint8Array> {
    const index = this.position;
    const entry = this.entries[index];
    const actual = hex(command).toUpperCase();
    if (!entry) {
      throw new TraceMismatchError(
        `replay: command #${index} ${actual} sent, but the trace has only ${this.entries.length} exchanges`,
        index,
        'ERR_TRACE_EXHAUSTED',
      );
    }
    if (entry.command.toUpperCase() !== actual) {
      throw new TraceMismatchError(
        `replay: command #${index} differs from the recording: expected ${entry.command}, got ${actual}`,
        index,
        'ERR_TRACE_MISMATCH',
      );
    }
    this.position++;
    if (entry.error) throw recreate(entry.error);
    return fromHex(entry.response ?? '');
  }
}

function recreate(error: { name: string; code?: string; message: string }): Error {
  switch (error.code) {
    case 'ERR_CARD_REMOVED':
      return new CardRemovedError(error.message);
    case 'ERR_READER_UNAVAILABLE':
      return new ReaderUnavailableError(error.message);
    case 'ERR_TRANSPORT_TIMEOUT':
      return new TransportTimeoutError(error.message);
    default:
      return new TransportError(error.message, { code: error.code ?? 'ERR_TRANSPORT' });
  }
}
