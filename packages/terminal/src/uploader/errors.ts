import { TerminalError } from '../errors';

/** Base of every error of the sync client (upload, deny list, catalog, online loads). */
export class SyncError extends TerminalError {}

/**
 * The clearing service could not be reached or the connection broke (refused, reset, timed
 * out). Retryable: nothing the terminal holds is lost, the next attempt resumes.
 */
export class ClearingUnreachableError extends SyncError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SYNC_NETWORK', message, options);
  }
}

/** The service answered 5xx (or something that is not its JSON). Retryable. */
export class ClearingServerError extends SyncError {
  constructor(
    readonly status: number,
    readonly serviceCode: string,
    message: string,
  ) {
    super('ERR_SYNC_SERVER', message);
  }
}

/**
 * The service refused the request (4xx). Not retried blindly: the same bytes would be refused
 * again. `serviceCode` is the service's error code (`ERR_RECORD_CHAIN`, `ERR_LOG_FORK`, ...);
 * `seq` the log record it refused, when it names one.
 */
export class ClearingRejectedError extends SyncError {
  constructor(
    readonly status: number,
    readonly serviceCode: string,
    readonly reason: string,
    readonly seq?: number,
  ) {
    super(
      'ERR_SYNC_REJECTED',
      `the clearing service refused the request (${status} ${serviceCode}${seq === undefined ? '' : `, record ${seq}`}): ${reason}`,
    );
  }
}

/** Every attempt failed with a retryable error; `cause` is the last one. */
export class SyncRetriesExhaustedError extends SyncError {
  constructor(
    readonly attempts: number,
    cause: unknown,
  ) {
    super(
      'ERR_SYNC_RETRIES_EXHAUSTED',
      `gave up after ${attempts} attempts: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
  }
}

/**
 * The service's view of this terminal's log does not match the local log (it holds records
 * this terminal does not have, or a different record at the same seq). Needs an operator.
 */
export class SyncStateMismatchError extends SyncError {
  /** Set when the terminal reported the disagreement to the service (the alert it raised). */
  forkReport: { alertId: number } | undefined;
  constructor(message: string) {
    super('ERR_SYNC_STATE_MISMATCH', message);
  }
}

/** A signed answer (deny list, batch receipt) does not verify with the service key, or is stale. */
export class ServiceSignatureError extends SyncError {
  constructor(message: string) {
    super('ERR_SYNC_SIGNATURE', message);
  }
}

/**
 * A stretch of the log too long to upload as one checkpointed batch. No longer thrown: such a
 * stretch now goes up in sealed batches. Kept so programs that catch it still compile.
 */
export class SyncBatchTooLargeError extends SyncError {
  constructor(message: string) {
    super('ERR_SYNC_BATCH_TOO_LARGE', message);
  }
}

/** True for the errors worth another attempt after a pause. */
export function isRetryable(err: unknown): boolean {
  return err instanceof ClearingUnreachableError || err instanceof ClearingServerError;
}
