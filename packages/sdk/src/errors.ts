import { INS, type InsName, STATUS_WORD_MEANINGS, SW } from '@huduma/card-applet-spec';

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
  | 'signature-invalid';

/** The card refused the terminal's certificate or signature; `reason` says which check failed. */
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

/** A wrong PUK was presented to UNBLOCK PIN; `triesLeft` is what the card reports (63Cx). At 0 the card is terminated. */
export class WrongPukError extends HudumaCardError {
  /** PUK tries left on the card. */
  readonly triesLeft: number;
  constructor(triesLeft: number, sw: number) {
    super(
      'ERR_WRONG_PUK',
      triesLeft === 0
        ? 'wrong PUK: no tries left, the card is now terminated'
        : `wrong PUK: ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left`,
      { sw },
    );
    this.triesLeft = triesLeft;
  }
}

/** The PIN try counter is exhausted (6983): unblock with the PUK. */
export class PinBlockedError extends HudumaCardError {
  constructor(message = 'the PIN is blocked: unblock it with the PUK', sw: number = SW.AUTH_METHOD_BLOCKED) {
    super('ERR_PIN_BLOCKED', message, { sw });
  }
}

/** The command needs the PIN verified in this session (9F0E): call `verifyPin` first. */
export class PinRequiredError extends HudumaCardError {
  constructor(message = 'the PIN must be verified first in this session', sw: number = SW.PIN_REQUIRED) {
    super('ERR_PIN_REQUIRED', message, { sw });
  }
}

/** The card is blocked (9F0B, or 6283 on SELECT). */
export class CardBlockedError extends HudumaCardError {
  constructor(message = 'the card is blocked', sw: number = SW.CARD_BLOCKED) {
    super('ERR_CARD_BLOCKED', message, { sw });
  }
}

/** The card is terminated for good (9F0D, or 6285 on SELECT). */
export class CardTerminatedError extends HudumaCardError {
  constructor(message = 'the card is terminated', sw: number = SW.CARD_TERMINATED) {
    super('ERR_CARD_TERMINATED', message, { sw });
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
  amount: number;
  terminalSeq: number;
  terminalNonce: Uint8Array;
  time: number;
  billRef: string;
  serviceCode: number;
}

/**
 * The link to the card failed while a value-changing command was in flight: the card may or may
 * not have applied it. Call `recoverTransaction({ terminalSeq, counterBefore })` on the next tap
 * to learn, with the card's signature, which. Retrying the same request with the same
 * `terminalSeq` never charges twice.
 */
export class TransactionOutcomeUnknownError extends HudumaCardError {
  /** Which command was in flight. */
  readonly operation: 'debit' | 'undebit' | 'reload';
  /** The card number the command was sent to. */
  readonly cardNumber: string;
  /** The terminal sequence number of the command (the recovery key). */
  readonly terminalSeq: number;
  /** The card's transaction counter before the command. */
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
      `${args.operation} outcome unknown: the link to card ${args.cardNumber} failed during the command ` +
        `(terminal seq ${args.terminalSeq}, counter before ${args.counterBefore}); ` +
        'run recoverTransaction on the next tap',
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

const TERMINAL_AUTH_INS = new Set<number>([INS.DEBIT, INS.UNDEBIT, INS.READ_IDENTITY, INS.BLOCK_CARD]);

/**
 * The typed error for a status word the card returned to `command`. Some SWs mean different
 * things per command (63Cx: PIN or PUK; 6A88: unknown terminal CA, unknown load key, or missing
 * data), so the command is part of the input.
 */
export function errorForStatusWord(sw: number, command: CommandName): HudumaCardError {
  const ins = INS[command];
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
        'the card rejected the terminal certificate (malformed or bad CA signature)',
        sw,
      );
    case SW.TERMINAL_SIGNATURE_INVALID:
      return new TerminalNotAuthorizedError(
        'signature-invalid',
        "the card rejected the terminal's signature over the command",
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
    case SW.SELECTED_FILE_DEACTIVATED:
      return new CardBlockedError(undefined, sw);
    case SW.CARD_TERMINATED:
    case SW.SELECTED_FILE_TERMINATED:
      return new CardTerminatedError(undefined, sw);
    case SW.COUNTER_EXHAUSTED:
      return new CounterExhaustedError(undefined, sw);
    case SW.PIN_REQUIRED:
      return new PinRequiredError(undefined, sw);
    case SW.AUTH_METHOD_BLOCKED:
      return command === 'UNBLOCK_PIN'
        ? new PinBlockedError('the PUK is blocked', sw)
        : new PinBlockedError(undefined, sw);
    case SW.REFERENCED_DATA_NOT_FOUND:
      if (command === 'RELOAD')
        return new LoadAuthorizationInvalidError(
          'the load authorization names a key the card does not hold',
          sw,
        );
      // READ IDENTITY answers 6A88 both for an unknown terminal CA and for a card without identity.
      if (TERMINAL_AUTH_INS.has(ins) && command !== 'READ_IDENTITY')
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
