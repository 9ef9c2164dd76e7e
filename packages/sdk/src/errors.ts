import { type InsName, maskCardNumber, STATUS_WORD_MEANINGS, SW } from '@huduma/card-applet-spec';

/**
 * Base class of every error the SDK raises about the card or what it answered.
 *
 * `code` is stable and meant for programs (`switch (err.code)`); `sw` is the status word the
 * card returned, when the error comes from one; `message` is for people and may change.
 */
export class HudumaCardError extends Error {
  /** Stable machine-readable identifier, e.g. `ERR_INSUFFICIENT_FUNDS`. */
  readonly code: string;
  /** The card's status word when the error maps one, else undefined. */
  readonly sw: number | undefined;

  constructor(code: string, message: string, options?: { sw?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.sw = options?.sw;
  }
}

/** A status word the SDK has no more specific class for. `code` is `ERR_CARD_<NAME>` from the spec's table. */
export class CardError extends HudumaCardError {}

/** The balance is lower than the amount (9F01). */
export class InsufficientFundsError extends HudumaCardError {
  constructor(message = 'insufficient funds on the card', sw: number = SW.INSUFFICIENT_FUNDS) {
    super('ERR_INSUFFICIENT_FUNDS', message, { sw });
  }
}

/** The reload would take the balance above the card's maximum balance (9F02). */
export class MaxBalanceExceededError extends HudumaCardError {
  constructor(message = 'the reload would exceed the maximum balance', sw: number = SW.MAX_BALANCE_EXCEEDED) {
    super('ERR_MAX_BALANCE_EXCEEDED', message, { sw });
  }
}

/** The card's cumulative offline spend limit is reached: it must go online (reload) first (9F03). */
export class OfflineLimitExceededError extends HudumaCardError {
  constructor(
    message = 'offline spend limit reached: the card must be reloaded online',
    sw: number = SW.OFFLINE_LIMIT_EXCEEDED,
  ) {
    super('ERR_OFFLINE_LIMIT_EXCEEDED', message, { sw });
  }
}

/** Why the card refused the terminal. */
export type TerminalRefusalReason =
  | 'certificate-invalid'
  | 'certificate-expired'
  | 'unknown-ca'
  | 'capability-missing'
  | 'not-registered';

/** The card refused the terminal's certificate, registration or capability; `reason` says which check failed. */
export class TerminalNotAuthorizedError extends HudumaCardError {
  /** Which of the card's terminal checks failed. */
  readonly reason: TerminalRefusalReason;
  constructor(reason: TerminalRefusalReason, message: string, sw?: number) {
    super('ERR_TERMINAL_NOT_AUTHORIZED', message, sw === undefined ? undefined : { sw });
    this.reason = reason;
  }
}

/** A wrong PIN was presented; `triesLeft` is what the card reports (63Cx). */
export class WrongPinError extends HudumaCardError {
  /** PIN tries left on the card. */
  readonly triesLeft: number;
  constructor(triesLeft: number, sw: number) {
    super('ERR_WRONG_PIN', `wrong PIN: ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left`, { sw });
    this.triesLeft = triesLeft;
  }
}

/**
 * A wrong PUK was presented to UNBLOCK PIN; `triesLeft` is what the card reports (63Cx). At 0
 * the PUK is blocked for good; the card itself keeps working (v2 never terminates a card).
 */
export class WrongPukError extends HudumaCardError {
  /** PUK tries left on the card. */
  readonly triesLeft: number;
  constructor(triesLeft: number, sw: number) {
    super(
      'ERR_WRONG_PUK',
      triesLeft === 0
        ? 'wrong PUK: no tries left, the PUK is now blocked (the card still works without PIN unblocking)'
        : `wrong PUK: ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left`,
      { sw },
    );
    this.triesLeft = triesLeft;
  }
}

/** The PIN try counter is exhausted (6983): unblock it with the PUK at a Huduma Centre. */
export class PinBlockedError extends HudumaCardError {
  constructor(
    message = 'the PIN is blocked: unblock it with the PUK at a Huduma Centre',
    sw: number = SW.AUTH_METHOD_BLOCKED,
  ) {
    super('ERR_PIN_BLOCKED', message, { sw });
  }
}

/** The PUK is blocked for good (6983 to UNBLOCK PIN): the PIN can no longer be unblocked on this card. */
export class PukBlockedError extends HudumaCardError {
  constructor(
    message = 'the PUK is blocked: the PIN cannot be unblocked',
    sw: number = SW.AUTH_METHOD_BLOCKED,
  ) {
    super('ERR_PUK_BLOCKED', message, { sw });
  }
}

/**
 * The command needs the holder's PIN verified in this session (9F0E): call `verifyPin` and send
 * the same request again (same terminalSeq and expectedCounter: a refused debit changed nothing).
 * A debit above the card's single-amount CVM limit raises this class (`ERR_PIN_REQUIRED`); one
 * refused because the cumulative spend without PIN would pass its limit raises the subclass
 * {@link NoCvmLimitReachedError}.
 */
export class PinRequiredError extends HudumaCardError {
  constructor(
    message = 'the PIN must be verified first in this session',
    sw: number = SW.CVM_REQUIRED,
    code = 'ERR_PIN_REQUIRED',
  ) {
    super(code, message, { sw });
  }
}

/**
 * The debit is within the single-amount limit, but the spend without PIN since the last PIN
 * entry would pass the card's cumulative no-CVM limit (`noCvmLimit`, SPEC-v2 §6.8 step 10):
 * the holder must enter the PIN once, which resets the cumulative count.
 */
export class NoCvmLimitReachedError extends PinRequiredError {
  /** The card's cumulative spend without PIN before this debit, cents. */
  readonly noCvmSpend: number;
  /** The card's cumulative limit, cents. */
  readonly noCvmLimit: number;
  constructor(noCvmSpend: number, noCvmLimit: number, sw: number = SW.CVM_REQUIRED) {
    super(
      `PIN required: spend without PIN (${noCvmSpend}) plus this amount would pass the card's cumulative limit (${noCvmLimit})`,
      sw,
      'ERR_NO_CVM_LIMIT_REACHED',
    );
    this.noCvmSpend = noCvmSpend;
    this.noCvmLimit = noCvmLimit;
  }
}

/** The card is blocked (9F0B, or 6283 on SELECT). */
export class CardBlockedError extends HudumaCardError {
  constructor(message = 'the card is blocked', sw: number = SW.CARD_BLOCKED) {
    super('ERR_CARD_BLOCKED', message, { sw });
  }
}

/** 32 records on the card are not yet at the clearing service (9F14): it must go online (a reload, possibly of 0). */
export class SyncRequiredError extends HudumaCardError {
  constructor(
    message = 'the card must go online (reload, possibly of 0) before more payments: 32 unsynced transactions',
    sw: number = SW.SYNC_REQUIRED,
  ) {
    super('ERR_SYNC_REQUIRED', message, { sw });
  }
}

/** The request's currency is not the purse's (9F15). */
export class CurrencyMismatchError extends HudumaCardError {
  constructor(
    message = "the request's currency is not the card's purse currency",
    sw: number = SW.CURRENCY_MISMATCH,
  ) {
    super('ERR_CURRENCY_MISMATCH', message, { sw });
  }
}

/** Why a secure-messaging exchange failed. */
export type SecureMessagingFailure =
  | 'card-cryptogram'
  | 'response-mac'
  | 'command-mac-rejected'
  | 'session-closed';

/**
 * Secure messaging failed (SPEC-v2 §4.7.5): the card's session cryptogram or a response MAC
 * did not verify (a fake card, a man in the middle, or a corrupted link), the card rejected our
 * C-MAC (6988), or the session was already closed. Nothing the card said in that exchange is
 * believed; for a value command the SDK raises the outcome-unknown error instead.
 */
export class SecureMessagingError extends HudumaCardError {
  readonly reason: SecureMessagingFailure;
  constructor(reason: SecureMessagingFailure, message: string, cause?: unknown, sw?: number) {
    super('ERR_SECURE_MESSAGING', message, {
      ...(cause === undefined ? {} : { cause }),
      ...(sw === undefined ? {} : { sw }),
    });
    this.reason = reason;
  }
}

/** The card refused the UNDEBIT (9F07): not its last debit, another terminal, another amount or too late. */
export class UndebitRefusedError extends HudumaCardError {
  constructor(
    message = 'undebit refused: not the last debit, another terminal or amount, or outside the window',
    sw: number = SW.UNDEBIT_REFUSED,
  ) {
    super('ERR_UNDEBIT_REFUSED', message, { sw });
  }
}

/** The card refused the load authorization (9F08, or 6A88 for an unknown load-authority key). */
export class LoadAuthorizationInvalidError extends HudumaCardError {
  constructor(message: string, sw?: number) {
    super('ERR_LOAD_AUTHORIZATION_INVALID', message, sw === undefined ? undefined : { sw });
  }
}

/** The terminal sequence number was already used on this card for a different request (9F09). */
export class SequenceReusedError extends HudumaCardError {
  constructor(
    message = 'terminal sequence number already used on this card for a different request',
    sw: number = SW.SEQUENCE_REUSED,
  ) {
    super('ERR_SEQUENCE_REUSED', message, { sw });
  }
}

/** The card's transaction counter is exhausted (9F0C): the card must be replaced. */
export class CounterExhaustedError extends HudumaCardError {
  constructor(
    message = 'transaction counter exhausted: the card must be replaced',
    sw: number = SW.COUNTER_EXHAUSTED,
  ) {
    super('ERR_COUNTER_EXHAUSTED', message, { sw });
  }
}

/**
 * What the card signed does not match what was asked, or its signature does not verify. Never
 * treat the operation as successful: keep `proofBytes` as evidence.
 */
export class ProofInvalidError extends HudumaCardError {
  /** The raw response the card sent, when there was one. */
  readonly proofBytes: Uint8Array | undefined;
  constructor(message: string, proofBytes?: Uint8Array) {
    super('ERR_PROOF_INVALID', message);
    this.proofBytes = proofBytes;
  }
}

/** Why a card certificate was rejected. */
export type CardCertificateRejection =
  | 'malformed'
  | 'not-a-card-certificate'
  | 'unknown-issuer'
  | 'signature-invalid'
  | 'card-number-mismatch'
  | 'expired';

/** The card's certificate is not one the terminal trusts; `reason` says which check failed. */
export class CardCertificateInvalidError extends HudumaCardError {
  /** Which check failed. */
  readonly reason: CardCertificateRejection;
  constructor(reason: CardCertificateRejection, message: string) {
    super('ERR_CARD_CERTIFICATE_INVALID', message);
    this.reason = reason;
  }
}

/** The operation needs a terminal certificate and signer, and `HudumaCard.select` got none. */
export class TerminalRequiredError extends HudumaCardError {
  constructor(operation: string) {
    super('ERR_TERMINAL_REQUIRED', `${operation} needs a terminal: pass { terminal } to HudumaCard.select`);
  }
}

/** The card answered with bytes that do not decode as the spec's structure. */
export class CardResponseMalformedError extends HudumaCardError {
  constructor(message: string, sw?: number, cause?: unknown) {
    super('ERR_CARD_RESPONSE_MALFORMED', message, { ...(sw === undefined ? {} : { sw }), cause });
  }
}

/** The debit request as it was sent, kept so a retry or a recovery can use the same values. */
export interface SentDebitRequest {
  /** The card counter the request is bound to (compare-and-swap, SPEC-v2 §6.8): the FCI counter when journaled. */
  expectedCounter: number;
  amount: number;
  /** BCD ISO 4217, e.g. 0x0404 for KES. */
  currency: number;
  terminalSeq: number;
  terminalNonce: Uint8Array;
  time: number;
  billRef: string;
  serviceCode: number;
}

/**
 * The card's answer to a value command was lost or not authenticated (a link failure, a plain
 * status word, an R-MAC that does not verify: SPEC-v2 §4.7.5): the card may or may not have
 * applied it. Keep the intent UNKNOWN in the journal and resolve it on the next contact with
 * `recoverTransaction({ expectedCounter: counterBefore, terminalSeq, ... })` (§10.4), or send the
 * identical request again: the counter compare-and-swap makes a repeat execute at most once.
 */
export class TransactionOutcomeUnknownError extends HudumaCardError {
  /** Which command was in flight. */
  readonly operation: 'debit' | 'undebit' | 'reload';
  /** The card number the command was sent to. */
  readonly cardNumber: string;
  /** The terminal sequence number of the command (the recovery key). */
  readonly terminalSeq: number;
  /** The card's transaction counter before the command: the request's expectedCounter. */
  readonly counterBefore: number;

