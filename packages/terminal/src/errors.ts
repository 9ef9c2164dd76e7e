/**
 * Errors of the terminal engine. `code` is stable (for programs and the CLI's exit handling);
 * `message` is for people. A refusal also carries `cashierMessage`: one short sentence the
 * counter screen can show as it is.
 */
export class TerminalError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** A typed amount that is not a valid KES amount ("250.00" is; "2.505", "-1", "1e3" are not). */
export class AmountFormatError extends TerminalError {
  constructor(message: string) {
    super('ERR_AMOUNT_FORMAT', message);
  }
}

/** The service code is not in the catalog. */
export class UnknownServiceError extends TerminalError {
  constructor(code: number | string) {
    super('ERR_UNKNOWN_SERVICE', `service code ${code} is not in the catalog`);
  }
}

/** The bill reference cannot be carried on the card (1-16 printable ASCII). */
export class BillRefFormatError extends TerminalError {
  constructor(ref: string) {
    super(
      'ERR_BILL_REF_FORMAT',
      `bill reference ${JSON.stringify(ref)} must be 1 to 16 printable ASCII characters`,
    );
  }
}

/** Terminal configuration missing, unreadable or inconsistent; `field` names the offending setting. */
export class TerminalConfigError extends TerminalError {
  readonly field: string | undefined;
  constructor(message: string, options?: { cause?: unknown; field?: string }) {
    super('ERR_TERMINAL_CONFIG', message, options);
    this.field = options?.field;
  }
}

/** A shift record field the log (and the clearing service) cannot store: 1-64 printable ASCII characters. */
export class ShiftFieldFormatError extends TerminalError {
  constructor(
    readonly field: 'shiftId' | 'operatorId',
    value: string,
  ) {
    super(
      'ERR_SHIFT_FIELD_FORMAT',
      `${field} ${JSON.stringify(value)} must be 1 to 64 printable ASCII characters (no control characters)`,
    );
  }
}

/** A deny-list delta does not apply to the list we hold (version gap, or older than ours). */
export class DenyListVersionError extends TerminalError {
  constructor(message: string) {
    super('ERR_DENY_LIST_VERSION', message);
  }
}

/** Why the terminal refused a transaction before (or instead of) asking the card. */
export type RefusalReason =
  | 'deny-listed'
  | 'card-blocked'
  | 'card-certificate-expired'
  | 'card-certificate-invalid'
  | 'terminal-certificate-expired'
  | 'terminal-not-authorized'
  | 'per-sale-limit'
  | 'card-offline-limit'
  | 'offline-too-long'
  | 'too-many-unsynced'
  | 'insufficient-funds'
  | 'wrong-pin'
  | 'pin-blocked'
  | 'pin-cancelled'
  | 'card-removed'
  | 'outcome-unknown'
  | 'pending-unresolved'
  | 'journal-failed'
  | 'undebit-refused'
  | 'nothing-to-cancel'
  | 'max-balance'
  | 'load-declined'
  | 'card-error'
  /** The disk is full: refused before the card is charged (see storage.ts). */
  | 'storage-full'
  /** Another storage failure (I/O error): refused before the card is charged. */
  | 'storage-failed'
  /** The clearing service revoked this terminal: contact the acquirer. */
  | 'terminal-revoked'
  /** The terminal clock is outside the range a record can carry. */
  | 'clock-invalid'
  /** The card's cumulative no-PIN allowance is used up: PIN needed (applet v2 noCvmLimit). */
  | 'no-cvm-limit-reached'
  /** The card's PUK is blocked: its PIN can never be unblocked. */
  | 'puk-blocked'
  /** 32 unsynced records on the card: it must be reloaded (online) before more debits. */
  | 'sync-required'
  /** The card's purse is in another currency. */
  | 'currency-mismatch'
  /** The card's session cryptogram or MACs did not verify (before any value command). */
  | 'secure-messaging'
  /** The card's counter moved past the one the command was bound to: not executed. */
  | 'card-changed';

/**
 * The terminal (or the card) declined. Nothing was charged unless `reason` is 'outcome-unknown',
 * in which case the outcome is settled on the next tap of the card.
 */
export class TransactionRefusedError extends TerminalError {
  readonly reason: RefusalReason;
  /** One sentence for the cashier's screen. */
  readonly cashierMessage: string;
  /** PIN tries left on the card, for PIN refusals. */
  readonly triesLeft: number | undefined;
  constructor(
    reason: RefusalReason,
    cashierMessage: string,
    options?: { detail?: string; cause?: unknown; triesLeft?: number },
  ) {
    super(
      `ERR_REFUSED_${reason.toUpperCase().replaceAll('-', '_')}`,
      options?.detail ? `${cashierMessage} (${options.detail})` : cashierMessage,
      options,
    );
    this.reason = reason;
    this.cashierMessage = cashierMessage;
    this.triesLeft = options?.triesLeft;
  }
}

/** The engine runs one operation at a time (one reader, one cashier). */
export class TerminalBusyError extends TerminalError {
  constructor(running: string) {
    super('ERR_TERMINAL_BUSY', `the terminal is busy with ${running}: wait for it to finish`);
  }
}
