/**
 * Base class of every error thrown by `@huduma/apdu`.
 *
 * `code` is stable and meant for programs (`switch (err.code)`); `message` is for people and may change.
 */
export class ApduError extends Error {
  /** Stable machine-readable identifier, e.g. `ERR_APDU_LC_MISMATCH`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A command or response APDU could not be decoded.
 *
 * Codes: `ERR_APDU_TOO_SHORT`, `ERR_APDU_LC_MISMATCH`, `ERR_APDU_BAD_LC`, `ERR_APDU_BAD_LENGTH`.
 * `offset` is the byte index in the input at which the problem was detected.
 */
export class ApduDecodeError extends ApduError {
  /** Byte index in the decoded input where the problem was found. */
  readonly offset: number;

  constructor(code: string, message: string, offset: number) {
    super(code, message);
    this.offset = offset;
  }
}

/**
 * A command, response or TLV object handed to an encoder cannot be represented.
 *
 * Codes: `ERR_APDU_BAD_FIELD` (a header byte or status word out of range), `ERR_APDU_DATA_TOO_LONG`,
 * `ERR_APDU_BAD_LE`, `ERR_APDU_BAD_CHANNEL`, `ERR_APDU_BAD_CHUNK`, `ERR_TLV_BAD_TAG`, `ERR_TLV_VALUE_TOO_LONG`.
 */
export class ApduEncodeError extends ApduError {}

/**
 * A BER-TLV buffer could not be parsed.
 *
 * Codes: `ERR_TLV_TRUNCATED`, `ERR_TLV_BAD_LENGTH`, `ERR_TLV_INDEFINITE_LENGTH`, `ERR_TLV_TAG_TOO_LONG`,
 * `ERR_TLV_TOO_DEEP`. `offset` is the byte index in the original input buffer.
 */
export class TlvDecodeError extends ApduError {
  /** Byte index in the original input where the problem was found. */
  readonly offset: number;

  constructor(code: string, message: string, offset: number) {
    super(code, message);
    this.offset = offset;
  }
}

/**
 * A hex string handed to {@link fromHex} is not valid hex. Code `ERR_HEX_INVALID`;
 * `offset` is the character index in the input string.
 */
export class HexDecodeError extends ApduError {
  /** Character index in the input string where the problem was found. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super('ERR_HEX_INVALID', message);
    this.offset = offset;
  }
}

/**
 * The card broke the T=0 / chaining protocol in a way the helpers refuse to follow further,
 * e.g. it answered 61xx more often than allowed.
 *
 * Codes: `ERR_T0_GET_RESPONSE_LIMIT`, `ERR_T0_WRONG_LE_LIMIT`.
 */
export class ApduProtocolError extends ApduError {}

/**
 * Base class for failures of the link to the card (reader, driver, simulator socket).
 * Transports throw this or one of its subclasses; the generic code is `ERR_TRANSPORT`.
 */
export class TransportError extends ApduError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'ERR_TRANSPORT', message, options);
  }
}

/** The card was removed (or reset) while or before a command was sent. Code `ERR_CARD_REMOVED`. */
export class CardRemovedError extends TransportError {
  constructor(message = 'card removed', options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CARD_REMOVED' });
  }
}

/** No reader is present, or the reader cannot be opened. Code `ERR_READER_UNAVAILABLE`. */
export class ReaderUnavailableError extends TransportError {
  constructor(message = 'reader unavailable', options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_READER_UNAVAILABLE' });
  }
}

/** The card or reader did not answer in time. Code `ERR_TRANSPORT_TIMEOUT`. */
export class TransportTimeoutError extends TransportError {
  constructor(message = 'transport timed out', options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_TRANSPORT_TIMEOUT' });
  }
}
