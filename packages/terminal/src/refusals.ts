/**
 * From whatever stopped an operation to the typed refusal the cashier sees (`toRefusal`), and
 * the two kinds of failure the engine treats specially: the card's outcome unknown (settled on
 * the next tap) and storage (storage.ts).
 */
import { TransportError } from '@huduma/apdu';
import {
  CardBlockedError,
  CardCertificateInvalidError,
  CurrencyMismatchError,
  HudumaCardError,
  InsufficientFundsError,
  LoadAuthorizationInvalidError,
  MaxBalanceExceededError,
  NoCvmLimitReachedError,
  OfflineLimitExceededError,
  PinBlockedError,
  PinRequiredError,
  ProofInvalidError,
  PukBlockedError,
  SecureMessagingError,
  SyncRequiredError,
  TerminalNotAuthorizedError,
  TransactionOutcomeUnknownError,
  UndebitRefusedError,
  WrongPinError,
} from '@huduma/sdk';
import { TxLogError } from '@huduma/txlog';
import { formatKes } from './amount';
import { cashierText } from './cashier-messages';
import { type RefusalReason, TransactionRefusedError } from './errors';
import { storageRefusal } from './storage';

function kes(cents: number): string {
  return `KES ${formatKes(cents)}`;
}

export function isOutcomeUnknown(err: unknown): boolean {
  return (
    err instanceof TransactionOutcomeUnknownError ||
    err instanceof ProofInvalidError ||
    err instanceof TransportError
  );
}

export function outcomeUnknown(
  amountCents: number,
  err: unknown,
  what: 'payment' | 'cancellation' | 'reload' = 'payment',
): TransactionRefusedError {
  return new TransactionRefusedError(
    'outcome-unknown',
    `The card's answer was lost during the ${what} of ${kes(amountCents)} (the card left the reader or the reader's line failed): tap the same card again to finish (it will never be charged twice).`,
    { cause: err, detail: (err as Error).message, params: { amountCents, operation: what } },
  );
}

/** Maps an SDK or transport error to a refusal with a cashier message; undefined for programming errors. */
export function toRefusal(err: unknown): TransactionRefusedError | undefined {
  if (err instanceof TransactionRefusedError) return err;
  const r = (reason: RefusalReason, message: string) =>
    new TransactionRefusedError(reason, message, { cause: err, detail: (err as Error).message });
  if (err instanceof InsufficientFundsError)
    return r('insufficient-funds', 'Insufficient balance on the card.');
  if (err instanceof OfflineLimitExceededError)
    return r(
      'card-offline-limit',
      'This card has reached its offline spending limit: reload it at a Huduma Centre first.',
    );
  if (err instanceof CardBlockedError)
    return r('card-blocked', 'This card is blocked: keep it and refer the holder to a Huduma Centre.');
  if (err instanceof SyncRequiredError) return r('sync-required', cashierText('sync-required'));
  if (err instanceof CurrencyMismatchError) return r('currency-mismatch', cashierText('currency-mismatch'));
  if (err instanceof PukBlockedError) return r('puk-blocked', cashierText('puk-blocked'));
  if (err instanceof SecureMessagingError) return r('secure-messaging', cashierText('secure-messaging'));
  if (err instanceof CardCertificateInvalidError)
    return err.reason === 'expired'
      ? r('card-certificate-expired', 'This card has expired: the holder must renew it at a Huduma Centre.')
      : r('card-certificate-invalid', 'This card is not a genuine Huduma card (certificate check failed).');
  if (err instanceof TerminalNotAuthorizedError)
    return err.reason === 'certificate-expired'
      ? r(
          'terminal-certificate-expired',
          "The card rejected this terminal's expired certificate: renew it before more payments.",
        )
      : new TransactionRefusedError(
          'terminal-not-authorized',
          `The card does not accept this terminal (${err.reason}): call support.`,
          { cause: err, detail: err.message, params: { detail: err.reason } },
        );
  if (err instanceof PinBlockedError)
    return r('pin-blocked', 'The card PIN is blocked: the holder must unblock it with the PUK.');
  // A subclass of PinRequiredError: tested first.
  if (err instanceof NoCvmLimitReachedError)
    return r('no-cvm-limit-reached', cashierText('no-cvm-limit-reached'));
  if (err instanceof PinRequiredError)
    return r('wrong-pin', 'The card asked for the PIN: try again and enter the PIN.');
  if (err instanceof WrongPinError)
    return new TransactionRefusedError(
      'wrong-pin',
      `Wrong PIN: ${err.triesLeft} tries left. No payment taken.`,
      {
        cause: err,
        triesLeft: err.triesLeft,
      },
    );
  if (err instanceof UndebitRefusedError)
    return r(
      'undebit-refused',
      'The card refused the cancellation (not its last payment here, or too late).',
    );
  if (err instanceof MaxBalanceExceededError)
    return r('max-balance', 'The reload would take the card above its maximum balance.');
  if (err instanceof LoadAuthorizationInvalidError)
    return r('load-declined', 'The card refused the reload authorization.');
  if (err instanceof TransportError)
    return r('card-removed', 'The card was removed too early: nothing was charged, tap again.');
  if (err instanceof HudumaCardError)
    return new TransactionRefusedError('card-error', `The card returned an error: ${err.message}`, {
      cause: err,
      params: { detail: err.message },
    });
  // Any storage failure not caught where it happened (every charged path is) refuses typed.
  if (isStorageError(err)) return storageRefusal(err, 'before-charge');
  return undefined;
}

/** A failed write of the log, the intent journal or another terminal file (not a card error). */
export function isStorageError(err: unknown): boolean {
  return (
    err instanceof TxLogError ||
    (err instanceof Error && typeof (err as { syscall?: unknown }).syscall === 'string')
  );
}
