import type { PinEntryOutcome, PinPadDriver } from './driver';

export type PinPadMessageLanguage = 'en' | 'sw';
export type PinPadOutcomeReason = Exclude<PinEntryOutcome['kind'], 'pin'>;

/** Cashier wording for an entry that gave no PIN, keyed by reason, in English and Kiswahili. */
const MESSAGES: Record<PinPadOutcomeReason, Record<PinPadMessageLanguage, string>> = {
  cancelled: {
    en: 'The customer cancelled on the PIN pad: no payment taken.',
    sw: 'Mteja ameghairi kwenye kibodi ya PIN: hakuna malipo yaliyochukuliwa.',
  },
  timeout: {
    en: 'No PIN was entered in time: no payment taken. Start the sale again when the customer is ready.',
    sw: 'PIN haikuingizwa kwa wakati: hakuna malipo yaliyochukuliwa. Anza mauzo tena mteja akiwa tayari.',
  },
  unplugged: {
    en: 'The PIN pad was disconnected during PIN entry: no payment taken. Reconnect it and start the sale again.',
    sw: 'Kibodi ya PIN ilitenganishwa wakati wa kuingiza PIN: hakuna malipo yaliyochukuliwa. Iunganishe tena na uanze mauzo upya.',
  },
  'no-pad': {
    en: 'No PIN pad is connected: no payment taken. Connect the PIN pad and start the sale again.',
    sw: 'Hakuna kibodi ya PIN iliyounganishwa: hakuna malipo yaliyochukuliwa. Unganisha kibodi ya PIN na uanze mauzo tena.',
  },
  busy: {
    en: 'The PIN pad is already collecting a PIN: no payment taken. Finish or cancel it, then try again.',
    sw: 'Kibodi ya PIN tayari inapokea PIN: hakuna malipo yaliyochukuliwa. Maliza au ghairi, kisha jaribu tena.',
  },
};

export function pinPadMessage(reason: PinPadOutcomeReason, language: PinPadMessageLanguage = 'en'): string {
  return MESSAGES[reason][language];
}

export const PINPAD_OUTCOME_REASONS = Object.keys(MESSAGES) as PinPadOutcomeReason[];

/** The terminal engine's PinPad interface (packages/terminal engine-types.ts), structurally. */
export interface EnginePinPad {
  requestPin(request: {
    cardNumber: string;
    amountCents: number;
    triesLeft: number;
    attempt: number;
  }): Promise<string | undefined>;
}

/**
 * Adapts the driver to the engine: the PIN goes to the engine (and on to the SDK's VERIFY PIN)
 * and the driver's bytes are zeroed at once. The engine and the SDK take the PIN as a string, so
 * that copy lives until it is collected; it is never logged. When there is no PIN, `onNoPin`
 * receives the reason and the cashier's wording; the engine then declines as 'pin-cancelled'.
 */
export function enginePinPad(
  driver: PinPadDriver,
  options: {
    language?: PinPadMessageLanguage;
    onNoPin?: (reason: PinPadOutcomeReason, message: string) => void;
  } = {},
): EnginePinPad {
  return {
    async requestPin(request) {
      const prompt =
        request.attempt > 1 ? `Wrong PIN. ${request.triesLeft} tries left. Enter PIN` : 'Enter PIN';
      const outcome = await driver.enterPin({ prompt, amountCents: request.amountCents });
      if (outcome.kind === 'pin') {
        const pin = String.fromCharCode(...outcome.pin);
        outcome.pin.fill(0);
        return pin;
      }
      options.onNoPin?.(outcome.kind, pinPadMessage(outcome.kind, options.language));
      return undefined;
    },
  };
}
