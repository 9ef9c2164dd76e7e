import type { Transport } from '@huduma/apdu';

/** The tap budget: a complete payment tap should take at most this long (ms), card time included. */
export const TAP_BUDGET_MS = 300;

/** Steps of a tap that telemetry times separately. */
export type TapStep =
  | 'select'
  | 'certificate'
  | 'register'
  | 'session'
  | 'pin'
  | 'debit'
  | 'undebit'
  | 'reload'
  | 'verify'
  | 'recovery'
  | 'read'
  | 'identity'
  | 'block';

/**
 * What one tap cost so far: APDU exchanges and bytes on the link, wall time per step, and the
 * host's own crypto time (ECDH, session keys and MACs, certificate and proof verification). `totalMs` is
 * the sum of the steps (time spent inside the SDK, not time the application waited between calls).
 */
export interface TapTelemetry {
  /** Card number, once known. */
  cardNumber: string | undefined;
  /** Command APDUs exchanged (each chain segment and GET RESPONSE counts). */
  apdus: number;
  /** Bytes of command APDUs sent. */
  bytesSent: number;
  /** Bytes of response APDUs received (data and SW). */
  bytesReceived: number;
  /** Wall time per step, ms. */
  steps: Partial<Record<TapStep, number>>;
  /** Host-side ECDSA and hashing time, ms (included in the steps). */
  hostCryptoMs: number;
  /** Sum of the steps, ms. */
  totalMs: number;
  /** The budget the tap is measured against, ms. */
  budgetMs: number;
  /** `totalMs <= budgetMs`. */
  withinBudget: boolean;
}

/** Collects {@link TapTelemetry} for one card session; the SDK owns one per `HudumaCard`. */
export class TapTelemetryRecorder {
  private apdus = 0;
  private bytesSent = 0;
  private bytesReceived = 0;
  private hostCryptoMs = 0;
  private readonly steps: Partial<Record<TapStep, number>> = {};
  /** Card number, set after SELECT. */
  cardNumber: string | undefined;

  constructor(readonly budgetMs: number = TAP_BUDGET_MS) {}

  /** A transport that counts what passes through it into this recorder. */
  wrap(transport: Transport): Transport {
    return {
      transmit: async (command) => {
        this.apdus++;
        this.bytesSent += command.length;
        const response = await transport.transmit(command);
        this.bytesReceived += response.length;
        return response;
      },
    };
  }

  /** Runs `fn` and adds its wall time to `step` (also when it throws). */
  async time<T>(step: TapStep, fn: () => Promise<T>): Promise<T> {
    const start = now();
    try {
      return await fn();
    } finally {
      this.steps[step] = (this.steps[step] ?? 0) + (now() - start);
    }
  }

  /** Runs synchronous host crypto and adds its time to `hostCryptoMs`. */
  crypto<T>(fn: () => T): T {
    const start = now();
    try {
      return fn();
    } finally {
      this.hostCryptoMs += now() - start;
    }
  }

  /** Asynchronous host crypto (an external signer). */
  async cryptoAsync<T>(fn: () => Promise<T>): Promise<T> {
    const start = now();
    try {
      return await fn();
    } finally {
      this.hostCryptoMs += now() - start;
    }
  }

  /** A snapshot of the figures so far. */
  snapshot(): TapTelemetry {
    let totalMs = 0;
    for (const v of Object.values(this.steps)) totalMs += v ?? 0;
    return {
      cardNumber: this.cardNumber,
      apdus: this.apdus,
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      steps: { ...this.steps },
      hostCryptoMs: this.hostCryptoMs,
      totalMs,
      budgetMs: this.budgetMs,
      withinBudget: totalMs <= this.budgetMs,
    };
  }
}

function now(): number {
  return globalThis.performance ? globalThis.performance.now() : Date.now();
}
