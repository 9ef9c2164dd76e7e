/**
 * Every error this package throws is a TxLogError with a stable `code`, so callers branch on
 * `err.code` and never on message text.
 */
export class TxLogError extends Error {
  readonly code: string = 'ERR_TXLOG';
  override name = 'TxLogError';
}

/** A write, fsync or truncate failed. The handle is unusable afterwards: reopen the log. */
export class TxLogIoError extends TxLogError {
  override readonly code = 'ERR_TXLOG_IO';
  override name = 'TxLogIoError';
  /**
   * true: the file was truncated back to its length before the failed append and that truncation
   * was fsynced, so the rejected records are certainly not in the log.
   * false: the rollback failed too; after reopening, the rejected records may or may not be present.
   */
  readonly restored: boolean;
  constructor(message: string, restored: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.restored = restored;
  }
}

/** An earlier I/O error made this handle unusable; only reopening (which recovers) helps. */
export class TxLogPoisonedError extends TxLogError {
  override readonly code = 'ERR_TXLOG_POISONED';
  override name = 'TxLogPoisonedError';
}

export class TxLogClosedError extends TxLogError {
  override readonly code = 'ERR_TXLOG_CLOSED';
  override name = 'TxLogClosedError';
}

export class TxLogNotFoundError extends TxLogError {
  override readonly code = 'ERR_TXLOG_NOT_FOUND';
  override name = 'TxLogNotFoundError';
}

/** The file does not start with the transaction log file header. */
export class TxLogNotALogError extends TxLogError {
  override readonly code = 'ERR_TXLOG_NOT_A_LOG';
  override name = 'TxLogNotALogError';
}

/**
 * A damaged frame is followed by at least one intact frame: this is not a torn tail from a crash
 * but corruption of acknowledged data, so nothing is cut and the log refuses to open.
 */
export class TxLogCorruptError extends TxLogError {
  override readonly code = 'ERR_TXLOG_CORRUPT';
  override name = 'TxLogCorruptError';
  constructor(
    message: string,
    /** Byte offset of the damaged frame in the file. */
    readonly offset: number,
    /** Index (= expected seq) of the damaged frame. */
    readonly frameIndex: number,
  ) {
    super(message);
  }
}

/** Record bytes that are not a well-formed record of this format. */
export class TxLogRecordError extends TxLogError {
  override readonly code = 'ERR_TXLOG_RECORD_INVALID';
  override name = 'TxLogRecordError';
}

/** An event passed to append() that cannot be recorded (bad card number, non-integer amount, ...). */
export class TxLogEventError extends TxLogError {
  override readonly code = 'ERR_TXLOG_INVALID_EVENT';
  override name = 'TxLogEventError';
}

export class TxLogNoSignerError extends TxLogError {
  override readonly code = 'ERR_TXLOG_NO_SIGNER';
  override name = 'TxLogNoSignerError';
}

export class TxLogEmptyError extends TxLogError {
  override readonly code = 'ERR_TXLOG_EMPTY';
  override name = 'TxLogEmptyError';
}

/** The terminal signer failed to sign a checkpoint; the log itself is unchanged and usable. */
export class TxLogSignError extends TxLogError {
  override readonly code = 'ERR_TXLOG_SIGN';
  override name = 'TxLogSignError';
}

export class TxLogKeyError extends TxLogError {
  override readonly code = 'ERR_TXLOG_KEY';
  override name = 'TxLogKeyError';
}
