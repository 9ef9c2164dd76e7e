import { isRetryable, SyncRetriesExhaustedError } from './errors';

/** Exponential backoff with full jitter, bounded in attempts and in each pause. */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 6). */
  maxAttempts: number;
  /** Pause cap before the second attempt, ms (default 250). */
  baseDelayMs: number;
  /** No pause is longer than this, ms (default 15 s). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 15_000 };

/**
 * The pause after failed attempt `attempt` (1-based): uniform in [0, min(max, base·2^(attempt-1))).
 * Full jitter spreads the retries of many terminals that lost the service at the same moment.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}

export interface RetryHooks {
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Told before each pause (for logs and progress screens). */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

export const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` until it succeeds, a non-retryable error is thrown (rethrown as is), or the attempts
 * run out (SyncRetriesExhaustedError with the last error as cause). `fn` gets a `progressed`
 * callback: calling it resets the attempt count, so a long upload that keeps moving forward is
 * not abandoned because of scattered failures.
 */
export async function withRetry<T>(
  fn: (progressed: () => void) => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  hooks: RetryHooks = {},
): Promise<T> {
  const sleep = hooks.sleep ?? defaultSleep;
  let attempt = 0;
  for (;;) {
    attempt++;
    try {
      return await fn(() => {
        attempt = 0;
      });
    } catch (err) {
      if (!isRetryable(err)) throw err;
      if (attempt >= policy.maxAttempts) throw new SyncRetriesExhaustedError(attempt, err);
      const delayMs = backoffDelay(Math.max(1, attempt), policy, hooks.random);
      hooks.onRetry?.({ attempt, delayMs, error: err });
      await sleep(delayMs);
    }
  }
}