  constructor(
    code: string,
    args: {
      operation: 'debit' | 'undebit' | 'reload';
      cardNumber: string;
      terminalSeq: number;
      counterBefore: number;
      cause: unknown;
    },
  ) {
    super(
      code,
      // Masked: messages reach logs and screens; the full number stays in `cardNumber` for recovery.
      `${args.operation} outcome unknown: the link to card ${maskCardNumber(args.cardNumber)} failed during the command ` +
        `(terminal seq ${args.terminalSeq}, counter before ${args.counterBefore}); ` +
        'resolve it with recoverTransaction on the next tap (SPEC-v2 §10.4)',
      { cause: args.cause },
    );
    this.operation = args.operation;
    this.cardNumber = args.cardNumber;
    this.terminalSeq = args.terminalSeq;
    this.counterBefore = args.counterBefore;
  }
}

/** A DEBIT was sent and its response never arrived (code `ERR_DEBIT_OUTCOME_UNKNOWN`). */
export class DebitOutcomeUnknownError extends TransactionOutcomeUnknownError {
  /** The exact request sent: pass it to `debit()` again to retry idempotently. */
  readonly request: SentDebitRequest;
  /** Same as `request.amount`. */
  readonly amount: number;
  constructor(args: {
    cardNumber: string;
    counterBefore: number;
    request: SentDebitRequest;
    cause: unknown;
  }) {
    super('ERR_DEBIT_OUTCOME_UNKNOWN', {
      operation: 'debit',
      cardNumber: args.cardNumber,
      terminalSeq: args.request.terminalSeq,
      counterBefore: args.counterBefore,
      cause: args.cause,
    });
    this.request = args.request;
    this.amount = args.request.amount;
  }
}

/** Commands whose status words are interpreted in context. */
export type CommandName = InsName;

const NAME_OF_SW = new Map(STATUS_WORD_MEANINGS.map((m) => [m.sw, m]));

function hex4(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * The typed error for a status word (plain, inner, or a REFUSED outcome's reason) the card
 * returned to `command`. Some SWs mean different things per command (63Cx: PIN or PUK; 6983:
 * PIN or PUK blocked; 6A88: unknown CA, unknown load key or missing data), so the command is
 * part of the input.
 */
export function errorForStatusWord(sw: number, command: CommandName): HudumaCardError {
  if ((sw & 0xfff0) === SW.VERIFY_FAILED_BASE) {
    const tries = sw & 0x0f;
    return command === 'UNBLOCK_PIN' ? new WrongPukError(tries, sw) : new WrongPinError(tries, sw);
  }
  switch (sw) {
    case SW.INSUFFICIENT_FUNDS:
      return new InsufficientFundsError(undefined, sw);
    case SW.MAX_BALANCE_EXCEEDED:
      return new MaxBalanceExceededError(undefined, sw);
    case SW.OFFLINE_LIMIT_EXCEEDED:
      return new OfflineLimitExceededError(undefined, sw);
    case SW.TERMINAL_CERT_INVALID:
      return new TerminalNotAuthorizedError(
        'certificate-invalid',
        'the card rejected the terminal certificate (malformed, undefined capability, key off the curve or bad CA signature)',
        sw,
      );
    case SW.CAPABILITY_MISSING:
      return new TerminalNotAuthorizedError(
        'capability-missing',
        `the terminal certificate does not grant ${command}`,
        sw,
      );
    case SW.TERMINAL_CERT_EXPIRED:
      return new TerminalNotAuthorizedError(
        'certificate-expired',
        "the terminal certificate expired before the card's latest trusted time",
        sw,
      );
    case SW.TERMINAL_NOT_REGISTERED:
      return new TerminalNotAuthorizedError(
        'not-registered',
        'the card holds no registration for this terminal certificate',
        sw,
      );
    case SW.UNDEBIT_REFUSED:
      return new UndebitRefusedError(undefined, sw);
    case SW.LOAD_AUTH_INVALID:
      return new LoadAuthorizationInvalidError(
        'the card refused the load authorization: bad signature, or not for this card, counter or challenge',
        sw,
      );
    case SW.SEQUENCE_REUSED:
      return new SequenceReusedError(undefined, sw);
    case SW.CARD_BLOCKED:
    case SW.CARD_BLOCKED_SELECTED:
      return new CardBlockedError(undefined, sw);
    case SW.COUNTER_EXHAUSTED:
      return new CounterExhaustedError(undefined, sw);
    case SW.CVM_REQUIRED:
      return new PinRequiredError(undefined, sw);
    case SW.SYNC_REQUIRED:
      return new SyncRequiredError(undefined, sw);
    case SW.CURRENCY_MISMATCH:
      return new CurrencyMismatchError(undefined, sw);
    case SW.SM_DATA_INCORRECT:
      return new SecureMessagingError(
        'command-mac-rejected',
        `${command}: the card rejected the command MAC (6988) and closed the session`,
        undefined,
        sw,
      );
    case SW.AUTH_METHOD_BLOCKED:
      return command === 'UNBLOCK_PIN'
        ? new PukBlockedError(undefined, sw)
        : new PinBlockedError(undefined, sw);
    case SW.REFERENCED_DATA_NOT_FOUND:
      if (command === 'RELOAD')
        return new LoadAuthorizationInvalidError(
          'the load authorization names a key the card does not hold',
          sw,
        );
      if (command === 'REGISTER_TERMINAL')
        return new TerminalNotAuthorizedError(
          'unknown-ca',
          "the terminal certificate's issuer is not a terminal CA this card trusts",
          sw,
        );
      break;
  }
  const known = NAME_OF_SW.get(sw);
  const name = known?.name ?? 'UNKNOWN_STATUS';
  const meaning = known?.meaning ?? 'status word not defined by the applet spec';
  return new CardError(`ERR_CARD_${name}`, `${command} failed with SW ${hex4(sw)}: ${meaning}`, { sw });
}
