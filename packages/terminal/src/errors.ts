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

/**
 * Every reason the engine (or the card, through it) can refuse with: stable machine-readable
 * codes. The counter app words them (terminal-app/src/messages); a test keeps its catalogs
 * complete against this list.
 */
export const REFUSAL_REASONS = [
  'deny-listed',
  'card-blocked',
  'card-certificate-expired',
  'card-certificate-invalid',
  'terminal-certificate-expired',
  'terminal-not-authorized',
  'per-sale-limit',
  'card-offline-limit',
  'offline-too-long',
  'too-many-unsynced',
  'insufficient-funds',
  'wrong-pin',
  'pin-blocked',
  'pin-cancelled',
  'card-removed',
  'outcome-unknown',
  'pending-unresolved',
  'journal-failed',
  'undebit-refused',
  'nothing-to-cancel',
  'max-balance',
  'load-declined',
  'card-error',
  'storage-full',
  'storage-failed',
  'terminal-revoked',
  'clock-invalid',
  'no-cvm-limit-reached',
  'puk-blocked',
  'sync-required',
  'currency-mismatch',
  'secure-messaging',
  'card-changed',
] as const;

/** Why the terminal refused a transaction before (or instead of) asking the card. */
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/**
 * What a re-tap found about an interrupted command (RecoveryNotice.key): every notice key the
 * engine can raise, for the message catalogs like REFUSAL_REASONS.
 */
export const NOTICE_KEYS = [
  'recovered-completed',
  'recovered-not-charged',
  'recovered-counter-lost',
  'recovered-synced',
] as const;
export type NoticeKey = (typeof NOTICE_KEYS)[number];

/**
 * Structured facts of a refusal for the message catalogs (amounts in cents, times in ms since
 * the epoch): what a sentence needs besides its reason.
 */
export interface RefusalParams {
  amountCents?: number;
  limitCents?: number;
  balanceCents?: number;
  spentCents?: number;
  terminalSeq?: number;
  count?: number;
  limit?: number;
  offlineMs?: number;
  limitMs?: number;
  expiredAt?: number;
  triesLeft?: number;
  maskedCardNumber?: string;
  /** Which kind of command an interrupted one was. */
  operation?: 'payment' | 'cancellation' | 'reload';
  /** Storage refusals: before the card was charged, after it, or while settling an earlier one. */
  stage?: 'before-charge' | 'charged' | 'settle';
  /** Card refusal detail (e.g. the card's own reason), for the catalogs that show it. */
  detail?: string;
  noPinPad?: boolean;
}

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
  /** Structured facts for the message catalogs (see RefusalParams). */
  readonly params: RefusalParams;
  constructor(
    reason: RefusalReason,
    cashierMessage: string,
    options?: { detail?: string; cause?: unknown; triesLeft?: number; params?: RefusalParams },
  ) {
    super(
      `ERR_REFUSED_${reason.toUpperCase().replaceAll('-', '_')}`,
      options?.detail ? `${cashierMessage} (${options.detail})` : cashierMessage,
      options,
    );
    this.reason = reason;
    this.cashierMessage = cashierMessage;
    this.triesLeft = options?.triesLeft;
    this.params = {
      ...options?.params,
      ...(options?.triesLeft === undefined ? {} : { triesLeft: options.triesLeft }),
    };
  }
}

/** The engine runs one operation at a time (one reader, one cashier). */
export class TerminalBusyError extends TerminalError {
  constructor(running: string) {
    super('ERR_TERMINAL_BUSY', `the terminal is busy with ${running}: wait for it to finish`);
  }
}
