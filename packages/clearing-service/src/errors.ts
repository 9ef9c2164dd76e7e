/** Base of every error the clearing service raises; `code` is stable across releases. */
export class ClearingError extends Error {
  override name = 'ClearingError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export class MigrationError extends ClearingError {
  override name = 'MigrationError';
  constructor(message: string) {
    super('ERR_CLEARING_MIGRATION', message);
  }
}

export class DbValueError extends ClearingError {
  override name = 'DbValueError';
  constructor(message: string) {
    super('ERR_CLEARING_DB_VALUE', message);
  }
}

export class MerkleError extends ClearingError {
  override name = 'MerkleError';
  constructor(code: 'ERR_MERKLE_RANGE' | 'ERR_MERKLE_PROOF' | 'ERR_MERKLE_STORE', message: string) {
    super(code, message);
  }
}

export class SignerError extends ClearingError {
  override name = 'SignerError';
  constructor(code: 'ERR_SIGNER_KEY_FILE' | 'ERR_SIGNER_KEY_FORMAT', message: string) {
    super(code, message);
  }
}

export class InputError extends ClearingError {
  override name = 'InputError';
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/**
 * A refusal with its HTTP status, for the central error mapper. `field` names the offending
 * input (a JSON pointer into the body, `query.since`, `params.ref`, `header.x-huduma-nonce`,
 * `records[12].time`, …) so a client can say what to fix. The stable `code` is the contract; the
 * message is for people and may change.
 */
export class HttpError extends ClearingError {
  override name = 'HttpError';
  readonly statusCode: number;
  readonly field: string | undefined;
  constructor(statusCode: number, code: string, message: string, field?: string) {
    super(code, message);
    this.statusCode = statusCode;
    this.field = field;
  }
}
