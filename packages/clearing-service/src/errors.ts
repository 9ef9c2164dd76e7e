/**
 * Every error the clearing service raises, each class declaring its HTTP status and stable code
 * (in the manner of Fastify's lib/errors.js): the error mapper (http/error-mapper.ts) answers
 * with what the error says, no table elsewhere. `code` is the contract across releases; the
 * message is for people and may change. Status 500 means a bug (logged as one).
 */
export class ClearingError extends Error {
  override name = 'ClearingError';
  readonly code: string;
  /** The HTTP status this error answers with; 500 for failures that are the service's own. */
  readonly statusCode: number = 500;
  /**
   * The offending input, when there is one: a JSON pointer into the body (`body.TransID`),
   * `query.since`, `params.ref`, `header.x-huduma-nonce`, `records[12].time`, …
   */
  readonly field: string | undefined;
  constructor(code: string, message: string, field?: string) {
    super(message);
    this.code = code;
    this.field = field;
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

/** A leaf or tree size out of range is the client's (400); a broken store is ours (500). */
export class MerkleError extends ClearingError {
  override name = 'MerkleError';
  override readonly statusCode: number;
  constructor(code: 'ERR_MERKLE_RANGE' | 'ERR_MERKLE_PROOF' | 'ERR_MERKLE_STORE', message: string) {
    super(code, message);
    this.statusCode = code === 'ERR_MERKLE_RANGE' ? 400 : 500;
  }
}

export class SignerError extends ClearingError {
  override name = 'SignerError';
  constructor(code: 'ERR_SIGNER_KEY_FILE' | 'ERR_SIGNER_KEY_FORMAT', message: string) {
    super(code, message);
  }
}

/** Input that cannot be used as given: 400. */
export class InputError extends ClearingError {
  override name = 'InputError';
  override readonly statusCode: number = 400;
}

/** Input naming something the service does not hold (a top-up id): 404. */
export class NotFoundError extends InputError {
  override name = 'NotFoundError';
  override readonly statusCode: number = 404;
}

/** Input that conflicts with what the service holds (a top-up in another state, an unsynced card): 409. */
export class ConflictError extends InputError {
  override name = 'ConflictError';
  override readonly statusCode: number = 409;
}

/** Well-formed input whose content fails a check (a card record's signature): 422. */
export class UnprocessableError extends InputError {
  override name = 'UnprocessableError';
  override readonly statusCode: number = 422;
}

/**
 * A refusal with an explicit HTTP status (routes and hooks that decide it where they stand),
 * e.g. 401 with `header.authorization`, 503 when uploads are not configured.
 */
export class HttpError extends ClearingError {
  override name = 'HttpError';
  override readonly statusCode: number;
  constructor(statusCode: number, code: string, message: string, field?: string) {
    super(code, message, field);
    this.statusCode = statusCode;
  }
}
