import { type HudumaCard, WrongPinError } from '@huduma/sdk';
import { kes } from './amount';
import type { PinPad, TerminalEvent } from './engine-types';
import { TransactionRefusedError } from './errors';

/**
 * Cardholder verification on the PIN pad: asks until the card accepts the PIN, the cardholder
 * cancels, or the card blocks it. The PIN goes to the card only; it is never logged.
 */
export async function verifyPin(args: {
  card: HudumaCard;
  pinPad: PinPad | undefined;
  amountCents: number;
  cvmLimitCents: number;
  emit: (event: TerminalEvent) => void;
}): Promise<void> {
  const { card, pinPad, amountCents, emit } = args;
  let triesLeft = card.purse.pinTriesLeft;
  if (triesLeft === 0)
    throw new TransactionRefusedError(
      'pin-blocked',
      'The card PIN is blocked: the holder must unblock it with the PUK.',
      { triesLeft: 0 },
    );
  if (!pinPad)
    throw new TransactionRefusedError(
      'pin-cancelled',
      `A PIN is needed above ${kes(args.cvmLimitCents)} and this terminal has no PIN pad.`,
      { params: { limitCents: args.cvmLimitCents, noPinPad: true } },
    );
  for (let attempt = 1; ; attempt++) {
    emit({ type: 'enter-pin', triesLeft, attempt });
    const pin = await pinPad.requestPin({ cardNumber: card.cardNumber, amountCents, triesLeft, attempt });
    if (pin === undefined) {
      if (attempt > 1)
        throw new TransactionRefusedError(
          'wrong-pin',
          `Wrong PIN: ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left. No payment taken.`,
          { triesLeft },
        );
      throw new TransactionRefusedError('pin-cancelled', 'PIN entry cancelled: no payment taken.');
    }
    try {
      await card.verifyPin(pin);
      return;
    } catch (err) {
      if (err instanceof WrongPinError) {
        triesLeft = err.triesLeft;
        emit({ type: 'wrong-pin', triesLeft });
        if (triesLeft > 0) continue;
        throw new TransactionRefusedError(
          'pin-blocked',
          'Wrong PIN: no tries left, the PIN is now blocked. No payment taken.',
          { triesLeft: 0, cause: err },
        );
      }
      throw err;
    }
  }
}
